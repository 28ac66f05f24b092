"""Channel adapters, one module per channel, and the registry of them.

Adding a channel: write ``channels/adapters/<channel>.py`` with a
``create(deps) -> ChannelAdapter | None`` factory (None when its credentials
are absent, so the channel is simply off), add its line below, its settings
in ``channels/settings.py`` and its tests in ``tests/channels/``.
"""

from __future__ import annotations

from channels.adapter import AdapterDeps, AdapterFactory, ChannelAdapter
from channels.adapters import telegram, testchannel, twilio, webchat
from channels.messages import Channel

REGISTRY: dict[Channel, AdapterFactory] = {
    Channel.TEST: testchannel.create,
    Channel.WEBCHAT: webchat.create,
    Channel.TELEGRAM: telegram.create,
    Channel.SMS: twilio.create_sms,
    Channel.WHATSAPP: twilio.create_whatsapp,
}


def enabled_adapters(deps: AdapterDeps) -> dict[Channel, ChannelAdapter]:
    """The adapters whose channel is configured, by channel."""
    adapters: dict[Channel, ChannelAdapter] = {}
    for channel, factory in REGISTRY.items():
        adapter = factory(deps)
        if adapter is not None:
            adapters[channel] = adapter
    return adapters
