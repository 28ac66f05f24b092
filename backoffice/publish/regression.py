"""The regression decision: may a candidate model replace the one in service?

Pure and table-tested (tests/backoffice/test_publish_regression.py). Every
figure is a share in [0, 1] where higher is better; a candidate is refused
when any of them dropped by more than ``max_drop_points`` percentage points
against the model in service, or when a figure could not be measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Figure key -> label shown to editors. Accuracy (German and other languages),
# out-of-scope rejection (scripts/eval_nlu.py) and the conversation tests.
CHECKED: dict[str, str] = {
    "de_acc": "Treffsicherheit Deutsch",
    "other_acc": "Treffsicherheit andere Sprachen",
    "oos_rejected": "Fachfremde Fragen abgelehnt",
    "conversations": "Gesprächstests bestanden",
}


@dataclass(frozen=True)
class Row:
    """One figure side by side; ``drop`` in percentage points (positive = worse)."""

    key: str
    label: str
    service: float | None
    candidate: float | None
    drop: float | None
    ok: bool


@dataclass(frozen=True)
class Decision:
    accepted: bool
    rows: tuple[Row, ...]
    reasons: tuple[str, ...]


def _points(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


NLU = ("de_acc", "other_acc", "oos_rejected")


def decide(candidate: Mapping[str, float], service: Mapping[str, float] | None,
           max_drop_points: float, keys: Iterable[str] = tuple(CHECKED)) -> Decision:
    """Compare the figures ``keys`` (default: all); without a model in service only
    completeness counts. The NLU figures alone decide early, before the costlier steps."""
    rows: list[Row] = []
    reasons: list[str] = []
    for key in keys:
        label = CHECKED[key]
        new = candidate.get(key)
        old = service.get(key) if service else None
        if new is None:
            rows.append(Row(key, label, old, None, None, False))
            reasons.append(f"{label}: nicht gemessen")
            continue
        if old is None:
            rows.append(Row(key, label, None, new, None, True))
            continue
        drop = round((old - new) * 100, 2)
        ok = drop <= max_drop_points
        rows.append(Row(key, label, old, new, drop, ok))
        if not ok:
            reasons.append(f"{label}: {_points(old * 100)} % → {_points(new * 100)} % "
                           f"(−{_points(drop)} Punkte, erlaubt sind {_points(max_drop_points)})")
    return Decision(not reasons, tuple(rows), tuple(reasons))
