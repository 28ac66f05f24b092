"""The texts the Twilio adapter sends on its own: privacy notice, keyword answers.

German in the friendly "Sie", GSM-7 only and short, because each one is
paid for: the privacy notice must fit one segment (it is sent on first
contact, outside the turn's budget), the others at most two.
"""

from __future__ import annotations

from channels.adapters.twilio.sms_text import MORE_KEYWORD, segments
from channels.messages import Channel, Request
from channels.texts import pick


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


# What the bot's requests (custom {"request": ...}) become on SMS and WhatsApp, by language.
# SMS: no way to share a location, and German Twilio numbers take no MMS, so photos cannot come.
SMS_REQUESTS: dict[Request, dict[str, str]] = {
    Request.LOCATION: {"de": "Schreiben Sie uns bitte die Adresse oder eine Ortsbeschreibung.",
                       "en": "Please write us the address or describe the place."},
    Request.PHOTO: {"de": "Fotos können Sie per SMS leider nicht senden.",
                    "en": "Unfortunately, photos cannot be sent by SMS."},
}
WHATSAPP_REQUESTS: dict[Request, dict[str, str]] = {
    Request.LOCATION: {"de": "Teilen Sie uns bitte Ihren Standort mit: Büroklammer 📎 > Standort. "
                             "Oder schreiben Sie die Adresse.",
                       "en": "Please share your location: paperclip 📎 > Location. Or write the address."},
    Request.PHOTO: {"de": "Ein Foto senden Sie einfach hier im Chat: Büroklammer 📎 oder Kamera.",
                    "en": "Just send a photo here in the chat: paperclip 📎 or camera."},
}


def request_text(channel: Channel, request: Request, language: str | None) -> str:
    return pick((SMS_REQUESTS if channel is Channel.SMS else WHATSAPP_REQUESTS)[request], language)
