#!/usr/bin/env python3
"""`make backup` / `make restore`: the cases database and the content in one timestamped archive.

    backup.py create  [--out DIR] [--database-url URL] [--method auto|sqlite|pg_dump|jsonl]
    backup.py restore ARCHIVE [--database-url URL] [--only database|content] [--no-safety-backup]

What is in an archive (``backup-<UTC time>.tar.gz``, mode 600: cases hold
personal data): ``manifest.json`` (time, method, SHA-256 of every file), the
database (``scripts/backup_db.py`` says how, per database), and the content
that editors change on the machine: ``nlu_data/`` and ``bot/nlu_tuning.yml``.
Code, models (``make train`` rebuilds them from the content) and secrets
(``.env``: keep it in the administration's secret store) are not in it.

Restore checks every file against the manifest before it changes anything,
then takes a backup of the current state (unless ``--no-safety-backup``), then
replaces the database's contents and the content folders. Stop the gateway
(at least the case service) while restoring PostgreSQL; SQLite restores
online.

Redis is not in the archive; what that means is in deploy/README.md
("Backups and Redis").
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import backup_db
from backup_db import BackupError

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
CONTENT = ("nlu_data", "bot/nlu_tuning.yml")


def say(message: str) -> None:
    print(f"[backup] {message}", file=sys.stderr, flush=True)


def database_url(given: str | None, root: Path) -> str | None:
    """--database-url, else DATABASE_URL from the environment, else from .env (as `make run` reads it)."""
    if given:
        return given
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    env_file = root / ".env"
    if env_file.exists():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.strip().partition("=")
            if key.strip() == "DATABASE_URL" and value.strip():
                return value.strip().strip("'\"")
    return None


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


def create(root: Path, out: Path, url: str | None, method: str = "auto") -> Path:
    """Write one archive into ``out`` and return its path."""
    sa_url = backup_db.normalise(url)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="backup-") as tmp:
        work = Path(tmp) / f"backup-{stamp}"
        database = backup_db.dump(sa_url, work / "database", method)
        content = _copy_content(root, work / "content")
        files = {str(p.relative_to(work)): _sha256(p) for p in sorted(work.rglob("*")) if p.is_file()}
        manifest = {"format": FORMAT, "created": stamp, "database": database, "content": content,
                    "files": files}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        archive = out / f"backup-{stamp}.tar.gz"
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work, arcname=work.name)
        partial.chmod(0o600)
        partial.rename(archive)  # a crash never leaves a half archive under the final name
    say(f"database ({database['dialect']}, {database['method']}) and {', '.join(content) or 'no content'} "
        f"-> {archive}")
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
            safety_out: Path | None = None) -> Path | None:
    """Restore ``archive``; returns the safety backup taken before, if any."""
    sa_url = backup_db.normalise(url)
    with tempfile.TemporaryDirectory(prefix="restore-") as tmp:
        work, manifest = _unpack(archive, Path(tmp))
        safety = None
        if safety_out is not None and backup_db.exists(sa_url):
            safety = create(root, safety_out, url)
        if only in (None, "database"):
            backup_db.restore(sa_url, work / "database", manifest["database"])
            say(f"database restored from {archive.name} ({manifest['database']['method']})")
        if only in (None, "content"):
            _replace_content(root, work, manifest)
            say(f"content restored: {', '.join(manifest['content']) or 'none'} "
                "(retrain with `make train` for the model to match)")
    return safety


def main(argv: list[str]) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)  # tests
    common.add_argument("--database-url", help="default: DATABASE_URL, else the SQLite file")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", parents=[common], help="write a new archive")
    make.add_argument("--out", type=Path, help="folder (default data/backups)")
    make.add_argument("--method", choices=backup_db.METHODS, default="auto")
    back = commands.add_parser("restore", parents=[common], help="restore an archive")
    back.add_argument("archive", type=Path)
    back.add_argument("--only", choices=("database", "content"))
    back.add_argument("--no-safety-backup", action="store_true", help="skip the backup of the current state")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    url = database_url(args.database_url, root)
    try:
        if args.command == "create":
            print(create(root, args.out or root / "data" / "backups", url, args.method))
        else:
            safety = restore(args.archive, root, url, args.only,
                             None if args.no_safety_backup else root / "data" / "backups")
            if safety is not None:
                say(f"the state before the restore is in {safety}")
    except (BackupError, OSError, tarfile.TarError) as exc:
        say(f"failed: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
