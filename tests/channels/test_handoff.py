"""Handoff state in real Redis: queue positions, atomic take, release, transcript, call-back offers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from channels import handoff_texts
from channels.handoff import Handoffs, State
from channels.handoff_gate import is_release_text
from channels.keys import Keys
from channels.messages import Text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RECEIVED, RELEASED = handoff_texts.RECEIVED["de"], handoff_texts.RELEASED["de"]


def _handoffs(rdb, prefix: str, ttl_s: int = 3600) -> Handoffs:
    return Handoffs(rdb, Keys(prefix), ttl_s)


async def test_request_queues_in_order_and_is_idempotent(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix)
    assert await handoffs.request("c1", "test", "de", "kfz_zulassung", "asked", T0) == 1
    assert await handoffs.request("c2", "sms", "en", None, "button", T0 + timedelta(seconds=5)) == 2
    assert await handoffs.request("c1", "test", "de", None, "asked", T0 + timedelta(seconds=9)) == 1
    waiting = await handoffs.waiting()
    assert [h.conversation for h in waiting] == ["c1", "c2"]
    assert waiting[0].since == T0 and waiting[0].topic == "kfz_zulassung"
    assert waiting[0].state is State.WAITING
    assert waiting[1].language == "en" and waiting[1].topic is None


async def test_concurrent_takes_have_exactly_one_winner(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix)
    await handoffs.request("c1", "test", "de", None, "asked", T0)
    results = await asyncio.gather(*(handoffs.take("c1", f"staff{i}") for i in range(8)))
    winners = [r for r in results if r.ok]
    assert len(winners) == 1
    assert {r.holder for r in results} == {winners[0].holder}  # losers learn who has it
    held = await handoffs.get("c1")
    assert held is not None and held.state is State.HELD and held.staff == winners[0].holder
    assert await handoffs.waiting() == []
    assert [h.conversation for h in await handoffs.held()] == ["c1"]


async def test_take_of_an_ended_handoff_says_so(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix)
    taken = await handoffs.take("nobody", "staff1")
    assert not taken.ok and taken.holder is None
    assert not await rdb.exists(f"{prefix}:handoff:nobody")


async def test_release_ends_everything_and_keeps_the_transcript_briefly(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix)
    await handoffs.request("c1", "test", "de", None, "asked", T0)
    await handoffs.take("c1", "anna")
    assert await handoffs.log_citizen("c1", "m1", "Hallo?") is False  # held: no acknowledgement
    released = await handoffs.release("c1")
    assert released is not None and released.staff == "anna"
    assert await handoffs.get("c1") is None and await handoffs.held() == []
    assert 0 < await rdb.ttl(f"{prefix}:handoff:log:c1") <= 3600
    assert await handoffs.release("c1") is None
    assert await handoffs.log_citizen("c1", "m2", "noch da?") is None  # goes to the bot now


async def test_citizen_lines_are_logged_once_and_acknowledged_once(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix)
    await handoffs.request("c1", "test", "de", None, "asked", T0)
    assert await handoffs.log_citizen("c1", "m1", "erste") is True
    assert await handoffs.log_citizen("c1", "m1", "erste") is True  # a reprocessed message: same answer
    assert await handoffs.log_citizen("c1", "m2", "zweite") is False
    assert await handoffs.log("c1", "staff", "Guten Tag!", staff="anna") is True
    lines = await handoffs.transcript("c1")
    assert [(line.who, line.staff, line.text) for line in lines] == [
        ("citizen", None, "erste"), ("citizen", None, "zweite"), ("staff", "anna", "Guten Tag!")]


async def test_a_forgotten_handoff_expires_and_leaves_the_lists(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix, ttl_s=1)
    await handoffs.request("c1", "test", "de", None, "asked", T0)
    await asyncio.sleep(2.1)
    assert await handoffs.waiting() == []
    assert await rdb.zcard(f"{prefix}:handoff:queue") == 0


async def test_callback_offer_is_marked_once(rdb, prefix) -> None:
    handoffs = _handoffs(rdb, prefix)
    assert not await handoffs.mark_callback_offered("gone")
    assert not await rdb.exists(f"{prefix}:handoff:gone")
    await handoffs.request("c1", "test", "de", None, "asked", T0)
    results = await asyncio.gather(*(handoffs.mark_callback_offered("c1") for _ in range(5)))
    assert results.count(True) == 1


def test_release_phrases() -> None:
    for text in ("zurück zum Bot", "Zurück zum Bot!", "  zurueck   zum bot ", "back to the bot"):
        assert is_release_text(text), text
    for text in ("Ich will nicht zurück zum Bot", "Bot", None, ""):
        assert not is_release_text(text), text


async def test_sms_menu_numbers_of_the_callback_offer_work_while_waiting(rdb, prefix) -> None:
    from channels.dialogue import Offers
    from channels.handoff_gate import HandoffGate
    from channels.handoff_watch import offer
    from channels.messages import Channel, InboundMessage, QueuedMessage

    keys = Keys(prefix)
    handoffs, offers = _handoffs(rdb, prefix), Offers(rdb, keys, 3600)
    gate = HandoffGate(handoffs, offers)

    async def german() -> str:
        return "de"

    def sms(mid: str, text: str) -> QueuedMessage:
        return QueuedMessage("c1", mid, InboundMessage(Channel.SMS, "+4915100000000", mid, text=text))

    await handoffs.request("c1", "sms", "de", None, "asked", T0)
    await offers.remember("c1", [offer("de")], numbered=True)  # 1 = Rückruf, 2 = zurück zum Bot
    assert await gate.route(sms("m1", "3"), True, german) == [Text(RECEIVED)]  # not a menu entry: logged
    assert await gate.route(sms("m2", "1"), True, german) is None  # the call-back form runs in the core
    assert await handoffs.get("c1") is None
    await handoffs.request("c1", "sms", "de", None, "asked", T0)
    assert await gate.route(sms("m3", "2"), True, german) == [Text(RELEASED)]
    assert await handoffs.get("c1") is None
    assert await gate.route(sms("m4", "2"), True, german) is None  # no handoff: the core maps "2" itself
