"""The analytics page (roles editor or admin): charts and tables for a date range, each table as CSV.

``GET /console/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD`` (default: the last
30 days) and ``GET /console/analytics/<table>.csv`` with the same range.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date, timedelta

from aiohttp import web

from backoffice.console import pages, svg
from backoffice.console.analytics_data import Table, requests_by_kind, tables, topic_titles
from backoffice.console.context import Console, Stop, html
from backoffice.console.pages import e
from backoffice.models import User
from channels import analytics
from channels.keys import Keys

ROLES = ("editor", "admin")
DEFAULT_DAYS = 30
TOP_TOPICS = 10


class RangeError(ValueError):
    """A date range staff must correct; the message is for them."""


def parse_range(query: Mapping[str, str], today: date) -> tuple[date, date]:
    """``from``/``to`` of the query string; default the last 30 days up to ``today``."""
    try:
        end = date.fromisoformat(query.get("to") or today.isoformat())
        start = date.fromisoformat(query.get("from") or (end - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
    except ValueError as exc:
        raise RangeError("Bitte geben Sie die Daten im Format JJJJ-MM-TT an.") from exc
    if start > end:
        raise RangeError("Das Startdatum liegt nach dem Enddatum.")
    if (end - start).days + 1 > analytics.MAX_DAYS:
        raise RangeError(f"Bitte wählen Sie höchstens {analytics.MAX_DAYS} Tage.")
    return start, end


def _charts(by_name: dict[str, Table]) -> dict[str, str]:
    traffic, quality = by_name["traffic"], by_name["quality"]
    days = [row[0] for row in quality.rows]
    channels = list(dict.fromkeys(str(row[1]) for row in traffic.rows))

    def per_channel(column: int) -> list[svg.Series]:
        values = {(row[0], row[1]): float(row[column]) for row in traffic.rows}
        return [svg.Series(c, [values.get((d, c), 0.0) for d in days]) for c in channels]

    short = [str(d)[5:] for d in days]  # MM-DD on the axis; the table has the full date
    topics = by_name["topics"].rows[:TOP_TOPICS]
    requests, votes = by_name["requests"].rows, by_name["feedback"].rows
    return {
        "traffic": svg.column_chart("Nachrichten pro Tag und Kanal", short, per_channel(3), "c-msgs")
        + svg.column_chart("Gespräche pro Tag und Kanal", short, per_channel(2), "c-conv"),
        "quality": svg.column_chart(
            "Anteil nicht verstanden und Übergabequote pro Tag", short,
            [svg.Series("Nicht verstanden", [float(r[3]) for r in quality.rows]),
             svg.Series("Übergabequote", [float(r[6]) for r in quality.rows])], "c-quality", unit=" %"),
        "topics": svg.bar_chart("Häufigste Themen", [str(r[0]) for r in topics],
                                [svg.Series("Antworten", [float(r[2]) for r in topics])], "c-topics"),
        "requests": svg.bar_chart("Anliegen pro Art", [str(r[1]) for r in requests],
                                  [svg.Series("Anliegen", [float(r[2]) for r in requests])], "c-requests"),
        "feedback": svg.bar_chart("War das hilfreich?", [str(r[0]) for r in votes],
                                  [svg.Series("Ja", [float(r[2]) for r in votes]),
                                   svg.Series("Nein", [float(r[3]) for r in votes])], "c-feedback"),
    }


def _table_html(table: Table, query: str) -> str:
    head = "".join(f'<th scope="col">{e(c)}</th>' for c in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{e(v)}</td>" for v in row) + "</tr>" for row in table.rows)
    body = (f"<table><caption>{e(table.caption)}</caption><tr>{head}</tr>{rows}</table>" if table.rows
            else f"<p>{e(svg.EMPTY)}</p>")
    return (f'{body}<p><a href="/console/analytics/{e(table.name)}.csv?{e(query)}" download>'
            f"{e(table.caption)} als CSV herunterladen</a></p>")


def page_body(all_tables: list[Table], start: date, end: date) -> str:
    query = f"from={start.isoformat()}&to={end.isoformat()}"
    by_name = {t.name: t for t in all_tables}
    charts = _charts(by_name)
    headings = {"traffic": "Nutzung", "quality": "Nicht verstanden und Übergaben", "topics": "Themen",
                "requests": "Anliegen", "feedback": "Hilfreich?"}
    sections = "".join(
        f'<section aria-labelledby="h-{name}"><h2 id="h-{name}">{e(title)}</h2>'
        f'<figure class="chart">{charts[name]}</figure>{_table_html(by_name[name], query)}</section>'
        for name, title in headings.items())
    form = (f'<form method="get" action="/console/analytics" class="range">'
            f'<label for="from">Von</label>'
            f'<input id="from" name="from" type="date" value="{start.isoformat()}">'
            f'<label for="to">Bis</label><input id="to" name="to" type="date" value="{end.isoformat()}">'
            '<button type="submit">Anzeigen</button></form>')
    return (f"{form}<p>Zeitraum {start.strftime('%d.%m.%Y')} bis {end.strftime('%d.%m.%Y')}. Nur Zählwerte: "
            "keine Nachrichtentexte, keine Kennungen.</p>" + sections)


def _csv(table: Table, start: date, end: date) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    name = f"auswertung-{table.name}-{start.isoformat()}-{end.isoformat()}.csv"
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def routes(console: Console) -> list[web.RouteDef]:
    keys = Keys(console.config.redis_prefix)

    async def require(request: web.Request) -> tuple[User, str]:
        user, session = await console.require(request, role=None)
        if not set(ROLES) & set(user.roles.split(",")):
            raise Stop(html(pages.page("Keine Berechtigung", "<p>Die Auswertung sehen Konten mit der Rolle "
                                       "editor oder admin.</p>", user, session.csrf), 403))
        return user, session.csrf

    async def load(request: web.Request, user: User, csrf: str) -> tuple[list[Table], date, date]:
        try:
            start, end = parse_range(request.query, analytics.local_day(console.clock()))
        except RangeError as exc:
            raise Stop(html(pages.page("Auswertung", "", user, csrf, error=str(exc)), 400)) from exc
        report = await analytics.read(console.redis, keys, start, end)
        requests = await console.db(lambda s: requests_by_kind(s, start, end))
        return tables(report, requests, topic_titles()), start, end

    async def show(request: web.Request) -> web.StreamResponse:
        user, csrf = await require(request)
        found, start, end = await load(request, user, csrf)
        return html(pages.page("Auswertung", page_body(found, start, end), user, csrf))

    async def export(request: web.Request) -> web.StreamResponse:
        user, csrf = await require(request)
        found, start, end = await load(request, user, csrf)
        table = next((t for t in found if t.name == request.match_info["table"]), None)
        if table is None:
            return html(pages.page("Auswertung", "", user, csrf, error="Diese Tabelle gibt es nicht."), 404)
        return _csv(table, start, end)

    return [web.get("/console/analytics", show), web.get(r"/console/analytics/{table:[a-z]+}.csv", export)]
