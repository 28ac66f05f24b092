"""Short sentences the actions compose, per answer variant (de, en, ls).

Full answers live in the topic files; these are only the connecting
sentences that carry data from the directories (office names, addresses).
"""

from __future__ import annotations

from actions import content

TEXTS: dict[str, dict[str, str]] = {
    "ask_town": {
        "de": "Dafür ist Ihre Stadt oder Gemeinde zuständig. In welcher Stadt oder Gemeinde "
        "{in_kreis} wohnen Sie? Sie können auch die Postleitzahl schreiben.",
        "en": "Your town is responsible for this. Which town in the {kreis} do you live in? "
        "You can also write your postcode.",
        "ls": "Dafür ist Ihre Stadt zuständig.\nIn welcher Stadt wohnen Sie?\n"
        "Sie können auch die Post-Leitzahl schreiben.",
    },
    "example_content": {
        "de": "Hinweis: Die Antworten sind Beispielinhalte, die die Kreisverwaltung noch prüft. "
        "Verbindlich sind die Angaben der zuständigen Stelle.",
        "en": "Please note: the answers are example content that the district administration "
        "is still reviewing. The responsible office's information is binding.",
        "ls": "Wichtig: Die Antworten sind noch nicht geprüft.\n"
        "Fragen Sie im Zweifel beim Amt nach.",
    },
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
        "de": "Auch für {town} ist dafür {the_kreis} zuständig.",
        "en": "For {town}, too, the {kreis} (district administration) handles this.",
        "ls": "Für {town} ist {the_kreis} zuständig.",
    },
    "town_unknown": {
        "de": "Zuständig ist die Stadt- oder Gemeindeverwaltung Ihres Wohnorts. "
        "Die Städte und Gemeinden {in_kreis} finden Sie hier: {url}",
        "en": "This is handled by the town hall of the town you live in. "
        "You find the towns of the {kreis} here: {url}",
        "ls": "Dafür ist die Stadt zuständig, in der Sie wohnen. "
        "Eine Liste mit allen Städten finden Sie hier: {url}",
    },
    "place_unknown": {
        "de": "Den Ort „{value}“ kann ich keiner Stadt oder Gemeinde {in_kreis} zuordnen. "
        "Bitte schreiben Sie den Namen Ihrer Stadt (zum Beispiel Iserlohn) "
        "oder Ihre Postleitzahl.",
        "en": "I cannot match “{value}” to a town in the {kreis}. "
        "Please write the name of your town (for example Iserlohn) or your postcode.",
        "ls": "Diesen Ort kenne ich nicht: {value}.\n"
        "Bitte schreiben Sie den Namen von Ihrer Stadt.\n"
        "Zum Beispiel: Iserlohn.\nOder schreiben Sie die Post-Leitzahl.",
    },
    "postcode_outside": {
        "de": "Die Postleitzahl {value} gehört nicht {to_kreis}. "
        "Bitte wenden Sie sich an die Stadt- oder Gemeindeverwaltung Ihres Wohnorts.",
        "en": "The postcode {value} is not in the {kreis}. "
        "Please contact the town hall of the town you live in.",
        "ls": "Die Post-Leitzahl {value} gehört nicht {to_kreis}.\n"
        "Bitte fragen Sie bei Ihrer Stadt nach.",
    },
    "language_switched": {
        "de": "Gern, ich antworte ab jetzt auf Deutsch.",
        "en": "Sure, I will answer in English from now on.",
        "ls": "Gut. Ich schreibe jetzt in Leichter Sprache.",
    },
}


def _kreis_phrases() -> dict[str, str]:
    kreis = content.kreis()
    return {
        "kreis": kreis["name"],
        "the_kreis": kreis.get("the_name", kreis["name"]),
        "in_kreis": kreis.get("in_name", f"im {kreis['name']}"),
        "to_kreis": kreis.get("to_name", f"zum {kreis['name']}"),
    }


def text(key: str, variant: str, **values: str) -> str:
    """The sentence ``key`` in ``variant`` (German when missing), filled in."""
    table = TEXTS[key]
    return table.get(variant, table["de"]).format(**{**_kreis_phrases(), **values})
