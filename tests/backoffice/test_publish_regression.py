"""The regression decision, the model registry and the readers of the training steps' output."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from backoffice.publish import registry
from backoffice.publish.regression import CHECKED, NLU, decide
from backoffice.publish.training import StepFailed, epoch_watcher, passed_share

SERVICE = {"de_acc": 0.92, "other_acc": 0.80, "oos_rejected": 0.85, "conversations": 1.0}


@pytest.mark.parametrize(("change", "accepted", "failing"), [
    ({}, True, []),
    ({"de_acc": 0.90}, True, []),  # exactly 2 points down: allowed
    ({"de_acc": 0.8999}, False, ["de_acc"]),
    ({"other_acc": 0.77}, False, ["other_acc"]),
    ({"oos_rejected": 0.82}, False, ["oos_rejected"]),
    ({"conversations": 0.97}, False, ["conversations"]),
    ({"de_acc": 0.99, "oos_rejected": 0.99}, True, []),  # better is always fine
    ({"de_acc": 0.5, "other_acc": 0.5}, False, ["de_acc", "other_acc"]),
])
def test_a_drop_beyond_the_allowed_points_refuses(change, accepted, failing) -> None:
    decision = decide({**SERVICE, **change}, SERVICE, 2.0)
    assert decision.accepted is accepted
    assert [row.key for row in decision.rows if not row.ok] == failing
    assert len(decision.reasons) == len(failing)


def test_the_reason_names_the_figure_and_both_values() -> None:
    decision = decide({**SERVICE, "oos_rejected": 0.70}, SERVICE, 2.0)
    assert decision.reasons == (
        "Fachfremde Fragen abgelehnt: 85,0 % → 70,0 % (−15,0 Punkte, erlaubt sind 2,0)",)
    row = next(r for r in decision.rows if r.key == "oos_rejected")
    assert (row.service, row.candidate, row.drop) == (0.85, 0.70, 15.0)


def test_the_allowed_drop_is_a_setting() -> None:
    assert decide({**SERVICE, "de_acc": 0.87}, SERVICE, 5.0).accepted
    assert not decide({**SERVICE, "de_acc": 0.92 - 0.0001}, SERVICE, 0.0).accepted


def test_a_figure_not_measured_refuses_and_no_baseline_only_needs_completeness() -> None:
    missing = decide({k: v for k, v in SERVICE.items() if k != "conversations"}, SERVICE, 2.0)
    assert not missing.accepted and missing.reasons == ("Gesprächstests bestanden: nicht gemessen",)
    assert decide(dict.fromkeys(CHECKED, 0.1), None, 2.0).accepted
    assert decide({**SERVICE, "de_acc": 0.5}, {}, 2.0).accepted  # the adopted model has no figures


def test_the_early_nlu_decision_looks_only_at_the_nlu_figures() -> None:
    nlu_only = {k: SERVICE[k] for k in NLU}
    assert decide(nlu_only, SERVICE, 2.0, NLU).accepted
    assert [r.key for r in decide(nlu_only, SERVICE, 2.0, NLU).rows] == list(NLU)
    assert set(CHECKED) == {*NLU, "conversations"}


def _entry(name: str) -> registry.ModelEntry:
    return registry.ModelEntry(name, f"/models/{name}", {"de_acc": 0.9}, "redakteurin",
                               "2026-11-30T12:00:00+00:00")


def test_registry_keeps_the_previous_model_and_rollback_swaps(tmp_path: Path) -> None:
    path = tmp_path / "run" / "models.json"
    assert registry.load(path) == registry.Registry()
    reg = registry.Registry()
    with pytest.raises(LookupError):
        reg.rollback()
    reg.publish(_entry("a.tar.gz"))
    reg.publish(_entry("b.tar.gz"))
    reg.record(registry.Event("2026-11-30T12:00:00+00:00", "redakteurin", "published", "b.tar.gz"))
    registry.save(path, reg)
    loaded = registry.load(path)
    assert loaded == reg
    assert (loaded.in_service.name, loaded.previous.name) == ("b.tar.gz", "a.tar.gz")
    assert loaded.rollback().name == "a.tar.gz"
    assert (loaded.in_service.name, loaded.previous.name) == ("a.tar.gz", "b.tar.gz")
    assert [p.name for p in path.parent.iterdir()] == ["models.json"]  # no temporary file left


def test_epoch_counter_and_end_of_training_are_read_from_rasas_output() -> None:
    seen: list[tuple[int, int]] = []
    trained: list[bool] = []

    async def on_epoch(epoch: int, epochs: int) -> None:
        seen.append((epoch, epochs))

    async def on_trained() -> None:
        trained.append(True)

    watch = epoch_watcher(on_epoch, on_trained)
    lines = ["Epochs:   0%|          | 0/40 [00:00<?, ?it/s]",
             "Epochs:  33%|███▎      | 13/40 [00:21<00:42, 1.42s/it, t_loss=11.3, r_acc=0.242]",
             "2026-11-30 INFO rasa.engine.training.hooks - Finished training component 'DIETClassifier'.",
             "\x1b[92mYour Rasa model is trained and saved at '/x/eval-1.tar.gz'.\x1b[0m"]

    async def feed() -> None:
        for line in lines:
            await watch(line)

    asyncio.run(feed())
    assert seen == [(0, 40), (13, 40)] and trained == [True]


def test_conversation_share_counts_failures_errors_and_skips_against(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text('<testsuites><testsuite name="pytest" tests="50" failures="2" errors="1" skipped="2">'
                      "</testsuite></testsuites>", encoding="utf-8")
    assert passed_share(report) == 0.9
    report.write_text('<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>',
                      encoding="utf-8")
    with pytest.raises(StepFailed):
        passed_share(report)
