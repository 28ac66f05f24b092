"""How `make chaos` matches answers to messages and counts (scripts/chaos_account.py)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from chaos_account import Fault, Received, account, delivery_key  # noqa: E402
from chaos_load import Message  # noqa: E402

from channels.messages import Channel  # noqa: E402


def message(n: int, channel: Channel = Channel.TELEGRAM, conversation: int = 0,
            acked: bool = True) -> Message:
    return Message(f"{channel.value}-{conversation}", f"c{n}", f"mid{n}", due=float(n), first_try=float(n),
                   acked=acked, attempts=1, channel=channel, conversation=conversation,
                   acked_at=float(n) if acked else None)


def got(at: float, text: str = "Antwort", to: str = "7000000") -> Received:
    return Received(to, text, at)


def test_answers_are_matched_by_the_delivery_record() -> None:
    messages = [message(0), message(1), message(2, Channel.WEBCHAT, 2)]
    records = {"mid0": {"g0": "11", "0": "12"}, "mid1": {"0": "13"}, "mid2": {"0": "5"}}
    received = {delivery_key(Channel.TELEGRAM, 0, "11"): got(0.5, "Datenschutz"),
                delivery_key(Channel.TELEGRAM, 0, "12"): got(0.9),
                delivery_key(Channel.TELEGRAM, 0, "13"): got(1.4, "Andere Antwort"),
                delivery_key(Channel.WEBCHAT, 2, "5"): got(2.2, "", "2")}
    figures = account(messages, records, received, [])
    assert figures == {"accepted": 3, "answered_once": 3, "answered_twice": 0, "lost": 0,
                       "order_violations": 0, "reply_p99_ms_outside_faults": 900.0}


def test_a_repeated_send_lost_reply_and_overtaking_reply_are_each_counted() -> None:
    messages = [message(0), message(1), message(2), message(3, acked=False), message(4, conversation=1)]
    records = {"mid0": {"0": "11"}, "mid1": {"0": "12"}, "mid2": {"0": "13"}}
    received = {delivery_key(Channel.TELEGRAM, 0, "11"): got(5.0, "A"),
                delivery_key(Channel.TELEGRAM, 0, "12"): got(4.0, "B"),  # before mid0's answer
                delivery_key(Channel.TELEGRAM, 0, "10"): got(3.9, "B"),  # sent twice; no record names it
                delivery_key(Channel.TELEGRAM, 0, "13"): got(6.0, "C"),
                delivery_key(Channel.TELEGRAM, 0, "99"): got(6.5, "nobody's")}
    figures = account(messages, records, received, [])
    assert figures["accepted"] == 4
    assert figures["answered_twice"] == 2  # mid1, and the repeat that matches no answer
    assert figures["answered_once"] == 2
    assert figures["lost"] == 2  # mid4 acknowledged, never answered; mid3 never acknowledged
    assert figures["order_violations"] == 1


def test_replies_that_meet_a_fault_window_are_left_out_of_the_p99() -> None:
    messages = [message(0), message(10, conversation=1), message(20, conversation=2)]
    records = {"mid0": {"0": "1"}, "mid10": {"0": "2"}, "mid20": {"0": "3"}}
    received = {delivery_key(Channel.TELEGRAM, 0, "1"): got(0.5, to="a"),
                delivery_key(Channel.TELEGRAM, 0, "2"): got(19.0, to="b"),  # waited through the fault
                delivery_key(Channel.TELEGRAM, 0, "3"): got(20.7, to="c")}
    figures = account(messages, records, received, [Fault("rasa", 12.0, 18.0)])
    # mid10's way (10 .. 19) meets the window 12 .. 28; mid20 was sent inside it
    assert figures["reply_p99_ms_outside_faults"] == 500.0
