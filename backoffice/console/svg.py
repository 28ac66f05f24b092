"""Bar charts as inline SVG, rendered on the server: no JavaScript, nothing for the CSP to allow.

Only presentation attributes (``fill``, ``font-size``), no ``style``: the
console's Content-Security-Policy has no ``'unsafe-inline'``. Each chart is
``role="img"`` with a title and a description; the page shows the same
numbers as a table next to it, which is what screen readers should use.
Every label is XML-escaped, so a chart is always well-formed XML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colour-blind safe (Okabe-Ito), each at least 3:1 against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9")
FONT = 12
EMPTY = "Keine Daten im gewählten Zeitraum."


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _x(value: object) -> str:
    return escape(str(value), quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _frame(title: str, width: int, height: int, body: str, series: Sequence[Series], chart_id: str) -> str:
    legend = "".join(
        f'<rect x="{8 + i * 150}" y="{height - 18}" width="12" height="12" fill="{_colour(i)}"/>'
        f'<text x="{24 + i * 150}" y="{height - 8}" font-size="{FONT}">{_x(s.name[:20])}</text>'
        for i, s in enumerate(series)) if len(series) > 1 else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'
            f'<title id="{chart_id}-t">{_x(title)}</title>'
            f'<desc id="{chart_id}-d">Die Zahlen stehen in der Tabelle unter dem Diagramm.</desc>'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>{body}{legend}</svg>')


def _empty(title: str, chart_id: str) -> str:
    return _frame(title, 480, 60, f'<text x="8" y="34" font-size="{FONT}">{EMPTY}</text>', (), chart_id)


def column_chart(title: str, labels: Sequence[str], series: Sequence[Series], chart_id: str,
                 unit: str = "") -> str:
    """Vertical bars, grouped per label (days on the x axis); every bar has its value as a tooltip."""
    peak = max((v for s in series for v in s.values), default=0)
    if not labels or peak <= 0:
        return _empty(title, chart_id)
    group = max(14, 6 * len(series) + 8)
    left, top, plot_h = 44, 12, 180
    width = left + group * len(labels) + 12
    height = top + plot_h + 60 + (22 if len(series) > 1 else 0)
    parts = [f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#444"/>',
             f'<text x="{left - 4}" y="{top + 8}" font-size="{FONT}" text-anchor="end">'
             f"{_number(peak)}{_x(unit)}</text>"
             f'<text x="{left - 4}" y="{top + plot_h}" font-size="{FONT}" text-anchor="end">0</text>']
    bar = max(3, (group - 8) // max(1, len(series)))
    step = max(1, len(labels) // 12)  # at most about 12 axis labels
    for i, label in enumerate(labels):
        x0 = left + i * group + 4
        for j, s in enumerate(series):
            value = s.values[i]
            h = round(plot_h * value / peak)
            parts.append(f'<rect x="{x0 + j * bar}" y="{top + plot_h - h}" width="{bar - 1}" height="{h}" '
                         f'fill="{_colour(j)}"><title>{_x(label)}, {_x(s.name)}: '
                         f"{_number(value)}{_x(unit)}</title></rect>")
        if i % step == 0:
            parts.append(f'<text x="{x0}" y="{top + plot_h + 14}" font-size="{FONT - 2}" '
                         f'transform="rotate(45 {x0} {top + plot_h + 14})">{_x(label)}</text>')
    return _frame(title, width, height, "".join(parts), series, chart_id)


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], chart_id: str,
              unit: str = "") -> str:
    """Horizontal bars, one row per label (topics, request types), values written at the bars."""
    peak = max((v for s in series for v in s.values), default=0)
    if not labels or peak <= 0:
        return _empty(title, chart_id)
    left, plot_w, row = 220, 320, 6 + 16 * len(series)
    width = left + plot_w + 70
    height = 12 + row * len(labels) + (26 if len(series) > 1 else 4)
    parts = []
    for i, label in enumerate(labels):
        y0 = 12 + i * row
        parts.append(f'<text x="{left - 6}" y="{y0 + 12}" font-size="{FONT}" text-anchor="end">'
                     f"{_x(label[:34])}</text>")
        for j, s in enumerate(series):
            value = s.values[i]
            w = round(plot_w * value / peak)
            y = y0 + j * 16
            tip = f"{_x(label)}, {_x(s.name)}: {_number(value)}{_x(unit)}"
            parts.append(f'<rect x="{left}" y="{y}" width="{w}" height="14" fill="{_colour(j)}">'
                         f"<title>{tip}</title></rect>"
                         f'<text x="{left + w + 4}" y="{y + 11}" font-size="{FONT}">'
                         f"{_number(value)}{_x(unit)}</text>")
    return _frame(title, width, height, "".join(parts), series, chart_id)
