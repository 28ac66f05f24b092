"""scripts/backup.py: back up, wipe, restore, compare - on SQLite and on PostgreSQL (both methods).

The schema is the case service's own (its Alembic migrations) when backoffice/ is importable,
plus two tables of the test's own with a serial key, a foreign key and every column type that
needs care (bytes, JSON, time zones, text beyond ASCII). Every table gets generated rows.
PostgreSQL: the machine's server (TEST_POSTGRES_URL, default postgres@127.0.0.1:5432), one
throw-away database per test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    inspect,
    text,
)
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import backup  # noqa: E402
import backup_db  # noqa: E402

from channels.adapters.twilio.state import optout_key  # noqa: E402
from tests import postgres as pg_tests  # noqa: E402

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

probe = MetaData()
Table("backup_probe_parent", probe,
      Column("id", Integer, primary_key=True, autoincrement=True),
      Column("title", Text, nullable=False), Column("blob", LargeBinary), Column("data", JSON),
      Column("at", DateTime(timezone=True)), Column("flag", Boolean), Column("score", Float))
Table("backup_probe_child", probe,
      Column("id", Integer, primary_key=True, autoincrement=True),
      Column("parent_id", Integer, ForeignKey("backup_probe_parent.id"), nullable=False),
      Column("note", String(40)))


def engine_for(url: str) -> Engine:
    return create_engine(backup_db.normalise(url))


def create_schema(url: str) -> bool:
    """The case service's migrations (if backoffice/ is there) and the probe tables.
    Returns whether the migrations ran."""
    engine = engine_for(url)
    try:
        try:
            from backoffice import migrate
        except ImportError:
            migrated = False
        else:
            migrate.upgrade(engine)
            migrated = True
        probe.create_all(engine)
        return migrated
    finally:
        engine.dispose()


def sample(column: Any, n: int) -> Any:
    """A value for ``column`` in row ``n``: distinct per row, of the column's type."""
    python = column.type.python_type
    if python is int:
        return n
    if python is float:
        return n + 0.25
    if python is bool:
        return n % 2 == 0
    if python is bytes:
        return bytes([n, 0, 255, 10]) * 3
    if python is dt.datetime:
        return dt.datetime(2026, 11, 30, 12, n, 5, 123000, tzinfo=dt.UTC)
    if python is dt.date:
        return dt.date(2026, 12, n + 1)
    if python is dict or isinstance(column.type, JSON):
        return {"n": n, "text": "Straße ü", "list": [1, None, "x"]}
    value = f"{column.name}-{n}-Grüße \u0627"
    length = getattr(column.type, "length", None)
    return value[-length:] if length else value


def fill(url: str, rows: int = 3) -> None:
    """Generated rows in every table but Alembic's, parents first, foreign keys to real parents."""
    engine = engine_for(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.begin() as connection:
            for table in metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                for n in range(1, rows + 1):
                    row = {}
                    for column in table.columns:
                        if column.foreign_keys:
                            target = next(iter(column.foreign_keys)).column
                            row[column.name] = connection.execute(
                                text(f'SELECT "{target.name}" FROM "{target.table.name}" '
                                     f'ORDER BY 1 LIMIT 1 OFFSET {n - 1}')).scalar()
                        elif column.primary_key and column.autoincrement is not False \
                                and column.type.python_type is int:
                            continue  # the database assigns it: the sequence must survive the restore
                        else:
                            row[column.name] = sample(column, n)
                    connection.execute(table.insert(), row)
    finally:
        engine.dispose()


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = engine_for(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {table.name: [tuple(row) for row in connection.execute(
                table.select().order_by(*(table.primary_key.columns or table.columns)))]
                for table in metadata.sorted_tables}
    finally:
        engine.dispose()


def content_files(root: Path) -> dict[str, bytes]:
    files = {}
    for name in ("nlu_data", "bot"):
        for path in sorted((root / name).rglob("*")):
            if path.is_file():
                files[str(path.relative_to(root))] = path.read_bytes()
    return files


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A content tree of the test's own: the repository's nlu_data/ is never touched."""
    tree = tmp_path / "root"
    (tree / "nlu_data" / "topics").mkdir(parents=True)
    (tree / "bot").mkdir()
    (tree / "nlu_data" / "topics" / "personalausweis.yml").write_text("nlu:\n- intent: faq/ausweis\n",
                                                                       encoding="utf-8")
    (tree / "nlu_data" / "catalogue.yml").write_text("topics: []\n", encoding="utf-8")
    (tree / "bot" / "nlu_tuning.yml").write_text("blend: 0.4\nthreshold: 0.55\n", encoding="utf-8")
    return tree


@pytest.fixture
def postgres() -> Iterator[str]:
    """A fresh PostgreSQL database; skipped with the reason when the server is down (fails under
    REQUIRE_POSTGRES, as in CI)."""
    pg_tests.need(POSTGRES)
    name = f"backup_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(POSTGRES, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def wipe_database(url: str, drop_schema: bool) -> None:
    """Lose the data: the SQLite file, the PostgreSQL schema, or every row plus a stray one."""
    sa_url = backup_db.normalise(url)
    if sa_url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sa_url.database}{suffix}").unlink(missing_ok=True)
        return
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            if drop_schema:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
                return
            metadata = MetaData()
            metadata.reflect(connection)
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
            connection.execute(text("INSERT INTO backup_probe_parent (title) VALUES ('not in the backup')"))
    finally:
        engine.dispose()


def wipe_content(root: Path) -> None:
    (root / "nlu_data" / "topics" / "personalausweis.yml").unlink()
    (root / "nlu_data" / "topics" / "new_topic.yml").write_text("nlu: []\n", encoding="utf-8")
    (root / "bot" / "nlu_tuning.yml").write_text("blend: 0.9\n", encoding="utf-8")


def next_parent_id(url: str) -> int:
    engine = engine_for(url)
    try:
        with engine.begin() as connection:
            return int(connection.execute(text(
                "INSERT INTO backup_probe_parent (title) VALUES ('after restore') RETURNING id")).scalar())
    finally:
        engine.dispose()


@pytest.mark.parametrize("method", ["sqlite", "pg_dump", "jsonl"])
def test_backup_wipe_restore_gives_back_every_row_and_file(method: str, root: Path, tmp_path: Path,
                                                           request: pytest.FixtureRequest) -> None:
    if method == "sqlite":
        (tmp_path / "run").mkdir()
        url = f"sqlite:///{tmp_path / 'run' / 'cases.db'}"
    else:
        if method == "pg_dump" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
            pg_tests.skip_or_fail("pg_dump/pg_restore are not on PATH (Debian: postgresql-client)")
        url = request.getfixturevalue("postgres")
    migrated = create_schema(url)
    fill(url)
    before, files_before = snapshot(url), content_files(root)
    assert all(before[name] for name in before if name != "alembic_version")
    if migrated:
        assert {"cases", "case_events", "attachments", "alembic_version"} <= set(before)

    archive = backup.create(root, tmp_path / "backups", url, method)
    assert archive.stat().st_mode & 0o777 == 0o600

    wipe_database(url, drop_schema=method != "jsonl")
    wipe_content(root)
    assert content_files(root) != files_before
    safety = backup.restore(archive, root, url, safety_out=tmp_path / "safety")

    assert snapshot(url) == before
    assert content_files(root) == files_before
    assert next_parent_id(url) == max(row[0] for row in before["backup_probe_parent"]) + 1
    if method == "sqlite":
        assert safety is None  # the file was gone: nothing to keep
    else:
        with tarfile.open(safety) as tar:  # the wiped state was kept before it was replaced
            assert any(name.endswith("content/nlu_data/topics/new_topic.yml") for name in tar.getnames())


def test_a_damaged_archive_changes_nothing(root: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    create_schema(url)
    fill(url)
    archive = backup.create(root, tmp_path / "backups", url)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    (folder,) = unpacked.iterdir()
    (folder / "content" / "bot" / "nlu_tuning.yml").write_text("blend: 1.0\n", encoding="utf-8")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        tar.add(folder, arcname=folder.name)
    wipe_content(root)
    before, files_before = snapshot(url), content_files(root)
    with pytest.raises(backup_db.BackupError, match=r"nlu_tuning\.yml is damaged"):
        backup.restore(damaged, root, url, safety_out=tmp_path / "safety")
    assert snapshot(url) == before and content_files(root) == files_before
    assert not (tmp_path / "safety").exists()


def test_a_backup_of_one_database_kind_is_not_restored_into_another(root: Path, tmp_path: Path,
                                                                    postgres: str) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    create_schema(url)
    archive = backup.create(root, tmp_path / "backups", url)
    with pytest.raises(backup_db.BackupError, match="sqlite database, the target is postgresql"):
        backup.restore(archive, root, postgres)
    assert inspect(engine_for(postgres)).get_table_names() == []


@pytest.fixture
def redis_target() -> Iterator[backup.RedisTarget]:
    """The machine's Redis under a prefix of the test's own; its keys are deleted afterwards."""
    target = backup.RedisTarget(REDIS_URL, f"t{uuid.uuid4().hex[:12]}")
    yield target
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{target.prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def test_sms_optouts_are_backed_up_and_set_again(root: Path, tmp_path: Path,
                                                 redis_target: backup.RedisTarget) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    create_schema(url)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        stopped = ["conv-a", "conv-b:ü"]
        for conversation in stopped:  # as the Twilio adapter's STOPP writes them
            client.set(optout_key(redis_target.prefix, conversation), "1")
        client.set(optout_key(f"{redis_target.prefix}x", "other-prefix"), "1")  # another gateway's
        archive = backup.create(root, tmp_path / "backups", url, redis_target=redis_target)
        with tarfile.open(archive) as tar:
            (member,) = [m for m in tar.getmembers() if m.name.endswith("/optouts.jsonl")]
            lines = tar.extractfile(member).read().decode().splitlines()  # type: ignore[union-attr]
        assert sorted(json.loads(line)["conversation"] for line in lines) == sorted(stopped)

        client.delete(*(optout_key(redis_target.prefix, c) for c in stopped))  # Redis lost
        client.set(optout_key(redis_target.prefix, "conv-later"), "1")  # STOPP after the backup
        backup.restore(archive, root, url, only="optouts", redis_target=redis_target)

        assert all(client.get(optout_key(redis_target.prefix, c)) == "1" for c in stopped)
        assert all(client.ttl(optout_key(redis_target.prefix, c)) == -1 for c in stopped)  # no expiry
        assert client.get(optout_key(redis_target.prefix, "conv-later")) == "1"
    finally:
        client.delete(optout_key(f"{redis_target.prefix}x", "other-prefix"))
        client.close()


def test_without_redis_the_backup_fails_unless_optouts_are_left_out(root: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    create_schema(url)
    down = backup.RedisTarget("redis://127.0.0.1:1/0", "gw")
    with pytest.raises(backup_db.BackupError, match="--no-optouts"):
        backup.create(root, tmp_path / "backups", url, redis_target=down)
    assert not list((tmp_path / "backups").glob("*.tar.gz"))
    assert backup.create(root, tmp_path / "backups", url).exists()


def test_the_command_line_backs_up_and_restores(root: Path, tmp_path: Path,
                                                redis_target: backup.RedisTarget) -> None:
    url = f"sqlite:///{tmp_path / 'cases.db'}"
    create_schema(url)
    fill(url)
    before = snapshot(url)
    script = [sys.executable, str(ROOT / "scripts" / "backup.py")]
    options = ["--root", str(root), "--database-url", url, "--redis-url", redis_target.url,
               "--redis-prefix", redis_target.prefix]
    made = subprocess.run([*script, "create", *options], capture_output=True, text=True, check=False,
                          timeout=120)
    assert made.returncode == 0, made.stderr
    archive = Path(made.stdout.strip())
    assert archive.parent == root / "data" / "backups" and archive.name.startswith("backup-")
    wipe_database(url, drop_schema=True)
    back = subprocess.run([*script, "restore", str(archive), *options], capture_output=True, text=True,
                          check=False, timeout=120)
    assert back.returncode == 0, back.stderr
    assert snapshot(url) == before
    missing = subprocess.run([*script, "restore", str(tmp_path / "nope.tar.gz"), *options],
                             capture_output=True, text=True, check=False, timeout=60)
    assert missing.returncode == 1 and "failed" in missing.stderr


def test_the_gateway_image_holds_what_the_backup_command_needs(tmp_path: Path,
                                                               redis_target: backup.RedisTarget) -> None:
    """The files Dockerfile.gateway copies, laid out as in the image, run the CronJob's command."""
    import validate_deploy

    app = tmp_path / "app"
    dockerfile = ROOT / "deploy" / "docker" / "Dockerfile.gateway"
    instructions = validate_deploy._instructions(dockerfile.read_text(encoding="utf-8"))
    runtime = instructions[max(i for i, (word, _) in enumerate(instructions) if word == "FROM"):]
    for word, rest in runtime:
        if word == "COPY" and not rest.startswith("--from"):
            *sources, target = rest.split()
            for source in sources:
                into = app / target if not target.startswith("/") else tmp_path / target.lstrip("/")
                if (ROOT / source).is_dir():
                    shutil.copytree(ROOT / source, into, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    into.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(ROOT / source, into)
    cronjob = next(doc for doc in validate_deploy._documents(ROOT / "deploy" / "k8s" / "backup-cronjob.yaml")
                   if doc["kind"] == "CronJob")
    command = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command[:2] == ["python", "scripts/backup.py"]
    out = tmp_path / "backups"
    env = {**os.environ, "PYTHONPATH": str(app), "DATABASE_URL": f"sqlite:///{tmp_path / 'cases.db'}",
           "REDIS_URL": redis_target.url, "GATEWAY_REDIS_PREFIX": redis_target.prefix}
    create_schema(env["DATABASE_URL"])
    made = subprocess.run([sys.executable, *command[1:-1], str(out)], cwd=app, env=env, capture_output=True,
                          text=True, check=False, timeout=120)
    assert made.returncode == 0, made.stderr
    with tarfile.open(made.stdout.strip()) as tar:
        names = tar.getnames()
    assert any(name.endswith("/optouts.jsonl") for name in names)
    assert any("/content/nlu_data/" in name for name in names)


def test_without_redis_url_optouts_come_from_make_runs_redis(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMBEDDED_REDIS_PORT", raising=False)
    assert backup.default_redis_url(tmp_path) == "redis://127.0.0.1:6390/0"  # scripts/run.py's default
    (tmp_path / ".env").write_text("EMBEDDED_REDIS_PORT=6401\n", encoding="utf-8")
    assert backup.default_redis_url(tmp_path) == "redis://127.0.0.1:6401/0"
