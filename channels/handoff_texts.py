"""What the gateway itself tells a citizen around a live handoff to staff (German first, "Sie").

Languages: German, English and Leichte Sprache (``ls``), like the answers
of the dialogue core; anything else gets German (``texts.pick``).
"""

from __future__ import annotations

RECEIVED: dict[str, str] = {
    "de": "Ihre Nachricht ist angekommen. Eine Mitarbeiterin oder ein Mitarbeiter antwortet Ihnen hier.",
    "en": "Your message has arrived. A member of our staff will answer you here.",
    "ls": "Ihre Nachricht ist da.\nEin Mensch vom Kreis antwortet Ihnen hier.",
}

RELEASED: dict[str, str] = {
    "de": "Sie schreiben jetzt wieder mit dem digitalen Assistenten. Wie kann ich Ihnen helfen?",
    "en": "You are now back with the digital assistant. How can I help you?",
    "ls": "Jetzt antwortet Ihnen wieder der Computer.\nWas möchten Sie wissen?",
}

CALLBACK_OFFER: dict[str, str] = {
    "de": "Leider sind gerade alle Mitarbeiterinnen und Mitarbeiter im Gespräch. Möchten Sie lieber "
          "zurückgerufen werden? Sie können auch weiter hier warten.",
    "en": "Sorry, all our staff are busy right now. Would you like us to call you back instead? "
          "You can also keep waiting here.",
    "ls": "Gerade hat leider niemand Zeit.\nSollen wir Sie anrufen?\nSie können auch hier weiter warten.",
}

CALLBACK_BUTTON: dict[str, str] = {"de": "Rückruf vereinbaren", "en": "Request a call-back",
                                   "ls": "Anruf bekommen"}
BACK_TO_BOT_BUTTON: dict[str, str] = {"de": "Zurück zum Bot", "en": "Back to the bot",
                                      "ls": "Zurück zum Computer"}
