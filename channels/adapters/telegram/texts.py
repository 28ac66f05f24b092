"""The few texts the Telegram channel sends by itself, German first, in the friendly "Sie".

Everything else the citizen reads comes from the dialogue core. These are
the gateway's own answers where forwarding to the core would be wrong or
impossible: the privacy notice of ``/start``, the sentence for stickers,
voice messages and the like, the notice for an expired button, and the
labels the channel needs for its own keyboards.
"""

from __future__ import annotations

PRIVACY_NOTICE: dict[str, str] = {
    "de": "Willkommen beim digitalen Assistenten des Märkischen Kreises!\n\n"
          "Hinweis zum Datenschutz: Wir verarbeiten Ihre Nachrichten, um Ihre Fragen zu beantworten. "
          "Unser Dialogsystem sieht dabei nur ein Pseudonym, nicht Ihre Telegram-Kennung; die "
          "Unterhaltung wird spätestens nach 30 Tagen automatisch gelöscht. Bitte schicken Sie uns "
          "keine Gesundheits- oder Kontodaten. Für die Übermittlung über Telegram gelten zusätzlich "
          "die Datenschutzbestimmungen von Telegram.\n\n"
          "Mehr zum Datenschutz: https://www.maerkischer-kreis.de/datenschutz\n"
          "Befehle: /hilfe – was ich kann, /sprache – Sprache wählen, /loeschen – Ihre Daten löschen.\n"
          "In einem Notfall rufen Sie bitte sofort 112 (Feuerwehr, Rettungsdienst) oder 110 (Polizei) an.",
    "en": "Welcome to the digital assistant of the Märkischer Kreis!\n\n"
          "Data protection: we process your messages to answer your questions. Our dialogue system "
          "only sees a pseudonym, not your Telegram ID; the conversation is deleted automatically "
          "after 30 days at the latest. Please do not send us health or bank details. Telegram's own "
          "privacy policy also applies to messages sent through Telegram.\n\n"
          "More on data protection: https://www.maerkischer-kreis.de/datenschutz\n"
          "Commands: /hilfe – what I can do, /sprache – choose a language, /loeschen – delete your data.\n"
          "In an emergency, please call 112 (fire brigade, ambulance) or 110 (police) at once.",
}

UNSUPPORTED: dict[str, str] = {
    "de": "Leider kann ich nur Textnachrichten, Fotos und geteilte Standorte verarbeiten – bitte "
          "schreiben Sie mir Ihr Anliegen als Text.",
    "en": "Sorry, I can only handle text messages, photos and shared locations – please write your "
          "request as text.",
}

BUTTON_EXPIRED: dict[str, str] = {  # shown as the button's pop-up (answerCallbackQuery), not a message
    "de": "Diese Auswahl ist nicht mehr gültig. Bitte schreiben Sie Ihr Anliegen.",
    "en": "This choice is no longer valid. Please write your request.",
}

CHOOSE: dict[str, str] = {  # the text of a keyboard that came without one (Telegram needs a text)
    "de": "Bitte wählen Sie:",
    "en": "Please choose:",
}

LOCATION_PROMPT: dict[str, str] = {
    "de": "Bitte teilen Sie mir den Ort mit: Tippen Sie unten auf „Standort senden“.",
    "en": "Please share the location: tap “Send location” below.",
}

PHOTO_PROMPT: dict[str, str] = {
    "de": "Ein Foto senden Sie über die Büroklammer 📎 neben dem Eingabefeld.",
    "en": "To send a photo, tap the paperclip 📎 next to the message field.",
    "ls": "So schicken Sie ein Foto: Tippen Sie auf die Büro-Klammer 📎. Die Büro-Klammer ist neben dem "
          "Feld zum Schreiben.",
}

LOCATION_BUTTON: dict[str, str] = {
    "de": "📍 Standort senden",
    "en": "📍 Send location",
}

# What a command means to the dialogue core: the text it is forwarded as, so the
# content editors' topics answer it (greet, help, sprache_wechseln, daten_loeschen).
START_TEXT: dict[str, str] = {"de": "Hallo", "en": "Hello"}
HELP_TEXT: dict[str, str] = {"de": "Hilfe", "en": "help"}
LANGUAGE_TEXT: dict[str, str] = {"de": "Sprache wechseln", "en": "switch language"}
DELETE_TEXT: dict[str, str] = {"de": "Meine Daten löschen", "en": "Please delete my data"}
