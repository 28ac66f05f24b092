"""The few texts the gateway itself sends (everything else comes from the dialogue core).

German first, in the friendly "Sie"; the other languages are those the
emergency path speaks. The language is the one the dialogue core last
detected for the conversation, else the channel's hint, else German.
"""

from __future__ import annotations

DELAY_NOTICE: dict[str, str] = {
    "de": "Ihre Nachricht ist angekommen. Die Antwort dauert gerade etwas länger – sie kommt "
          "automatisch, sobald unser System wieder erreichbar ist.",
    "en": "Your message has arrived. The answer is taking a little longer right now – it will follow "
          "automatically as soon as our system is available again.",
    "tr": "Mesajınız bize ulaştı. Yanıt şu anda biraz gecikiyor – sistemimiz yeniden erişilebilir "
          "olduğunda otomatik olarak gelecek.",
    "ar": "وصلت رسالتك. يستغرق الرد الآن وقتًا أطول قليلًا، وسيصلك تلقائيًا فور عودة نظامنا للعمل.",
    "uk": "Ваше повідомлення отримано. Відповідь зараз трохи затримується – вона надійде автоматично, "
          "щойно наша система знову запрацює.",
    "ru": "Ваше сообщение получено. Ответ сейчас немного задерживается – он придёт автоматически, "
          "как только наша система снова заработает.",
    "pl": "Wiadomość dotarła. Odpowiedź nieco się opóźnia – zostanie wysłana automatycznie, gdy tylko "
          "nasz system znów będzie dostępny.",
}

NOT_PROCESSED: dict[str, str] = {
    "de": "Entschuldigung, diese Nachricht konnte ich leider nicht verarbeiten. Bitte schreiben Sie "
          "Ihr Anliegen noch einmal mit anderen Worten.",
    "en": "Sorry, I could not process this message. Please write your request again in other words.",
}

GAVE_UP: dict[str, str] = {
    "de": "Entschuldigung, unser System war leider zu lange nicht erreichbar. Bitte schreiben Sie "
          "Ihre Nachricht noch einmal.",
    "en": "Sorry, our system was unavailable for too long. Please send your message again.",
}


def pick(texts: dict[str, str], language: str | None) -> str:
    """The text in ``language`` ("de-DE" counts as "de"), else German."""
    code = (language or "de").lower().replace("_", "-").split("-")[0]
    return texts.get(code, texts["de"])


# "War das hilfreich?" after an answer (channels/feedback.py); keyed by the answer's language.
FEEDBACK_QUESTION: dict[str, str] = {
    "de": "War das hilfreich?",
    "en": "Was this helpful?",
    "ls": "Hat Ihnen die Antwort geholfen?",
}
FEEDBACK_YES: dict[str, str] = {"de": "Ja", "en": "Yes", "ls": "Ja"}
FEEDBACK_NO: dict[str, str] = {"de": "Nein", "en": "No", "ls": "Nein"}
FEEDBACK_THANKS_YES: dict[str, str] = {
    "de": "Danke für Ihre Rückmeldung! Sie hilft uns, die Antworten gut zu halten.",
    "en": "Thank you for your feedback! It helps us keep our answers good.",
    "ls": "Danke für Ihre Antwort! So wissen wir: Die Antwort ist gut.",
}
FEEDBACK_THANKS_NO: dict[str, str] = {
    "de": "Danke für Ihre Rückmeldung! Wir verbessern die Antwort. Sie können Ihre Frage auch gern "
          "mit anderen Worten stellen.",
    "en": "Thank you for your feedback! We will improve the answer. You are welcome to ask your "
          "question in other words.",
    "ls": "Danke für Ihre Antwort! Wir machen die Antwort besser. Sie können Ihre Frage auch "
          "mit anderen Wörtern schreiben.",
}
FEEDBACK_ALREADY: dict[str, str] = {
    "de": "Ihre Rückmeldung zu dieser Antwort haben wir schon erhalten. Vielen Dank!",
    "en": "We have already received your feedback on this answer. Thank you!",
    "ls": "Sie haben schon geantwortet. Danke!",
}
