"""HTML of the "Unbeantwortete Fragen" page (role editor), on the console's layout and helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from backoffice.console.pages import csrf_field, e
from backoffice.content.examples import FILE_LANGUAGES, TopicFile, file_language
from backoffice.content.model_check import Placement
from backoffice.models import UnansweredQuestion
from backoffice.unanswered.grouping import Group

MAX_SHOWN = 5
MAX_GROUPS = 100  # per page: each group carries a form with every topic
LANGUAGE_LABELS = {"de": "Deutsch", "en": "Englisch", "uk": "Ukrainisch"}


@dataclass(frozen=True)
class GroupView:
    """One group as the page shows it."""

    ids: tuple[int, ...]
    count: int
    examples: tuple[str, ...]  # distinct masked texts, newest first
    last_seen: date
    languages: tuple[str, ...]
    channels: tuple[str, ...]
    guess: str | None  # the model's best topic id for the newest message
    confidence: float | None

    @classmethod
    def of(cls, group: Group[UnansweredQuestion]) -> GroupView:
        members = group.members
        newest = members[0]
        best = (newest.intents or [{}])[0]
        name = str(best.get("name") or "")
        return cls(ids=tuple(sorted(m.id for m in members)), count=len(members),
                   examples=tuple(dict.fromkeys(m.text for m in members))[:MAX_SHOWN],
                   last_seen=max(m.day for m in members),
                   languages=tuple(dict.fromkeys(m.language for m in members)),
                   channels=tuple(dict.fromkeys(m.channel for m in members)),
                   guess=name.split("/", 1)[-1] if name else None,
                   confidence=best.get("confidence"))


@dataclass(frozen=True)
class Clash:
    """An assignment the model in service disagrees with, waiting for the editor's decision."""

    ids: str
    topic: str
    language: str
    example: str
    model: Placement


def clash_box(clash: Clash, titles: dict[str, str], csrf: str) -> str:
    """The warning with "assign anyway" (the same form, confirmed) and "choose again" (the list below)."""
    other = str(clash.model.topic)
    chosen, model = titles.get(clash.topic, clash.topic), titles.get(other, other)
    percent = round(100 * clash.model.confidence)
    return f"""<section class="clash" role="alert" aria-labelledby="clash-h">
<h2 id="clash-h">Bitte prüfen: Das Modell sieht ein anderes Thema</h2>
<p>Das Modell, das zurzeit antwortet, ordnet „{e(clash.example)}“ mit {percent} % dem Thema
„{e(model)}“ ({e(other)}) zu, nicht „{e(chosen)}“ ({e(clash.topic)}). Ein solches Beispiel kann die
Erkennung beider Themen verschlechtern. Ist die Frage eindeutig, ordnen Sie sie trotzdem zu; sonst wählen
Sie unten ein anderes Thema oder formulieren das Beispiel eindeutiger.</p>
<form method="post" action="/console/unanswered/assign">{csrf_field(csrf)}
<input type="hidden" name="ids" value="{e(clash.ids)}">
<input type="hidden" name="topic" value="{e(clash.topic)}">
<input type="hidden" name="language" value="{e(clash.language)}">
<input type="hidden" name="example" value="{e(clash.example)}">
<input type="hidden" name="confirm" value="1">
<button type="submit">Trotzdem „{e(chosen)}“ zuordnen</button></form>
</section>"""


def _topic_options(topics: Sequence[TopicFile], selected: str | None) -> str:
    chosen = selected if any(t.id == selected for t in topics) else None
    first = "" if chosen else '<option value="" selected disabled>– Thema wählen –</option>'
    return first + "".join(f'<option value="{e(t.id)}"{" selected" if t.id == chosen else ""}>'
                           f"{e(t.title)} ({e(t.id)})</option>" for t in topics)


def _language_options(language: str) -> str:
    block = file_language(language)
    return "".join(f'<option value="{code}"{" selected" if code == block else ""}>{LANGUAGE_LABELS[code]}'
                   "</option>" for code in FILE_LANGUAGES)


def _group(number: int, view: GroupView, topics: Sequence[TopicFile], csrf: str) -> str:
    ids = ",".join(map(str, view.ids))
    examples = "".join(f"<li>{e(text)}</li>" for text in view.examples)
    more = f"<p>… und {view.count - len(view.examples)} weitere gleiche Fragen.</p>" \
        if view.count > len(view.examples) else ""
    guess = (f"; am ehesten erkannt: {e(view.guess)} ({round(100 * float(view.confidence))} %)"
             if view.guess and view.confidence is not None else "")
    prefix = f"g{number}"
    return f"""<section class="group" aria-labelledby="{prefix}-h">
<h2 id="{prefix}-h">{view.count}× „{e(view.examples[0])}“</h2>
<p>Zuletzt am {view.last_seen.strftime("%d.%m.%Y")}; Sprache {e(", ".join(view.languages))};
Kanal {e(", ".join(view.channels))}{guess}</p>
<ul>{examples}</ul>{more}
<form method="post" action="/console/unanswered/assign">{csrf_field(csrf)}
<input type="hidden" name="ids" value="{ids}">
<label for="{prefix}-example">Neues Trainingsbeispiel</label>
<input id="{prefix}-example" name="example" required maxlength="300" value="{e(view.examples[0])}">
<label for="{prefix}-topic">Thema</label>
<select id="{prefix}-topic" name="topic" required>{_topic_options(topics, view.guess)}</select>
<label for="{prefix}-language">Sprache des Beispiels</label>
<select id="{prefix}-language" name="language">{_language_options(view.languages[0])}</select>
<button type="submit">Dem Thema zuordnen</button></form>
<form method="post" action="/console/unanswered/dismiss">{csrf_field(csrf)}
<input type="hidden" name="ids" value="{ids}">
<button type="submit">Verwerfen</button></form>
</section>"""


def unanswered(groups: Sequence[GroupView], topics: Sequence[TopicFile], csrf: str,
               retention_days: int) -> str:
    intro = f"""<p>Fragen, die der Assistent keinem Thema zuordnen konnte. Persönliche Daten sind vor dem
Speichern geschwärzt ([Name], [Telefon], [E-Mail], [IBAN], [Aktenzeichen], [Adresse], [Nummer]);
ähnliche Fragen sind zusammengefasst. Die Fragen werden nach {retention_days} Tagen gelöscht.</p>
<p>Ordnen Sie eine Gruppe einem Thema zu: Das Beispiel wird dann in die Themen-Datei geschrieben.
<strong>Ein neues Beispiel wirkt erst nach dem nächsten Training („Trainieren und veröffentlichen“).</strong>
Prüfen Sie das Beispiel vorher und ersetzen Sie Platzhalter wie [Name] durch allgemeine Wörter.
Fragen, die nicht hierher gehören, können Sie verwerfen.</p>"""
    if not groups:
        return intro + "<p>Zurzeit gibt es keine unbeantworteten Fragen.</p>"
    groups = sorted(groups, key=lambda v: (-v.count, -v.last_seen.toordinal()))
    total = sum(g.count for g in groups)
    body = "".join(_group(i, g, topics, csrf) for i, g in enumerate(groups[:MAX_GROUPS], 1))
    rest = (f"<p>Die übrigen {len(groups) - MAX_GROUPS} Gruppen erscheinen, sobald diese erledigt sind.</p>"
            if len(groups) > MAX_GROUPS else "")
    return f"{intro}<p>{total} Fragen in {len(groups)} Gruppen, die häufigsten zuerst.</p>{body}{rest}"
