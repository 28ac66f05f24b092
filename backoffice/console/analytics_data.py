"""The analytics page's tables: aggregates of a date range, the same rows for the page and the CSV.

Usage figures come from the gateway's daily counters in Redis
(``channels/analytics.py``), requests per type from the cases table. Only
counts and rates: no texts, no conversation ids, no reference numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.console.citizen_texts import KIND_LABELS
from backoffice.models import Case
from channels.analytics import BERLIN, Report, channels_in

Cell = str | int | float
CATALOGUE = Path(__file__).resolve().parents[2] / "nlu_data" / "catalogue.yml"


@cache
def topic_titles() -> dict[str, str]:
    """Topic id -> German title from the content catalogue (ids are the public keys)."""
    with CATALOGUE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {str(t["id"]): str(t.get("title", "")) for t in data.get("topics", [])}


@dataclass(frozen=True)
class Table:
    name: str  # also the CSV's route: /console/analytics/<name>.csv
    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def requests_by_kind(session: Session, start: date, end: date) -> list[tuple[str, int]]:
    """Cases created in ``start`` .. ``end`` (local days) per kind, most first."""
    # in UTC, as the case service stores times (SQLite compares them as text)
    since = datetime.combine(start, time.min, BERLIN).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, BERLIN).astimezone(UTC)
    count = func.count(Case.id)
    query = (select(Case.kind, count).where(Case.created_at >= since, Case.created_at < until)
             .group_by(Case.kind).order_by(count.desc(), Case.kind))
    return [(kind, int(n)) for kind, n in session.execute(query)]


def tables(report: Report, requests: Sequence[tuple[str, int]], topic_titles: dict[str, str]) -> list[Table]:
    channels = channels_in(report)
    traffic = [(d.day.isoformat(), c, d.conversations.get(c, 0), d.messages.get(c, 0))
               for d in report.per_day for c in channels if d.conversations.get(c) or d.messages.get(c)]
    quality = []
    for d in report.per_day:
        conversations = sum(d.conversations.values())
        quality.append((d.day.isoformat(), d.turns, d.fallbacks, _rate(d.fallbacks, d.turns), conversations,
                        d.handoffs, _rate(d.handoffs, conversations)))
    return [
        Table("traffic", "Gespräche und Nachrichten pro Tag und Kanal",
              ("Tag", "Kanal", "Gespräche", "Nachrichten"), traffic),
        Table("quality", "Nicht verstanden und an Mitarbeitende übergeben, pro Tag",
              ("Tag", "Antworten des Assistenten", "Nicht verstanden", "Nicht verstanden (%)", "Gespräche",
               "Wunsch nach Mitarbeitenden", "Übergabequote (%)"), quality),
        Table("topics", "Häufigste Themen (Antworten pro Thema)", ("Thema", "Titel", "Antworten"),
              [(t, topic_titles.get(t, ""), n) for t, n in report.topics.items()]),
        Table("requests", "Anliegen pro Art", ("Art", "Bezeichnung", "Anliegen"),
              [(kind, KIND_LABELS.get(kind, kind), n) for kind, n in requests]),
        Table("feedback", "War das hilfreich? Stimmen pro Thema",
              ("Thema", "Titel", "Ja", "Nein", "Hilfreich (%)"),
              [(t, topic_titles.get(t, ""), yes, no, _rate(yes, yes + no))
               for t, (yes, no) in report.votes.items()]),
    ]
