"""Citizen texts of booking, cancelling and moving appointments (de, en, ls).

Same shape as ``actions/texts.py`` and ``actions/request_texts.py``: German
first, English, Leichte Sprache where a simple version exists; a missing
variant falls back to German.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ask_office": {
        "de": "Gern buche ich Ihnen einen Termin. Bei welcher Stelle brauchen Sie den Termin?",
        "en": "I am happy to book an appointment for you. Which office do you need it at?",
        "ls": "Ich kann einen Termin für Sie machen.\nBei welchem Amt brauchen Sie den Termin?",
    },
    "office_unknown": {
        "de": "Diese Stelle kenne ich nicht. Bitte wählen Sie eine der Stellen aus.",
        "en": "I do not know that office. Please choose one of the offices.",
        "ls": "Dieses Amt kenne ich nicht.\nBitte wählen Sie ein Amt aus.",
    },
    "offices_unavailable": {
        "de": "Die Terminvergabe ist gerade nicht erreichbar. Bitte versuchen Sie es später noch "
        "einmal oder rufen Sie an: 02351 966-60.",
        "en": "The appointment service cannot be reached right now. Please try again later or "
        "call 02351 966-60.",
        "ls": "Die Termin-Vergabe geht gerade nicht.\nBitte versuchen Sie es später noch einmal.\n"
        "Oder rufen Sie an: 02351 966-60.",
    },
    "slots_next": {
        "de": "Die nächsten freien Termine bei: {office}. Bitte wählen Sie einen aus – "
        "oder „Andere Zeit“, wenn keiner passt.",
        "en": "The next free appointments at: {office}. Please choose one – or “Other time” "
        "if none suits you.",
        "ls": "Das sind freie Termine bei: {office}.\nBitte wählen Sie einen Termin aus.\n"
        "Passt keiner? Dann wählen Sie: Andere Zeit.",
    },
    "slots_for_wish": {
        "de": "Freie Termine {wish}:",
        "en": "Free appointments {wish}:",
        "ls": "Freie Termine {wish}:",
    },
    "slots_nearest": {
        "de": "{wish} ist leider kein Termin frei. Das sind die nächstgelegenen freien Termine:",
        "en": "Unfortunately there is no free appointment {wish}. These are the nearest free ones:",
        "ls": "{wish} ist leider kein Termin frei.\nDas sind andere freie Termine:",
    },
    "too_far": {
        "de": "So weit im Voraus kann ich leider noch keinen Termin buchen. Das sind die nächsten "
        "freien Termine:",
        "en": "I cannot book that far ahead yet. These are the next free appointments:",
        "ls": "So weit vorher geht das leider nicht.\nDas sind die nächsten freien Termine:",
    },
    "weekend_closed": {
        "de": "Am Wochenende ist die Stelle geschlossen.",
        "en": "The office is closed at weekends.",
        "ls": "Am Samstag und am Sonntag ist das Amt zu.",
    },
    "no_slots": {
        "de": "In den nächsten Wochen ist bei dieser Stelle leider kein Termin frei. Bitte rufen Sie "
        "an: 02351 966-60. Sie können auch einen anderen Zeitraum nennen, zum Beispiel „12. März“.",
        "en": "Unfortunately there are no free appointments at this office in the coming weeks. "
        "Please call 02351 966-60, or name another time, for example “12 March”.",
        "ls": "Leider gibt es keine freien Termine.\nBitte rufen Sie an: 02351 966-60.",
    },
    "other_time": {"de": "Andere Zeit", "en": "Other time", "ls": "Andere Zeit"},
    "ask_wish": {
        "de": "Wann passt es Ihnen? Schreiben Sie zum Beispiel „nächsten Dienstag vormittag“, "
        "„12.3. um 9 Uhr“ oder „übermorgen“.",
        "en": "When would suit you? For example “next Tuesday morning”, “12 March at 9” or "
        "“tomorrow”.",
        "ls": "Wann haben Sie Zeit?\nSchreiben Sie zum Beispiel: Dienstag Vormittag.",
    },
    "date_unreadable": {
        "de": "Das habe ich nicht als Tag oder Uhrzeit verstanden. Bitte wählen Sie einen Termin "
        "aus oder schreiben Sie zum Beispiel „morgen um 10“ oder „12.3.“.",
        "en": "I did not understand that as a day or time. Please choose an appointment or write, "
        "for example, “tomorrow at 10” or “12 March”.",
        "ls": "Das habe ich nicht verstanden.\nBitte wählen Sie einen Termin aus.\n"
        "Oder schreiben Sie zum Beispiel: morgen um 10.",
    },
    "date_past": {
        "de": "{wish} liegt in der Vergangenheit. Bitte nennen Sie einen Tag ab heute.",
        "en": "{wish} is in the past. Please name a day from today on.",
        "ls": "{wish} ist schon vorbei.\nBitte nennen Sie einen Tag ab heute.",
    },
    "slot_taken": {
        "de": "Dieser Termin wurde gerade vergeben. Bitte wählen Sie einen anderen.",
        "en": "This appointment has just been taken. Please choose another one.",
        "ls": "Diesen Termin hat gerade jemand anders genommen.\nBitte wählen Sie einen anderen.",
    },
    "ask_name": {
        "de": "Auf welchen Namen soll ich den Termin buchen? Bitte nennen Sie Vor- und Nachnamen.",
        "en": "What name should I book the appointment under? Please give your first and last name.",
        "ls": "Wie heißen Sie?\nBitte schreiben Sie Vor-Namen und Nach-Namen.",
    },
    "name_invalid": {
        "de": "Bitte nennen Sie Ihren Vor- und Nachnamen, zum Beispiel „Erika Mustermann“.",
        "en": "Please give your first and last name, for example “Erika Mustermann”.",
        "ls": "Bitte schreiben Sie Ihren Vor-Namen und Nach-Namen.\n"
        "Zum Beispiel: Erika Mustermann.",
    },
    "ask_contact": {
        "de": "Unter welcher Telefonnummer oder E-Mail-Adresse erreichen wir Sie, falls sich am "
        "Termin etwas ändert?",
        "en": "At which phone number or e-mail address can we reach you if the appointment changes?",
        "ls": "Wie können wir Sie erreichen?\nBitte schreiben Sie Ihre Telefon-Nummer "
        "oder E-Mail-Adresse.",
    },
    "contact_invalid": {
        "de": "Das ist weder eine gültige Telefonnummer noch eine E-Mail-Adresse. Bitte schreiben "
        "Sie zum Beispiel „0171 2345678“ oder „name@beispiel.de“.",
        "en": "That is neither a valid phone number nor an e-mail address. Please write, for "
        "example, “0171 2345678” or “name@example.com”.",
        "ls": "Das ist keine Telefon-Nummer und keine E-Mail-Adresse.\n"
        "Zum Beispiel: 0171 2345678",
    },
    "summary_intro": {
        "de": "Bitte prüfen Sie Ihre Terminbuchung:",
        "en": "Please check your booking:",
        "ls": "Bitte prüfen Sie den Termin:",
    },
    "summary_question": {
        "de": "Soll ich den Termin so buchen?",
        "en": "Shall I book this appointment?",
        "ls": "Soll ich den Termin so machen?",
    },
    "yes_book": {"de": "Ja, buchen", "en": "Yes, book it", "ls": "Ja"},
    "no_change": {"de": "Nein, ändern", "en": "No, change something", "ls": "Nein"},
    "booked": {
        "de": "Ihr Termin ist gebucht:\n{when}\n{office}, {address}\n\nIhre Vorgangsnummer: "
        "{reference}\nIhre PIN: {pin}\nMit Nummer und PIN können Sie den Termin auch von einem "
        "anderen Gerät aus absagen oder verschieben.",
        "en": "Your appointment is booked:\n{when}\n{office}, {address}\n\nYour reference number: "
        "{reference}\nYour PIN: {pin}\nWith the number and PIN you can cancel or move the "
        "appointment, also from another device.",
        "ls": "Ihr Termin ist gebucht.\nWann: {when}\nWo: {office}, {address}\n"
        "Ihre Vorgangs-Nummer: {reference}\nIhre PIN: {pin}\nBitte schreiben Sie sich beides auf.",
    },
    "booked_sms": {
        "de": "Termin gebucht: {when}, {office}, {address}. Vorgangsnummer {reference}, PIN {pin}."
        "{bring}",
        "en": "Appointment booked: {when}, {office}, {address}. Reference {reference}, PIN {pin}."
        "{bring}",
    },
    "bring_sms": {"de": " Mitbringen: {items}.", "en": " Bring: {items}."},
    "bring": {
        "de": "Bitte mitbringen:\n{items}",
        "en": "Please bring:\n{items}",
        "ls": "Bitte bringen Sie mit:\n{items}",
    },
    "booking_failed": {
        "de": "Das Buchen hat leider gerade nicht geklappt. Ihre Angaben sind noch da – "
        "versuchen Sie es bitte gleich noch einmal.",
        "en": "Booking did not work just now. Your details are kept – please try again in a moment.",
        "ls": "Das Buchen hat nicht geklappt.\nBitte versuchen Sie es gleich noch einmal.",
    },
    "cancelled_booking": {
        "de": "In Ordnung, ich habe abgebrochen. Es wurde kein Termin gebucht.",
        "en": "All right, I have stopped. No appointment was booked.",
        "ls": "Gut. Ich habe aufgehört.\nEs gibt keinen neuen Termin.",
    },
    "cancelled_change": {
        "de": "In Ordnung, ich habe abgebrochen. Ihr Termin bleibt unverändert.",
        "en": "All right, I have stopped. Your appointment stays as it is.",
        "ls": "Gut. Ich habe aufgehört.\nIhr Termin bleibt so.",
    },
    # --- cancel and move ------------------------------------------------------------------
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
    "too_many": {
        "de": "Das waren zu viele Versuche. Bitte versuchen Sie es später noch einmal oder rufen "
        "Sie an: 02351 966-60.",
        "en": "There were too many attempts. Please try again later or call 02351 966-60.",
        "ls": "Das waren zu viele Versuche.\nBitte versuchen Sie es später noch einmal.",
    },
    "ask_reference": {
        "de": "Wie lautet die Vorgangsnummer Ihres Termins? Sie steht in Ihrer Bestätigung, "
        "zum Beispiel „MK-2026-000123-7“.",
        "en": "What is the reference number of your appointment? It is in your confirmation, "
        "for example “MK-2026-000123-7”.",
        "ls": "Wie ist die Vorgangs-Nummer von Ihrem Termin?\nZum Beispiel: MK-2026-000123-7",
    },
    "ask_pin": {
        "de": "Bitte nennen Sie noch die PIN aus Ihrer Terminbestätigung (6 Ziffern).",
        "en": "Please also give the PIN from your appointment confirmation (6 digits).",
        "ls": "Bitte schreiben Sie die PIN aus der Bestätigung.\nDie PIN hat 6 Zahlen.",
    },
    "pin_invalid": {
        "de": "Die PIN besteht aus 6 Ziffern, zum Beispiel „482913“.",
        "en": "The PIN has 6 digits, for example “482913”.",
        "ls": "Die PIN hat 6 Zahlen.\nZum Beispiel: 482913",
    },
    "appointment_not_found": {
        "de": "Zu dieser Vorgangsnummer und PIN finde ich keinen Termin. Bitte prüfen Sie beides "
        "in Ihrer Bestätigung.",
        "en": "I find no appointment for this reference number and PIN. Please check both in "
        "your confirmation.",
        "ls": "Ich finde keinen Termin.\nBitte prüfen Sie Nummer und PIN.",
    },
    "not_an_appointment": {
        "de": "Unter dieser Vorgangsnummer ist kein Termin gebucht.",
        "en": "No appointment is booked under this reference number.",
        "ls": "Unter dieser Nummer gibt es keinen Termin.",
    },
    "already_cancelled": {
        "de": "Dieser Termin ist bereits abgesagt.",
        "en": "This appointment has already been cancelled.",
        "ls": "Dieser Termin ist schon abgesagt.",
    },
    "confirm_cancel": {
        "de": "Möchten Sie diesen Termin absagen?\n{when}\n{office}",
        "en": "Do you want to cancel this appointment?\n{when}\n{office}",
        "ls": "Wollen Sie diesen Termin absagen?\n{when}\n{office}",
    },
    "yes_cancel": {"de": "Ja, absagen", "en": "Yes, cancel it", "ls": "Ja, absagen"},
    "no_keep": {"de": "Nein, behalten", "en": "No, keep it", "ls": "Nein"},
    "cancel_done": {
        "de": "Ihr Termin am {when} ist abgesagt. Vorgangsnummer: {reference}.",
        "en": "Your appointment on {when} is cancelled. Reference number: {reference}.",
        "ls": "Ihr Termin ist abgesagt.\nTermin war: {when}",
    },
    "cancel_kept": {
        "de": "In Ordnung, Ihr Termin bleibt bestehen.",
        "en": "All right, your appointment stays as it is.",
        "ls": "Gut. Ihr Termin bleibt.",
    },
    "current_appointment": {
        "de": "Ihr jetziger Termin: {when}, {office}.",
        "en": "Your current appointment: {when}, {office}.",
        "ls": "Ihr Termin ist jetzt: {when}, {office}.",
    },
    "confirm_move": {
        "de": "Soll ich Ihren Termin verschieben?\nBisher: {old}\nNeu: {new}\n{office}",
        "en": "Shall I move your appointment?\nBefore: {old}\nNew: {new}\n{office}",
        "ls": "Soll ich den Termin ändern?\nAlter Termin: {old}\nNeuer Termin: {new}\n{office}",
    },
    "yes_move": {"de": "Ja, verschieben", "en": "Yes, move it", "ls": "Ja"},
    "no_other": {"de": "Nein, andere Zeit", "en": "No, another time", "ls": "Nein"},
    "move_done": {
        "de": "Ihr Termin ist verschoben auf: {when}\n{office}, {address}\nVorgangsnummer und PIN "
        "bleiben gleich.",
        "en": "Your appointment has been moved to: {when}\n{office}, {address}\nReference number "
        "and PIN stay the same.",
        "ls": "Ihr Termin ist jetzt: {when}\n{office}, {address}\nNummer und PIN bleiben gleich.",
    },
    "manage_failed": {
        "de": "Das hat leider gerade nicht geklappt. Bitte versuchen Sie es gleich noch einmal "
        "oder rufen Sie an: 02351 966-60.",
        "en": "That did not work just now. Please try again in a moment or call 02351 966-60.",
        "ls": "Das hat nicht geklappt.\nBitte versuchen Sie es gleich noch einmal.",
    },
}


def say(key: str, variant: str, **values: str) -> str:
    """The sentence ``key`` in ``variant`` (German when missing), filled in."""
    table = TEXTS[key]
    return table.get(variant, table["de"]).format(**values)
