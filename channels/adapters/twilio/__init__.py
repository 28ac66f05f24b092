"""SMS and WhatsApp through Twilio (issue 5): one adapter class, one instance per channel.

Modules:

* ``adapter.py`` - :class:`TwilioAdapter` (verify, parse, render, send) and the delivery rules
* ``webhooks.py`` - the inbound and status-callback routes; keywords and privacy notice
* ``inbound.py`` - signature check, Twilio form -> :class:`~channels.messages.InboundMessage`
* ``render.py`` - numbered menus, one budgeted SMS per turn, WhatsApp bodies
* ``sms_text.py`` - GSM-7/UCS-2, exact segment counts, cutting at sentence ends
* ``keywords.py``, ``texts.py`` - STOPP/START/HILFE/MEHR and the adapter's own texts
* ``state.py`` - Redis: opt-out, MEHR parts, caps, WhatsApp window, delivery status
* ``client.py`` - twilio 9's async client and the translation of its errors

SMS is on with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER or
TWILIO_MESSAGING_SERVICE_SID; WhatsApp with the credentials and
TWILIO_WHATSAPP_FROM. Either one alone is fine.
"""

from __future__ import annotations

from channels.adapter import AdapterDeps
from channels.adapters.twilio.adapter import TwilioAdapter, sms_enabled, whatsapp_enabled
from channels.messages import Channel

__all__ = ["TwilioAdapter", "create_sms", "create_whatsapp"]


def create_sms(deps: AdapterDeps) -> TwilioAdapter | None:
    if not sms_enabled(deps.settings):
        return None
    return TwilioAdapter(Channel.SMS, deps, owns_routes=True)


def create_whatsapp(deps: AdapterDeps) -> TwilioAdapter | None:
    """The inbound routes belong to the SMS adapter; to this one only when SMS is off."""
    if not whatsapp_enabled(deps.settings):
        return None
    return TwilioAdapter(Channel.WHATSAPP, deps, owns_routes=not sms_enabled(deps.settings))
