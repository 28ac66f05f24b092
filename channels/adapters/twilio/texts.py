"""The texts the Twilio adapter sends on its own: privacy notice, keyword answers.

German in the friendly "Sie", GSM-7 only and short, because each one is
paid for: the privacy notice must fit one segment (it is sent on first
contact, outside the turn's budget), the others at most two.
"""

from __future__ import annotations

from channels.adapters.twilio.sms_text import MORE_KEYWORD, segments
from channels.messages import Channel


def _medium(channel: Channel) -> str:
    return "SMS" if channel is Channel.SMS else "Nachrichten"


def privacy_notice(channel: Channel, url: str, stop: str) -> str:
    """One segment: who processes the messages, where to read more, how to stop."""
    medium = _medium(channel)
    for text in (
        f"Datenschutz: Der Märkische Kreis verarbeitet Ihre Nachrichten, um zu antworten. "
        f"Infos: {url} Keine {medium} mehr: {stop}",
        f"Datenschutz-Infos: {url} Keine {medium} mehr: {stop}",
        f"Datenschutz: {url}",
    ):
        if segments(text) == 1:
            return text
    return f"Datenschutz: {url}"[:160]  # a URL this long is a configuration error; stay at one segment


def help_text(channel: Channel, stop: str) -> str:
    more = f" {MORE_KEYWORD}: weiterlesen." if channel is Channel.SMS else ""
    return (f"Digitaler Assistent des Märkischen Kreises: Schreiben Sie Ihre Frage, zum Beispiel "
            f"\"Wie melde ich mein Auto an?\". Bei einer Liste antworten Sie mit der Nummer.{more} "
            f"{stop}: keine {_medium(channel)} mehr. Im Notfall: 112 oder 110.")


def opted_out(channel: Channel, start: str) -> str:
    return (f"Sie erhalten ab jetzt keine {_medium(channel)} mehr von uns. "
            f"Mit {start} können Sie den Dienst wieder nutzen.")


def opted_in(channel: Channel) -> str:
    return (f"Willkommen zurück! Sie erhalten wieder {_medium(channel)} von uns. "
            "Schreiben Sie einfach Ihre Frage.")


def nothing_more() -> str:
    return "Zu meiner letzten Antwort gibt es keinen weiteren Text. Schreiben Sie gern Ihre nächste Frage."
