"""What `make bench-scale` counts as lost, duplicated and out of order (scripts/bench_scale_load.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from bench_scale import violations  # noqa: E402
from bench_scale_load import Sent, account  # noqa: E402


def sent(user: str, n: int, acked: bool = True) -> Sent:
    return Sent(user, f"m{n}", f"mid{n}", due=float(n), first_try=float(n), acked=acked, attempts=1)


def test_a_clean_run_has_nothing_to_report() -> None:
    messages = [sent("a", 0), sent("b", 1), sent("a", 2)]
    arrivals = {"mid0": [("0", 1.0), ("1", 1.1)], "mid1": [("0", 1.5), ("1", 1.6)],
                "mid2": [("0", 2.5), ("1", 2.6)]}
    figures = account(messages, arrivals)
    assert (figures["lost"], figures["duplicated"], figures["order_violations"]) == (0, 0, 0)
    assert figures["sent"] == 3
    assert figures["reply_p99_ms"] == 1100.0  # mid0: sent at 0, last item at 1.1


def test_lost_duplicated_and_out_of_order_are_each_counted() -> None:
    messages = [sent("a", 0), sent("a", 1), sent("a", 2), sent("b", 3), sent("c", 4, acked=False)]
    arrivals = {
        "mid0": [("0", 5.0), ("1", 5.1)],
        "mid1": [("0", 4.0), ("1", 4.1), ("1", 6.0)],  # before mid0's reply, and item 1 twice
        "mid2": [("0", 7.0)],
        # mid3 acknowledged but never answered; mid4 never acknowledged (the channel gave up)
    }
    figures = account(messages, arrivals)
    assert figures["lost"] == 2
    assert figures["duplicated"] == 1
    # mid1 began before mid0 had fully arrived; mid2 began (7.0) after mid1's last item (6.0)
    assert figures["order_violations"] == 1


def test_other_conversations_may_overtake() -> None:
    messages = [sent("a", 0), sent("b", 1)]
    arrivals = {"mid0": [("0", 9.0)], "mid1": [("0", 2.0)]}
    assert account(messages, arrivals)["order_violations"] == 0


def _run(gateways: int, rasa: int, lost: int = 0, duplicated: int = 0, order: int = 0) -> dict[str, int]:
    return {"gateways": gateways, "rasa": rasa, "msgs_per_s": 5, "reply_p99_ms": 900, "lost": lost,
            "duplicated": duplicated, "order_violations": order, "sent": 100}


def test_bench_scale_fails_on_any_lost_duplicated_or_reordered_message() -> None:
    clean = {"setups": [_run(1, 1), _run(2, 2)], "rolling_restart": _run(2, 2)}
    assert violations(clean) == []
    assert violations({"setups": [_run(1, 1), _run(2, 2, duplicated=1)]}) == [
        "setup 2 gateway(s) + 2 Rasa: duplicated 1"]
    assert violations({"setups": [_run(1, 1, lost=2, order=1)], "rolling_restart": _run(2, 2, order=3)}) == [
        "setup 1 gateway(s) + 1 Rasa: lost 2, order_violations 1",
        "rolling restart 2 gateway(s) + 2 Rasa: order_violations 3"]
