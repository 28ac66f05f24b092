"""Short sentences the actions compose, per answer variant (de, en, ls).

Full answers live in the topic files; these are only the connecting
sentences that carry data from the directories (office names, addresses).
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "town_office": {
        "de": "In {town} ist dafür zuständig: {office}, {address}, Telefon {phone}.{online}",
        "en": "In {town} this is handled by: {office}, {address}, phone {phone}.{online}",
        "ls": "Dafür ist Ihre Stadt {town} zuständig.\n{office}\nAdresse: {address}\n"
        "Telefon: {phone}{online}",
    },
    "online": {
        "de": " Online: {url}",
        "en": " Online: {url}",
        "ls": "\nIm Internet: {url}",
    },
    "kreis_in_town": {
        "de": "Auch für {town} ist dafür der {kreis} zuständig.",
        "en": "For {town}, too, the {kreis} (district administration) handles this.",
        "ls": "Für {town} ist der {kreis} zuständig.",
    },
    "town_unknown": {
        "de": "Zuständig ist die Stadt- oder Gemeindeverwaltung Ihres Wohnorts. "
        "Die Städte und Gemeinden im {kreis} finden Sie hier: {url}",
        "en": "This is handled by the town hall of the town you live in. "
        "You find the towns of the {kreis} here: {url}",
        "ls": "Dafür ist die Stadt zuständig, in der Sie wohnen. "
        "Eine Liste mit allen Städten finden Sie hier: {url}",
    },
    "place_unknown": {
        "de": "Den Ort „{value}“ kann ich keiner Stadt oder Gemeinde im {kreis} zuordnen. "
        "Bitte schreiben Sie den Namen Ihrer Stadt (zum Beispiel Iserlohn) "
        "oder Ihre Postleitzahl.",
        "en": "I cannot match “{value}” to a town in the {kreis}. "
        "Please write the name of your town (for example Iserlohn) or your postcode.",
        "ls": "Diesen Ort kenne ich nicht: {value}.\n"
        "Bitte schreiben Sie den Namen von Ihrer Stadt.\n"
        "Zum Beispiel: Iserlohn.\nOder schreiben Sie die Post-Leitzahl.",
    },
    "postcode_outside": {
        "de": "Die Postleitzahl {value} gehört nicht zum {kreis}. "
        "Bitte wenden Sie sich an die Stadt- oder Gemeindeverwaltung Ihres Wohnorts.",
        "en": "The postcode {value} is not in the {kreis}. "
        "Please contact the town hall of the town you live in.",
        "ls": "Die Post-Leitzahl {value} gehört nicht zum {kreis}.\n"
        "Bitte fragen Sie bei Ihrer Stadt nach.",
    },
    "language_switched": {
        "de": "Gern, ich antworte ab jetzt auf Deutsch.",
        "en": "Sure, I will answer in English from now on.",
        "ls": "Gut. Ich schreibe jetzt in Leichter Sprache.",
    },
}


def text(key: str, variant: str, **values: str) -> str:
    table = TEXTS[key]
    return table.get(variant, table["de"]).format(**values)
