"""Citizen texts of the request forms (de, en, ls), kept apart from texts.py.

Same shape as ``actions/texts.py``: one entry per sentence, German first,
``ls`` (Leichte Sprache) where a simple version exists; a missing variant
falls back to German.
"""

from __future__ import annotations

from actions.texts import TEXTS as _CORE_TEXTS
from actions.texts import _kreis_phrases

TEXTS: dict[str, dict[str, str]] = {
    # --- shared machinery -------------------------------------------------------------
    "cancelled": {
        "de": "In Ordnung, ich habe abgebrochen. Es wurde nichts gesendet.",
        "en": "All right, I have stopped. Nothing was sent.",
        "ls": "Gut. Ich habe aufgehört.\nEs wurde nichts geschickt.",
    },
    "nothing_to_cancel": {
        "de": "Gerade ist nichts offen, das ich abbrechen könnte. Wie kann ich helfen?",
        "en": "There is nothing open that I could cancel. How can I help?",
        "ls": "Es gibt nichts zum Abbrechen.\nWie kann ich helfen?",
    },
    "summary_intro": {
        "de": "Bitte prüfen Sie Ihre Angaben:",
        "en": "Please check your details:",
        "ls": "Bitte prüfen Sie:",
    },
    "summary_question": {
        "de": "Ist alles richtig? Dann sende ich es ab.",
        "en": "Is everything correct? Then I will send it.",
        "ls": "Stimmt alles?\nDann schicke ich es ab.",
    },
    "yes": {"de": "Ja, absenden", "en": "Yes, send it", "ls": "Ja"},
    "no": {"de": "Nein, ändern", "en": "No, change something", "ls": "Nein"},
    "confirm_unclear": {
        "de": "Bitte antworten Sie mit „Ja“ oder „Nein“.",
        "en": "Please answer “yes” or “no”.",
        "ls": "Bitte schreiben Sie: Ja. Oder: Nein.",
    },
    "ask_change": {
        "de": "Was möchten Sie ändern?",
        "en": "What would you like to change?",
        "ls": "Was wollen Sie ändern?",
    },
    "change_unclear": {
        "de": "Das habe ich keiner Angabe zuordnen können. Bitte wählen Sie aus, was Sie ändern möchten.",
        "en": "I could not tell which detail you mean. Please choose what you would like to change.",
        "ls": "Das habe ich nicht verstanden.\nBitte wählen Sie aus.",
    },
    "offer_stop": {
        "de": "Wenn es gerade nicht passt, können Sie auch abbrechen – dann wird nichts gesendet.",
        "en": "If this does not work right now, you can also stop – then nothing is sent.",
        "ls": "Sie können auch aufhören.\nDann wird nichts geschickt.",
    },
    "stop_button": {"de": "Abbrechen", "en": "Stop", "ls": "Aufhören"},
    "send_failed": {
        "de": "Das Absenden hat leider gerade nicht geklappt. Ihre Angaben sind noch da – "
        "versuchen Sie es bitte gleich noch einmal.",
        "en": "Sending did not work just now. Your details are kept – please try again in a moment.",
        "ls": "Das Abschicken hat nicht geklappt.\nBitte versuchen Sie es gleich noch einmal.",
    },
    "created": {
        "de": "Vielen Dank! Ihre Angaben sind angekommen.\nIhre Vorgangsnummer: {reference}\n"
        "Ihre PIN: {pin}\nMit Vorgangsnummer und PIN können Sie den Stand später auch von einem "
        "anderen Gerät aus erfragen. Bitte bewahren Sie beides auf.",
        "en": "Thank you! Your request has been received.\nYour reference number: {reference}\n"
        "Your PIN: {pin}\nWith the reference number and PIN you can ask for the status later, "
        "also from another device. Please keep both.",
        "ls": "Danke! Wir haben Ihre Angaben.\nIhre Vorgangs-Nummer: {reference}\nIhre PIN: {pin}\n"
        "Damit können Sie später fragen: Wie weit ist mein Anliegen?\nBitte schreiben Sie sich "
        "beides auf.",
    },
    "forwarded": {
        "de": "Zuständig ist {name}. Ihre Angaben wurden dorthin weitergeleitet.",
        "en": "This is handled by {name}. Your request has been forwarded there.",
        "ls": "Das macht: {name}.\nWir haben Ihre Angaben dorthin geschickt.",
    },
    "answer_then_continue": {
        "de": "Nun weiter mit Ihrer Anfrage:",
        "en": "Now back to your request:",
        "ls": "Jetzt weiter mit Ihrer Anfrage:",
    },
    # --- places -----------------------------------------------------------------------
    "ask_place": {
        "de": "Wo genau ist das? Bitte nennen Sie Straße und Ort (zum Beispiel „Lindenstraße 5 in "
        "Iserlohn“) oder senden Sie Ihren Standort.",
        "en": "Where exactly is it? Please give the street and town (for example “Lindenstraße 5 in "
        "Iserlohn”) or send your location.",
        "ls": "Wo ist das?\nBitte schreiben Sie die Straße und die Stadt.\n"
        "Oder schicken Sie Ihren Standort.",
    },
    "ask_place_town": {
        "de": "In welcher Stadt oder Gemeinde {in_kreis} ist das?",
        "en": "Which town in the {kreis} is that in?",
        "ls": "In welcher Stadt ist das?",
    },
    "place_outside_town": {
        "de": "{town} gehört nicht {to_kreis}. Dafür ist die Stadtverwaltung {town} zuständig – "
        "bitte wenden Sie sich direkt dorthin. Liegt der Ort doch {in_kreis}, nennen Sie ihn bitte "
        "mit Stadt oder Postleitzahl.",
        "en": "{town} is not in the {kreis}. Please contact the town administration of {town} "
        "directly. If the place is in the {kreis} after all, please give it with the town or postcode.",
        "ls": "{town} gehört nicht {to_kreis}.\nBitte fragen Sie bei der Stadt {town}.",
    },
    "place_outside_postcode": {
        "de": "Die Postleitzahl {postcode} gehört nicht {to_kreis}. Bitte wenden Sie sich an die "
        "Stadt- oder Gemeindeverwaltung dort. Liegt der Ort doch {in_kreis}, nennen Sie ihn bitte "
        "mit Stadt oder Postleitzahl.",
        "en": "The postcode {postcode} is not in the {kreis}. Please contact the town administration "
        "there. If the place is in the {kreis} after all, please give it with the town or postcode.",
        "ls": "Die Post-Leitzahl {postcode} gehört nicht {to_kreis}.\n"
        "Bitte fragen Sie bei der Stadt dort.",
    },
    "place_outside_coordinates": {
        "de": "Dieser Standort liegt außerhalb {of_kreis}. Bitte wenden Sie sich an die Stadt- oder "
        "Gemeindeverwaltung des Ortes. Liegt der Ort doch {in_kreis}, nennen Sie bitte Straße und Stadt.",
        "en": "This location is outside the {kreis}. Please contact the administration of that town. "
        "If the place is in the {kreis} after all, please give the street and town.",
        "ls": "Dieser Ort ist nicht {in_kreis}.\nBitte fragen Sie bei der Stadt dort.",
    },
    "place_too_short": {
        "de": "Das ist mir als Ortsangabe zu ungenau. Bitte nennen Sie Straße und Ort oder senden Sie "
        "Ihren Standort.",
        "en": "That is not precise enough as a place. Please give the street and town or send your "
        "location.",
        "ls": "Das ist zu ungenau.\nBitte schreiben Sie Straße und Stadt.",
    },
    "address_needs_town": {
        "de": "Für die Abholung brauche ich die Adresse mit Stadt oder Postleitzahl {in_kreis}.",
        "en": "For the collection I need the address with the town or postcode in the {kreis}.",
        "ls": "Ich brauche die Adresse mit der Stadt.",
    },
    # --- maengelmeldung ---------------------------------------------------------------
    "ask_defect_category": {
        "de": "Was möchten Sie melden?",
        "en": "What would you like to report?",
        "ls": "Was wollen Sie melden?",
    },
    "category_unknown": {
        "de": "Das konnte ich keiner Art von Mangel zuordnen. Bitte wählen Sie eine der Möglichkeiten.",
        "en": "I could not match that to a kind of problem. Please choose one of the options.",
        "ls": "Das habe ich nicht verstanden.\nBitte wählen Sie aus.",
    },
    "ask_defect_description": {
        "de": "Beschreiben Sie den Mangel bitte kurz: Was ist los, wie groß ist es, besteht Gefahr?",
        "en": "Please describe the problem briefly: what is wrong, how big is it, is it dangerous?",
        "ls": "Bitte beschreiben Sie kurz:\nWas ist kaputt?\nIst es gefährlich?",
    },
    "description_too_short": {
        "de": "Bitte beschreiben Sie den Mangel in ein paar Worten mehr, damit die Kolleginnen und "
        "Kollegen ihn finden und einschätzen können.",
        "en": "Please describe the problem in a few more words so that staff can find and assess it.",
        "ls": "Bitte schreiben Sie etwas mehr dazu.",
    },
    "ask_defect_photo": {
        "de": "Haben Sie ein Foto? Dann senden Sie es bitte jetzt. Sonst tippen Sie auf „Ohne Foto“.",
        "en": "Do you have a photo? Then please send it now. Otherwise tap “Without photo”.",
        "ls": "Haben Sie ein Foto?\nDann schicken Sie es jetzt.\nSonst tippen Sie auf: Ohne Foto.",
    },
    "photo_missing": {
        "de": "Ich habe kein Foto erhalten. Bitte senden Sie ein Bild oder tippen Sie auf „Ohne Foto“.",
        "en": "I did not receive a photo. Please send a picture or tap “Without photo”.",
        "ls": "Ich habe kein Foto bekommen.\nSchicken Sie ein Foto.\nOder tippen Sie auf: Ohne Foto.",
    },
    "skip_photo": {"de": "Ohne Foto", "en": "Without photo", "ls": "Ohne Foto"},
    "ask_contact": {
        "de": "Möchten Sie für Rückfragen eine Telefonnummer oder E-Mail-Adresse angeben (gern mit "
        "Namen)? Das ist freiwillig.",
        "en": "Would you like to give a phone number or e-mail address for questions (with your name "
        "if you like)? This is optional.",
        "ls": "Wollen Sie Ihre Telefon-Nummer oder E-Mail-Adresse angeben?\nDas müssen Sie nicht.",
    },
    "contact_unclear": {
        "de": "Darin habe ich keine gültige Telefonnummer und keine E-Mail-Adresse gefunden. Bitte "
        "schreiben Sie zum Beispiel „0171 1234567“ oder „name@example.de“ – oder tippen Sie auf "
        "„Ohne Kontakt“.",
        "en": "I found no valid phone number or e-mail address in that. Please write for example "
        "“0171 1234567” or “name@example.de” – or tap “Without contact”.",
        "ls": "Das ist keine Telefon-Nummer und keine E-Mail-Adresse.\n"
        "Oder tippen Sie auf: Ohne Kontakt.",
    },
    "skip_contact": {"de": "Ohne Kontakt", "en": "Without contact", "ls": "Ohne Kontakt"},
    # --- sperrmuell -------------------------------------------------------------------
    "ask_bulky_address": {
        "de": "An welcher Adresse soll der Sperrmüll abgeholt werden? Bitte mit Straße, Hausnummer "
        "und Ort.",
        "en": "At which address should the bulky waste be collected? Please give street, house number "
        "and town.",
        "ls": "Wo sollen wir den Sperr-Müll abholen?\nBitte schreiben Sie Straße, Haus-Nummer und Stadt.",
    },
    "ask_bulky_items": {
        "de": "Was soll abgeholt werden? Zum Beispiel: „1 Sofa, 2 Stühle, 1 Matratze“.",
        "en": "What should be collected? For example: “1 sofa, 2 chairs, 1 mattress”.",
        "ls": "Was sollen wir abholen?\nZum Beispiel: 1 Sofa und 2 Stühle.",
    },
    "items_too_short": {
        "de": "Bitte nennen Sie die Gegenstände etwas genauer, zum Beispiel „1 Sofa, 2 Stühle“.",
        "en": "Please name the items a little more precisely, for example “1 sofa, 2 chairs”.",
        "ls": "Bitte schreiben Sie genauer, was wir abholen sollen.",
    },
    "ask_bulky_date": {
        "de": "Wann wäre Ihnen die Abholung am liebsten? Zum Beispiel „nächsten Dienstag“ oder "
        "„15.3.“.",
        "en": "When would you like the collection? For example “next Tuesday” or “15 March”.",
        "ls": "Wann sollen wir abholen?\nZum Beispiel: nächsten Dienstag.",
    },
    "date_unknown": {
        "de": "Dieses Datum habe ich nicht verstanden. Bitte schreiben Sie es zum Beispiel so: "
        "„15.3.“ oder „nächsten Dienstag“.",
        "en": "I did not understand that date. Please write it for example like this: “15 March” or "
        "“next Tuesday”.",
        "ls": "Das Datum habe ich nicht verstanden.\nSchreiben Sie zum Beispiel: 15.3.",
    },
    "date_past": {
        "de": "Der {date} liegt in der Vergangenheit. Bitte nennen Sie einen Tag ab morgen.",
        "en": "{date} is in the past. Please give a day from tomorrow on.",
        "ls": "Der {date} ist schon vorbei.\nBitte nennen Sie einen Tag ab morgen.",
    },
    "date_too_far": {
        "de": "Der {date} liegt zu weit in der Zukunft. Bitte wählen Sie einen Tag in den nächsten "
        "sechs Monaten.",
        "en": "{date} is too far ahead. Please choose a day within the next six months.",
        "ls": "Der {date} ist zu spät.\nBitte wählen Sie einen Tag in den nächsten 6 Monaten.",
    },
    "date_weekend": {
        "de": "Am Wochenende und an Feiertagen wird kein Sperrmüll abgeholt. Bitte wählen Sie einen "
        "Werktag.",
        "en": "There is no collection on weekends and public holidays. Please choose a working day.",
        "ls": "Am Wochenende holen wir nichts ab.\nBitte wählen Sie Montag bis Freitag.",
    },
    # --- rueckruf ---------------------------------------------------------------------
    "ask_callback_topic": {
        "de": "Worum geht es bei Ihrem Anliegen? Wählen Sie ein Thema oder beschreiben Sie es kurz.",
        "en": "What is your call about? Choose a topic or describe it briefly.",
        "ls": "Worum geht es?\nWählen Sie ein Thema.\nOder schreiben Sie es kurz.",
    },
    "topic_too_short": {
        "de": "Bitte beschreiben Sie Ihr Anliegen in ein paar Worten, damit die richtige Stelle "
        "zurückruft.",
        "en": "Please describe your question in a few words so that the right office calls you back.",
        "ls": "Bitte schreiben Sie etwas mehr dazu.",
    },
    "ask_callback_phone": {
        "de": "Unter welcher Telefonnummer können wir Sie erreichen?",
        "en": "Which phone number can we reach you on?",
        "ls": "Wie ist Ihre Telefon-Nummer?",
    },
    "phone_invalid": {
        "de": "Die Nummer „{value}“ scheint keine gültige Telefonnummer zu sein. Bitte schreiben Sie "
        "sie mit Vorwahl, zum Beispiel „0171 1234567“ oder „02351 966-0“.",
        "en": "“{value}” does not seem to be a valid phone number. Please write it with the area code, "
        "for example “0171 1234567” or “+49 2351 966-0”.",
        "ls": "Die Nummer „{value}“ stimmt nicht.\nBitte schreiben Sie die Nummer mit Vorwahl.\n"
        "Zum Beispiel: 0171 1234567.",
    },
    "ask_callback_window": {
        "de": "Wann sind Sie am besten erreichbar?",
        "en": "When is the best time to reach you?",
        "ls": "Wann können wir Sie anrufen?",
    },
    "window_unknown": {
        "de": "Bitte wählen Sie „Vormittag“ oder „Nachmittag“ oder nennen Sie eine Uhrzeit, "
        "zum Beispiel „ab 14 Uhr“.",
        "en": "Please choose “Morning” or “Afternoon” or give a time, for example “after 2 pm”.",
        "ls": "Bitte wählen Sie: Vormittag. Oder: Nachmittag.",
    },
    "morning": {"de": "Vormittag", "en": "Morning", "ls": "Vormittag"},
    "afternoon": {"de": "Nachmittag", "en": "Afternoon", "ls": "Nachmittag"},
    "anytime": {"de": "Jederzeit", "en": "Any time", "ls": "Egal"},
    "callback_created": {
        "de": "Eine Mitarbeiterin oder ein Mitarbeiter ruft Sie zurück, in der Regel innerhalb von "
        "zwei Werktagen.",
        "en": "A member of staff will call you back, usually within two working days.",
        "ls": "Jemand von uns ruft Sie an.\nMeistens in 2 Tagen.",
    },
    # --- status -----------------------------------------------------------------------
    "ask_case_reference": {
        "de": "Wie lautet Ihre Vorgangsnummer? Sie steht in Ihrer Bestätigung, zum Beispiel "
        "„MK-2026-000123-7“.",
        "en": "What is your reference number? It is in your confirmation, for example "
        "“MK-2026-000123-7”.",
        "ls": "Wie ist Ihre Vorgangs-Nummer?\nZum Beispiel: MK-2026-000123-7",
    },
    "reference_unreadable": {
        "de": "Darin habe ich keine Vorgangsnummer gefunden. Sie sieht so aus: „MK-2026-000123-7“.",
        "en": "I found no reference number in that. It looks like this: “MK-2026-000123-7”.",
        "ls": "Das ist keine Vorgangs-Nummer.\nSo sieht sie aus: MK-2026-000123-7",
    },
    "reference_typo": {
        "de": "Die Vorgangsnummer scheint einen Tippfehler zu enthalten. Bitte prüfen Sie die "
        "Nummer in Ihrer Bestätigung und schreiben Sie sie noch einmal.",
        "en": "The reference number seems to contain a typo. Please check the number in your "
        "confirmation and write it again.",
        "ls": "In der Vorgangs-Nummer ist wohl ein Fehler.\nBitte prüfen Sie die Nummer.",
    },
    "ask_case_pin": {
        "de": "Wenn Sie die Meldung von einem anderen Gerät aus gemacht haben, nennen Sie bitte die "
        "PIN aus der Bestätigung.",
        "en": "If you made the request from another device, please give the PIN from your "
        "confirmation.",
        "ls": "Haben Sie die Meldung mit einem anderen Gerät gemacht?\n"
        "Dann schreiben Sie bitte die PIN aus der Bestätigung.",
    },
    "status_not_found": {
        "de": "Zu dieser Vorgangsnummer kann ich Ihnen keine Auskunft geben. Bitte prüfen Sie "
        "Nummer und PIN in Ihrer Bestätigung oder rufen Sie uns an: {phone}.",
        "en": "I cannot give you information on this reference number. Please check the number and "
        "PIN in your confirmation or call us: {phone}.",
        "ls": "Zu dieser Nummer kann ich nichts sagen.\nBitte prüfen Sie Nummer und PIN.\n"
        "Oder rufen Sie an: {phone}",
    },
    "status_too_many": {
        "de": "Das waren zu viele Versuche. Bitte versuchen Sie es später noch einmal.",
        "en": "There were too many attempts. Please try again later.",
        "ls": "Das waren zu viele Versuche.\nBitte versuchen Sie es später noch einmal.",
    },
    "status_unavailable": {
        "de": "Den Stand kann ich gerade nicht abrufen. Bitte versuchen Sie es später noch einmal "
        "oder rufen Sie an: {phone}.",
        "en": "I cannot look up the status right now. Please try again later or call: {phone}.",
        "ls": "Ich kann gerade nicht nachsehen.\nBitte versuchen Sie es später noch einmal.",
    },
    "status_answer": {
        "de": "Stand Ihres Vorgangs {reference}: {status} (zuletzt geändert am {updated}).",
        "en": "Status of {reference}: {status} (last changed on {updated}).",
        "ls": "Ihr Vorgang {reference}:\n{status}\nZuletzt geändert: {updated}",
    },
    # --- handoff and fallbacks --------------------------------------------------------
    "handoff_queued": {
        "de": "Ich verbinde Sie mit einer Mitarbeiterin oder einem Mitarbeiter. Sie sind an Position "
        "{position} – bitte bleiben Sie hier im Chat, es geht gleich weiter. Mit „zurück zum Bot“ "
        "kommen Sie wieder zu mir.",
        "en": "I am connecting you with a member of staff. You are number {position} in the queue – "
        "please stay here in the chat. Write “zurück zum Bot” to come back to me.",
        "ls": "Ich verbinde Sie mit einem Menschen.\nBitte warten Sie hier im Chat.\n"
        "Sie sind Nummer {position}.",
    },
    "handoff_closed": {
        "de": "Gerade ist leider niemand im Chat erreichbar. Die Kolleginnen und Kollegen sind wieder "
        "ab {when} für Sie da. Möchten Sie lieber einen Rückruf anfordern?",
        "en": "Unfortunately nobody is available in the chat right now. Staff are back from {when}. "
        "Would you like to request a call-back instead?",
        "ls": "Gerade ist niemand da.\nWieder da: {when}.\nSollen wir Sie anrufen?",
    },
    "handoff_unavailable": {
        "de": "Ich kann Sie gerade nicht verbinden. Sie erreichen die Kreisverwaltung telefonisch "
        "unter {phone}. Oder fordern Sie einen Rückruf an.",
        "en": "I cannot connect you right now. You can reach the district administration by phone on "
        "{phone}. Or request a call-back.",
        "ls": "Ich kann Sie gerade nicht verbinden.\nRufen Sie an: {phone}",
    },
    "callback_button": {"de": "Rückruf anfordern", "en": "Request a call-back", "ls": "Anruf bekommen"},
    "human_button": {
        "de": "Mit einem Menschen sprechen",
        "en": "Talk to a person",
        "ls": "Mit einem Menschen sprechen",
    },
    "fallback_offer": {
        "de": "Ich verstehe Sie leider nicht. Möchten Sie mit einem Menschen sprechen oder einen "
        "Rückruf anfordern?",
        "en": "I am sorry, I do not understand. Would you like to talk to a person or request a "
        "call-back?",
        "ls": "Ich verstehe Sie leider nicht.\nWollen Sie mit einem Menschen sprechen?",
    },
}


def say(key: str, variant: str, **values: object) -> str:
    """The sentence ``key`` in ``variant`` (German when missing), filled in."""
    table = TEXTS.get(key) or _CORE_TEXTS[key]
    phrases = _kreis_phrases()
    # "im Märkischen Kreis" -> "des Märkischen Kreises"
    phrases.setdefault("of_kreis", f"des {phrases['in_kreis'].removeprefix('im ')}es")
    template = table.get(variant, table["de"])
    return template.format(**{**phrases, **{k: str(v) for k, v in values.items()}})
