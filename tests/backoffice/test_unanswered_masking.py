"""``mask``: a table of messages and what may be stored of them (positive and negative cases)."""

from __future__ import annotations

import pytest

from backoffice.unanswered.masking import mask

CASES = [
    # names after the usual introductions
    ("Ich heiße Müller", "Ich heiße [Name]"),
    ("Ich heiße Anna Schmidt aus Iserlohn", "Ich heiße [Name] aus Iserlohn"),
    ("ich heisse anna schmidt und wohne in menden", "ich heisse [Name] und wohne in menden"),
    ("Mein Name ist Dr. Hans Peter Meier, ich brauche Hilfe", "Mein Name ist [Name], ich brauche Hilfe"),
    ("mein name ist yilmaz", "mein name ist [Name]"),
    ("Hello, my name is John Smith and I need a passport", "Hello, my name is [Name] and I need a passport"),
    ("Ich heiße Sie willkommen", "Ich heiße Sie willkommen"),
    ("Ich heiße Sie herzlich willkommen im Kreishaus", "Ich heiße Sie herzlich willkommen im Kreishaus"),
    ("Wie heißt das Formular für Wohngeld?", "Wie heißt das Formular für Wohngeld?"),
    ("Müller hat gesagt ich soll hier fragen", "Müller hat gesagt ich soll hier fragen"),
    # phone numbers
    ("Rufen Sie mich an: 0171 1234567", "Rufen Sie mich an: [Telefon]"),
    ("ruf mich an 0171 1234567", "ruf mich an [Telefon]"),
    ("meine nummer +49 2351 966-0 bitte", "meine nummer [Telefon] bitte"),
    ("Tel 02351/1234567", "Tel [Telefon]"),
    ("0176-12345678 ruft zurück", "[Telefon] ruft zurück"),
    ("Termin am 12.3.", "Termin am 12.3."),
    ("Termin am 12.03.2026 um 10:30", "Termin am 12.03.2026 um 10:30"),
    ("Gebühr 37,00 Euro für 2 Kinder", "Gebühr 37,00 Euro für 2 Kinder"),
    ("Postleitzahl 58636", "Postleitzahl 58636"),
    ("Öffnungszeiten 8 bis 12 Uhr?", "Öffnungszeiten 8 bis 12 Uhr?"),
    # e-mail addresses
    ("schreiben Sie an max.mustermann@web.de bitte", "schreiben Sie an [E-Mail] bitte"),
    ("anna_k+amt@example.co.uk hat keine Antwort", "[E-Mail] hat keine Antwort"),
    ("Gibt es eine E-Mail-Adresse vom Bürgerbüro?", "Gibt es eine E-Mail-Adresse vom Bürgerbüro?"),
    ("Ich bin bei @kreis auf Twitter", "Ich bin bei @kreis auf Twitter"),
    # IBANs (mod-97) and other long numbers
    ("IBAN DE89 3704 0044 0532 0130 00 für die Erstattung", "IBAN [IBAN] für die Erstattung"),
    ("meine iban de89370400440532013000", "meine iban [IBAN]"),
    ("Kann ich per Lastschrift mit IBAN zahlen?", "Kann ich per Lastschrift mit IBAN zahlen?"),
    ("Steuer-ID 12 345 678 901", "Steuer-ID [Nummer]"),
    ("Kundennummer 123456789", "Kundennummer [Nummer]"),
    ("Gibt es 2026 eine neue Gebühr?", "Gibt es 2026 eine neue Gebühr?"),
    # reference numbers (with or without separators, check digit right or wrong)
    ("mein Aktenzeichen ist MK-2026-000123-7", "mein Aktenzeichen ist [Aktenzeichen]"),
    ("was ist mit mk 2026 000123 7", "was ist mit [Aktenzeichen]"),
    ("Vorgang MK20260001238 falsch?", "Vorgang [Aktenzeichen] falsch?"),
    ("Wo finde ich mein Aktenzeichen?", "Wo finde ich mein Aktenzeichen?"),
    # street addresses
    ("Ich wohne in der Hauptstraße 12 in Iserlohn", "Ich wohne in der [Adresse] in Iserlohn"),
    ("Schlagloch vor hauptstr. 5", "Schlagloch vor [Adresse]"),
    ("Lindenweg 3a, Menden", "[Adresse], Menden"),
    ("Kölner Straße 12 ist mein Zuhause", "[Adresse] ist mein Zuhause"),
    ("Ich wohne Am Sportplatz 2, 58636 Iserlohn", "Ich wohne [Adresse], 58636 Iserlohn"),
    ("Bahnhofsallee 7 Müll liegt rum", "[Adresse] Müll liegt rum"),
    ("Rosengasse 14 b", "[Adresse]"),
    ("Straßenlaterne kaputt", "Straßenlaterne kaputt"),
    ("Die Hauptstraße ist gesperrt", "Die Hauptstraße ist gesperrt"),
    ("Kreisstraße 12 hat ein Schlagloch", "Kreisstraße 12 hat ein Schlagloch"),
    ("ich ziehe weg 2 wochen", "ich ziehe weg 2 wochen"),
    ("Der Weg zum Amt ist weit", "Der Weg zum Amt ist weit"),
    ("In Raum 12 im Kreishaus", "In Raum 12 im Kreishaus"),
    # several kinds in one message
    ("Ich heiße Meier, Tel. 0171 1234567, Lindenweg 3", "Ich heiße [Name], Tel. [Telefon], [Adresse]"),
    ("", ""),
]


@pytest.mark.parametrize(("message", "stored"), CASES)
def test_mask(message: str, stored: str) -> None:
    assert mask(message) == stored


def test_table_has_positive_and_negative_rows() -> None:
    changed = sum(1 for message, stored in CASES if message != stored)
    assert len(CASES) >= 40 and changed >= 20 and len(CASES) - changed >= 15
