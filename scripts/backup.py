#!/usr/bin/env python3
"""`make backup` / `make restore`: cases database, content and SMS opt-outs in one timestamped archive.

    backup.py create  [--out DIR] [--database-url URL] [--method auto|sqlite|pg_dump|jsonl]
                      [--redis-url URL] [--redis-prefix P] [--no-optouts]
    backup.py restore ARCHIVE [--out DIR] [--database-url URL] [--redis-url URL] [--redis-prefix P]
                      [--only database|content|optouts] [--no-safety-backup]

What is in an archive (``backup-<UTC time>.tar.gz``, mode 600: cases hold
personal data): ``manifest.json`` (time, method, SHA-256 of every file), the
database (``scripts/backup_db.py`` says how, per database), the content
that editors change on the machine: ``nlu_data/`` and ``bot/nlu_tuning.yml``,
and the SMS opt-outs (``optouts.jsonl``): STOPP lives only in Redis, without
expiry, and losing it would text citizens who asked not to be texted.
Code, models (``make train`` rebuilds them from the content) and secrets
(``.env``: keep it in the administration's secret store) are not in it.

Restore checks every file against the manifest before it changes anything,
then takes a backup of the current state (unless ``--no-safety-backup``), then
replaces the database's contents and the content folders, and sets every
opt-out of the archive again (opt-outs made since stay: a restore never texts
anyone who said STOPP). Stop the gateway (at least the case service) while
restoring PostgreSQL; SQLite restores online.

Redis (REDIS_URL, GATEWAY_REDIS_PREFIX: from the environment or .env, like
DATABASE_URL) is otherwise not in the archive; what that means is in
deploy/README.md ("Backups and Redis"). The script also runs in the gateway
image (deploy/k8s/backup-cronjob.yaml, the Compose profile ``backup``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from redis.exceptions import RedisError

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
import backup_db
from backup_db import BackupError

from channels.adapters.twilio.state import optout_key  # the key the adapter writes: one definition

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
CONTENT = ("nlu_data", "bot/nlu_tuning.yml")
OPTOUTS = "optouts.jsonl"


@dataclass(frozen=True)
class RedisTarget:
    """The gateway's Redis and key prefix (REDIS_URL, GATEWAY_REDIS_PREFIX)."""

    url: str
    prefix: str


def say(message: str) -> None:
    print(f"[backup] {message}", file=sys.stderr, flush=True)


def setting(name: str, given: str | None, root: Path) -> str | None:
    """The option, else ``name`` from the environment, else from .env (as `make run` reads it)."""
    if given:
        return given
    if os.environ.get(name):
        return os.environ[name]
    env_file = root / ".env"
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.strip().partition("=")
            if key.strip() == name and value.strip():
                return value.strip().strip("'\"")
    return None


def database_url(given: str | None, root: Path) -> str | None:
    """--database-url, else DATABASE_URL from the environment, else from .env."""
    return setting("DATABASE_URL", given, root)


def default_redis_url(root: Path) -> str:
    """Without REDIS_URL, `make run` starts its own Redis on EMBEDDED_REDIS_PORT: the opt-outs are there."""
    try:
        from run import DEFAULTS  # scripts/run.py; not in the gateway image, where REDIS_URL is always set
    except ImportError:
        return "redis://127.0.0.1:6379/0"
    port = setting("EMBEDDED_REDIS_PORT", None, root) or DEFAULTS["EMBEDDED_REDIS_PORT"]
    return f"redis://127.0.0.1:{port}/0"


def dump_optouts(target: RedisTarget, path: Path) -> int:
    """Every STOPP marker as one JSON line ``{"conversation": ...}``; returns how many."""
    head = optout_key(target.prefix, "")
    client = redis.Redis.from_url(target.url, decode_responses=True, socket_connect_timeout=5)
    try:
        conversations = sorted(key[len(head):] for key in client.scan_iter(match=f"{head}*", count=1000))
    except RedisError as exc:
        raise BackupError(f"Redis ({type(exc).__name__}: {exc}) holds the SMS opt-outs; "
                          "start it, or pass --no-optouts to back up without them") from exc
    finally:
        client.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"conversation": c}) + "\n" for c in conversations), encoding="utf-8")
    return len(conversations)


def restore_optouts(target: RedisTarget, path: Path) -> int:
    """Set every opt-out of the file again (no expiry, like STOPP); existing ones stay. Returns how many."""
    lines = path.read_text(encoding="utf-8").splitlines()
    conversations = [json.loads(line)["conversation"] for line in lines if line.strip()]
    client = redis.Redis.from_url(target.url, decode_responses=True, socket_connect_timeout=5)
    try:
        with client.pipeline(transaction=False) as pipe:
            for conversation in conversations:
                pipe.set(optout_key(target.prefix, conversation), "1")
            pipe.execute()
    except RedisError as exc:
        raise BackupError(f"cannot restore the SMS opt-outs ({type(exc).__name__}: {exc})") from exc
    finally:
        client.close()
    return len(conversations)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_content(root: Path, into: Path) -> list[str]:
    present = []
    for name in CONTENT:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
        else:
            continue
        present.append(name)
    return present


def create(root: Path, out: Path, url: str | None, method: str = "auto",
           redis_target: RedisTarget | None = None) -> Path:
    """Write one archive into ``out`` and return its path (opt-outs only with ``redis_target``)."""
    sa_url = backup_db.normalise(url)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backup-") as tmp:
        work = Path(tmp) / f"backup-{stamp}"
        database = backup_db.dump(sa_url, work / "database", method)
        content = _copy_content(root, work / "content")
        optouts = None if redis_target is None else dump_optouts(redis_target, work / OPTOUTS)
        files = {str(p.relative_to(work)): _sha256(p) for p in sorted(work.rglob("*")) if p.is_file()}
        manifest = {"format": FORMAT, "created": stamp, "database": database, "content": content,
                    "optouts": optouts, "files": files}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        archive = out / f"backup-{stamp}.tar.gz"
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work, arcname=work.name)
        partial.chmod(0o600)
        partial.rename(archive)  # a crash never leaves a half archive under the final name
    say(f"database ({database['dialect']}, {database['method']}), {', '.join(content) or 'no content'}, "
        f"{'no' if optouts is None else optouts} SMS opt-out(s) -> {archive}")
    return archive


def _unpack(archive: Path, into: Path) -> tuple[Path, dict[str, Any]]:
    """Extract safely (no paths outside ``into``) and verify every file against the manifest."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(into, filter="data")
    folders = [p for p in into.iterdir() if p.is_dir()]
    if len(folders) != 1 or not (folders[0] / "manifest.json").exists():
        raise BackupError(f"{archive} is not a backup of this tool (no manifest)")
    work = folders[0]
    manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} has format {manifest.get('format')}, this tool reads {FORMAT}")
    found = {str(p.relative_to(work)) for p in work.rglob("*") if p.is_file()} - {"manifest.json"}
    if found != set(manifest["files"]):
        raise BackupError(f"{archive}: files differ from the manifest")
    for name, digest in manifest["files"].items():
        if _sha256(work / name) != digest:
            raise BackupError(f"{archive}: {name} is damaged (checksum differs)")
    return work, manifest


def _replace_content(root: Path, work: Path, manifest: dict[str, Any]) -> None:
    """Each content path becomes what the backup holds (absent in the backup: removed)."""
    for name in CONTENT:
        target, source = root / name, work / "content" / name
        staged = target.with_name(f".{target.name}.restoring")
        old = target.with_name(f".{target.name}.replaced")
        for leftover in (staged, old):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            elif leftover.exists():
                leftover.unlink()
        if name in manifest["content"]:
            if source.is_dir():
                shutil.copytree(source, staged)
            else:
                shutil.copy2(source, staged)
        if target.exists():
            target.rename(old)
        if staged.exists():
            staged.rename(target)
        if old.is_dir():
            shutil.rmtree(old)
        elif old.exists():
            old.unlink()


def restore(archive: Path, root: Path, url: str | None, only: str | None = None,
            safety_out: Path | None = None, redis_target: RedisTarget | None = None) -> Path | None:
    """Restore ``archive``; returns the safety backup taken before, if any. Opt-outs need ``redis_target``."""
    sa_url = backup_db.normalise(url)
    with tempfile.TemporaryDirectory(prefix="restore-") as tmp:
        work, manifest = _unpack(archive, Path(tmp))
        safety = None
        if safety_out is not None and backup_db.exists(sa_url):
            keep_optouts = only in (None, "optouts")  # restoring the database needs no Redis
            safety = create(root, safety_out, url, redis_target=redis_target if keep_optouts else None)
        if only in (None, "database"):
            backup_db.restore(sa_url, work / "database", manifest["database"])
            say(f"database restored from {archive.name} ({manifest['database']['method']})")
        if only in (None, "content"):
            _replace_content(root, work, manifest)
            say(f"content restored: {', '.join(manifest['content']) or 'none'} "
                "(retrain with `make train` for the model to match)")
        if only in (None, "optouts") and redis_target is not None and manifest.get("optouts") is not None:
            count = restore_optouts(redis_target, work / OPTOUTS)
            say(f"{count} SMS opt-out(s) set again under {redis_target.prefix}")
    return safety


def main(argv: list[str]) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)  # tests
    common.add_argument("--database-url", help="default: DATABASE_URL, else the SQLite file")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    common.add_argument("--redis-url", help="default: REDIS_URL, else make run's embedded Redis")
    common.add_argument("--redis-prefix", help="default: GATEWAY_REDIS_PREFIX, else gw")
    common.add_argument("--out", type=Path, help="folder of new archives (default data/backups)")
    make = commands.add_parser("create", parents=[common], help="write a new archive")
    make.add_argument("--method", choices=backup_db.METHODS, default="auto")
    make.add_argument("--no-optouts", action="store_true", help="without the SMS opt-outs (no Redis)")
    back = commands.add_parser("restore", parents=[common], help="restore an archive")
    back.add_argument("archive", type=Path)
    back.add_argument("--only", choices=("database", "content", "optouts"))
    back.add_argument("--no-safety-backup", action="store_true", help="skip the backup of the current state")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    url = database_url(args.database_url, root)
    target = RedisTarget(setting("REDIS_URL", args.redis_url, root) or default_redis_url(root),
                         setting("GATEWAY_REDIS_PREFIX", args.redis_prefix, root) or "gw")
    out = args.out or root / "data" / "backups"
    try:
        if args.command == "create":
            print(create(root, out, url, args.method, None if args.no_optouts else target))
        else:
            safety_out = None if args.no_safety_backup else out
            safety = restore(args.archive, root, url, args.only, safety_out, target)
            if safety is not None:
                say(f"the state before the restore is in {safety}")
    except (BackupError, OSError, tarfile.TarError) as exc:
        say(f"failed: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
