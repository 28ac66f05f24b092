"""``python -m backoffice.publish [publish|rollback|status] [--user NAME]``; ``make publish`` / ``rollback``.

The same pipeline and lock as the console's buttons; progress is printed as
it changes. Exit code 0 published / rolled back, 1 refused or failed, 2 busy
or bad settings.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

import redis.asyncio as aioredis

from backoffice.publish.pipeline import Publisher
from backoffice.publish.progress import PHASE_LABELS, Busy, Outcome, Progress
from backoffice.settings import load

OUTCOME_LABELS = {Outcome.PUBLISHED: "veröffentlicht", Outcome.REFUSED: "abgelehnt",
                  Outcome.FAILED: "fehlgeschlagen", Outcome.ROLLED_BACK: "zurückgesetzt"}


def describe(progress: Progress) -> str:
    line = PHASE_LABELS[progress.phase]
    if progress.epochs:
        line += f" – Durchgang {progress.round}, Epoche {progress.epoch}/{progress.epochs}"
    if progress.detail:
        line += f" – {progress.detail}"
    return line


def report(progress: Progress) -> str:
    lines = [f"Ergebnis: {OUTCOME_LABELS[progress.outcome] if progress.outcome else 'offen'}"]
    for row in progress.rows:
        old = "–" if row["service"] is None else f"{row['service'] * 100:.1f} %"
        new = "–" if row["candidate"] is None else f"{row['candidate'] * 100:.1f} %"
        verdict = "ok" if row["ok"] else "ZU NIEDRIG"
        lines.append(f"  {row['label']:<34} in Betrieb {old:>8}   neu {new:>8}   {verdict}")
    lines += [f"  {reason}" for reason in progress.reasons]
    return "\n".join(lines)


async def main(action: str, user: str) -> int:
    settings = load()
    redis = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    publisher = Publisher(settings, redis)
    try:
        if action == "status":
            print(describe(await publisher.state.read()))
            print(report(await publisher.state.read()))
            return 0
        try:
            task = await publisher.start(action, user)
        except Busy:
            print("Es läuft bereits ein Training oder eine Rücksetzung.", file=sys.stderr)
            return 2
        shown = ""
        while not task.done():
            line = describe(publisher.state.current)
            if line != shown:
                print(line, flush=True)
                shown = line
            await asyncio.sleep(0.5)
        result = task.result()
        print(report(result))
        return 0 if result.outcome in (Outcome.PUBLISHED, Outcome.ROLLED_BACK) else 1
    finally:
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", nargs="?", default="publish", choices=["publish", "rollback", "status"])
    parser.add_argument("--user", default=getpass.getuser(), help="recorded as who published")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.action, args.user)))
