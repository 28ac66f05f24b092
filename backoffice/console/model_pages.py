"""HTML of the model page (/console/models): run progress, figures side by side, registry, history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from backoffice.console.pages import button_form, e, when
from backoffice.publish.progress import PHASE_LABELS, Outcome, Progress
from backoffice.publish.registry import Event, ModelEntry, Registry
from backoffice.publish.regression import CHECKED

OUTCOMES = {Outcome.PUBLISHED: "Das neue Modell ist in Betrieb.",
            Outcome.REFUSED: "Das neue Modell wurde abgelehnt: es versteht die Fragen schlechter als das "
                             "Modell in Betrieb. Das bisherige Modell bleibt in Betrieb.",
            Outcome.FAILED: "Der Lauf ist fehlgeschlagen. Das bisherige Modell bleibt in Betrieb.",
            Outcome.ROLLED_BACK: "Das vorherige Modell ist wieder in Betrieb."}
EVENTS = {"published": "veröffentlicht", "refused": "abgelehnt", "failed": "fehlgeschlagen",
          "rolled_back": "zurückgesetzt"}


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _at(iso: str) -> str:
    return when(datetime.fromisoformat(iso)) if iso else ""


def progress_html(progress: Progress) -> str:
    if not progress.running:
        return '<p role="status">Zurzeit läuft kein Training.</p>'
    epoch = (f"<li>Durchgang {progress.round}: Epoche <strong>{progress.epoch} von {progress.epochs}</strong>"
             f'<progress max="{progress.epochs}" value="{progress.epoch}"></progress></li>'
             if progress.epochs else "")
    detail = f"<li>{e(progress.detail)}</li>" if progress.detail else ""
    return (f'<div role="status" class="progress"><p>Läuft seit {e(_at(progress.started_at))}, gestartet von '
            f"{e(progress.user)}. Diese Seite aktualisiert sich von selbst.</p><ul>"
            f"<li>Schritt: <strong>{e(PHASE_LABELS[progress.phase])}</strong></li>{epoch}{detail}</ul></div>")


def _change(drop: float | None) -> str:
    return "–" if drop is None else f"{-drop or 0.0:+.1f} Punkte".replace(".", ",")  # no "-0,0"


def figures_table(rows: Sequence[Mapping[str, Any]]) -> str:
    verdicts = {True: "in Ordnung", False: "<strong>zu stark gesunken</strong>"}
    body = "".join(
        f'<tr{"" if row["ok"] else " class=overdue"}><th scope="row">{e(row["label"])}</th>'
        f"<td>{_percent(row['service'])}</td><td>{_percent(row['candidate'])}</td>"
        f"<td>{e(_change(row['drop']))}</td><td>{verdicts[bool(row['ok'])]}</td></tr>" for row in rows)
    return ('<table><caption>Kennzahlen im Vergleich</caption><tr><th scope="col">Kennzahl</th>'
            '<th scope="col">Modell in Betrieb</th><th scope="col">Neues Modell</th>'
            f'<th scope="col">Veränderung</th><th scope="col">Ergebnis</th></tr>{body}</table>')


def result_html(progress: Progress) -> str:
    if progress.running or progress.outcome is None:
        return ""
    bad = progress.outcome in (Outcome.REFUSED, Outcome.FAILED)
    reasons = "".join(f"<li>{e(r)}</li>" for r in progress.reasons)
    return (f'<section aria-labelledby="h-ergebnis"><h2 id="h-ergebnis">Letzter Lauf</h2>'
            f'<p class="{"alert" if bad else "ok"}" role="{"alert" if bad else "status"}">'
            f"{e(OUTCOMES[progress.outcome])}</p>"
            f"{f'<ul>{reasons}</ul>' if reasons else ''}"
            f"<p>Gestartet von {e(progress.user)} am {e(_at(progress.started_at))}, "
            f"beendet am {e(_at(progress.finished_at))}.</p>"
            f"{figures_table(progress.rows) if progress.rows else ''}</section>")


def _entry(title: str, entry: ModelEntry | None) -> str:
    if entry is None:
        return f"<h3>{e(title)}</h3><p>Keines.</p>"
    figures = "".join(f"<dt>{e(label)}</dt><dd>{_percent(entry.figures.get(key))}</dd>"
                      for key, label in CHECKED.items())
    return (f"<h3>{e(title)}</h3><dl><dt>Modell</dt><dd><code>{e(entry.name)}</code></dd>"
            f"<dt>Veröffentlicht von</dt><dd>{e(entry.published_by)}</dd>"
            f"<dt>Am</dt><dd>{e(_at(entry.published_at))}</dd>{figures}</dl>")


def _history(events: Sequence[Event]) -> str:
    if not events:
        return ""
    rows = "".join(f"<tr><td>{e(_at(ev.at))}</td><td>{e(ev.by)}</td><td>{e(EVENTS.get(ev.action, ev.action))}"
                   f"</td><td><code>{e(ev.model)}</code></td><td>{e(ev.detail)}</td></tr>" for ev in events)
    return ('<table><caption>Verlauf</caption><tr><th scope="col">Zeit</th><th scope="col">Wer</th>'
            '<th scope="col">Was</th><th scope="col">Modell</th><th scope="col">Hinweis</th></tr>'
            f"{rows}</table>")


def models_page(progress: Progress, registry: Registry, csrf: str) -> str:
    if progress.running:
        actions = "<p>Während eines Laufs sind Training und Rücksetzung gesperrt.</p>"
    else:
        actions = button_form("/console/models/publish", "Trainieren und veröffentlichen", csrf)
        if registry.previous is not None:
            actions += button_form("/console/models/rollback", "Vorheriges Modell wiederherstellen", csrf)
    return (f'<section aria-labelledby="h-lauf"><h2 id="h-lauf">Training und Prüfung</h2>'
            "<p>Das Training lernt die Beispiele aller Themen neu (einige Minuten). Danach wird geprüft, "
            "ob das neue Modell Fragen mindestens so gut versteht wie das Modell in Betrieb. Nur dann geht "
            "es in Betrieb, ohne dass eine Nachricht verloren geht; das bisherige Modell wird aufbewahrt.</p>"
            f"{progress_html(progress)}{actions}</section>{result_html(progress)}"
            f'<section aria-labelledby="h-modelle"><h2 id="h-modelle">Modelle</h2>'
            f"{_entry('In Betrieb', registry.in_service)}{_entry('Vorheriges Modell', registry.previous)}"
            f"{_history(registry.history)}</section>")
