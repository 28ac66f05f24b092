"""The web chat channel: WebSocket, widget, demo pages (see ``adapter.py`` and ``connection.py``).

Modules: ``tokens`` (signed session tokens), ``protocol`` (the frames),
``render`` (responses -> widget JSON, writing direction), ``history`` (the
conversation history in Redis), ``hub`` (pub/sub wake-ups across gateway
processes), ``connection`` (one browser connection), ``upload`` (photos,
``POST /webchat/upload``), ``pages`` (static files and their
Content-Security-Policy), ``adapter`` (the ``ChannelAdapter``).
"""

from channels.adapters.webchat.adapter import WebChat, create

__all__ = ["WebChat", "create"]
