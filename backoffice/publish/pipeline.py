"""Train, check, publish; and roll back. One run at a time (``progress.PublishState``).

Publish: the model trained on the committed split is evaluated first
(``scripts/eval_nlu.py``), and a drop beyond ``PUBLISH_MAX_DROP_POINTS``
refuses the candidate before the costlier steps; then the candidate is trained
on all examples, the conversation tests run against it, all figures are
compared with those of the model in service, and a passing model is loaded
into every Rasa server in turn (``rollout.py``). The registry keeps the model
it replaced; rollback loads that one the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from backoffice.publish import registry, training
from backoffice.publish.progress import Outcome, Phase, Progress, PublishState
from backoffice.publish.regression import NLU, Decision, decide
from backoffice.publish.rollout import Rollout, RolloutError
from backoffice.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Publisher:
    def __init__(self, settings: Settings, redis: aioredis.Redis, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.state = PublishState(redis, settings.gateway_redis_prefix)
        self._clock = clock

    def registry(self) -> registry.Registry:
        return registry.load(self.settings.model_registry_path)

    async def start(self, action: str, user: str) -> asyncio.Task[Progress]:
        """Take the lock now (``Busy`` when taken), then run ``action`` in the background."""
        work = {"publish": self.publish, "rollback": self.rollback}[action]
        stack = AsyncExitStack()
        await stack.enter_async_context(self.state.lock())
        # Visible as running at once, before the task first runs (a page shown right after the start).
        await self.state.update(running=True, action=action, user=user, outcome=None, reasons=[], rows=[],
                                detail="", started_at=self._clock().isoformat(), finished_at="")

        async def run() -> Progress:
            async with stack:
                return await work(user)

        return asyncio.create_task(run(), name=f"model {action}")

    async def run(self, action: str, user: str) -> Progress:
        """The same in the foreground (CLI)."""
        return await (await self.start(action, user))

    # -- publish ---------------------------------------------------------------------------------

    async def publish(self, user: str) -> Progress:
        s = self.settings
        current = self.registry()
        await self._begin("publish", user, Phase.CHECK_TRAINING)
        work = training.Workspace(s.publish_work_dir / self._clock().strftime("%Y%m%dT%H%M%SZ"))
        try:
            if current.in_service is None:
                await self._adopt_running(current, user)
            baseline = current.in_service.figures if current.in_service else None
            on_nlu = training.epoch_watcher(self._epoch, lambda: self._phase(Phase.NLU_CHECK))
            figures: dict[str, float] = await training.evaluate_nlu(
                s.publish_topics_dir, s.publish_config, s.publish_work_dir / "eval", work, on_nlu)
            decision = decide(figures, baseline, s.publish_max_drop_points, NLU)
            if not decision.accepted:
                return await self._refused(user, decision, "")
            await self._phase(Phase.TRAINING)
            model = await training.train(s.publish_topics_dir, s.publish_config, s.publish_models_dir, work,
                                         training.epoch_watcher(self._epoch))
            await self._phase(Phase.CONVERSATIONS)
            figures["conversations"] = await training.conversation_tests(
                model, s.publish_conversation_tests, work, _ignore)
            decision = decide(figures, baseline, s.publish_max_drop_points)
            if not decision.accepted:
                return await self._refused(user, decision, model.name)
            await self._phase(Phase.ROLLOUT, rows=_rows(decision))
            return await self._go_live(current, model, figures, user, _rows(decision))
        except asyncio.CancelledError:
            await self._end(outcome=Outcome.FAILED, reasons=["Abgebrochen (der Dienst wurde beendet)."])
            raise
        except (training.StepFailed, RolloutError) as exc:
            return await self._failed(user, str(exc))
        except Exception as exc:  # the run must end visibly, whatever broke
            log.exception("model publish failed")
            return await self._failed(user, f"interner Fehler ({type(exc).__name__})")

    async def publish_checked(self, model: Path, figures: dict[str, float], user: str) -> Progress:
        """Put a model that passed its checks elsewhere into service (under the lock): the last
        step of :meth:`publish` alone."""
        async with self.state.lock():
            current = self.registry()
            await self._begin("publish", user, Phase.ROLLOUT)
            try:
                return await self._go_live(current, model, figures, user, [])
            except RolloutError as exc:
                return await self._failed(user, str(exc))

    async def _go_live(self, current: registry.Registry, model: Path, figures: dict[str, float], user: str,
                       rows: list[dict[str, Any]]) -> Progress:
        entry = registry.ModelEntry(model.name, str(model), figures, user, self._clock().isoformat())
        if current.in_service is not None and current.in_service.name == model.name:
            current.in_service = entry  # same inputs, same model: only the figures are new
        else:
            previous = Path(current.in_service.path) if current.in_service else None
            await self._rollout().apply(model, previous, self._detail)
            current.publish(entry)
        return await self._done(user, Outcome.PUBLISHED, model.name, current, rows=rows)

    # -- rollback --------------------------------------------------------------------------------

    async def rollback(self, user: str) -> Progress:
        current = self.registry()
        await self._begin("rollback", user, Phase.ROLLOUT)
        if current.previous is None or current.in_service is None:
            return await self._end(outcome=Outcome.FAILED, reasons=["Es gibt kein vorheriges Modell."])
        target = current.previous
        try:
            await self._rollout().apply(Path(target.path), Path(current.in_service.path), self._detail)
        except RolloutError as exc:
            return await self._failed(user, str(exc))
        current.rollback()
        return await self._done(user, Outcome.ROLLED_BACK, target.name, current)

    # -- helpers ---------------------------------------------------------------------------------

    def _rollout(self) -> Rollout:
        s = self.settings
        token = s.rasa_token.get_secret_value() if s.rasa_token else ""
        return Rollout(self._session, s.rasa_instances, token, s.publish_load_timeout_s)

    async def _adopt_running(self, current: registry.Registry, user: str) -> None:
        """First publish: the model the servers run now (``make run``'s) becomes the one in
        service, without figures, so that a rollback can return to it."""
        running = await self._rollout().serving()
        if running is not None and running.is_file():
            now = self._clock().isoformat()
            current.publish(registry.ModelEntry(running.name, str(running), {}, user, now))

    async def _begin(self, action: str, user: str, phase: Phase) -> None:
        self._session = aiohttp.ClientSession()
        await self.state.update(running=True, action=action, phase=phase, detail="", epoch=0, epochs=0,
                                round=0, user=user, started_at=self._clock().isoformat(), finished_at="",
                                outcome=None, reasons=[], rows=[])

    async def _end(self, **changes: Any) -> Progress:
        await self._session.close()
        return await self.state.update(running=False, phase=Phase.DONE,
                                       finished_at=self._clock().isoformat(), **changes)

    async def _phase(self, phase: Phase, **changes: Any) -> None:
        await self.state.update(phase=phase, epoch=0, epochs=0, round=0, detail="", **changes)

    async def _detail(self, text: str) -> None:
        await self.state.update(detail=text)

    async def _epoch(self, epoch: int, epochs: int) -> None:
        """Rasa trains several components one after another; a counter starting again is the next."""
        progress = self.state.current
        next_round = progress.round + 1 if epoch < progress.epoch or progress.round == 0 else progress.round
        if (epoch, epochs, next_round) != (progress.epoch, progress.epochs, progress.round):
            await self.state.update(epoch=epoch, epochs=epochs, round=next_round)

    async def _refused(self, user: str, decision: Decision, model: str) -> Progress:
        self._record(user, "refused", model or "(Prüfmodell)", "; ".join(decision.reasons))
        return await self._end(outcome=Outcome.REFUSED, reasons=list(decision.reasons), rows=_rows(decision))

    async def _failed(self, user: str, reason: str) -> Progress:
        log.error("model %s failed: %s", self.state.current.action, reason)
        self._record(user, "failed", "", reason)
        return await self._end(outcome=Outcome.FAILED, reasons=[f"Fehlgeschlagen: {reason}"])

    async def _done(self, user: str, outcome: Outcome, model: str, current: registry.Registry,
                    rows: list[dict[str, Any]] | None = None) -> Progress:
        self._record(user, outcome.value, model, "", current)
        return await self._end(outcome=outcome, detail=model, **({"rows": rows} if rows else {}))

    def _record(self, user: str, action: str, model: str, detail: str,
                current: registry.Registry | None = None) -> None:
        current = current or self.registry()
        current.record(registry.Event(self._clock().isoformat(), user, action, model, detail))
        registry.save(self.settings.model_registry_path, current)


def _rows(decision: Decision) -> list[dict[str, Any]]:
    return [asdict(row) for row in decision.rows]


async def _ignore(_: str) -> None:
    return None

