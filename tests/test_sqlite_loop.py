"""The SQLite store on the event loop: checkpoints off the loop, a locked file, the cache."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from helpline.store import SQLiteStore
from helpline.store.sqlite import connect
from helpline.store.sqlite_checkpoint import WAL_LIMIT_BYTES, Checkpointer

WAIT_S = 10.0


def _rows_in_main_file(path: Path) -> int:
    """Conversations in the database file itself, ignoring the WAL (immutable=1 skips it)."""
    conn = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM conversations").fetchone()[0])
    finally:
        conn.close()


def _fresh(path: Path, wal_limit_bytes: int = WAL_LIMIT_BYTES) -> sqlite3.Connection:
    """A writer like the store's, its schema already copied into the file."""
    conn = connect(str(path), 1000, autocheckpoint=False, wal_limit_bytes=wal_limit_bytes)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return conn


def _write_rows(conn: sqlite3.Connection, count: int) -> None:
    for n in range(count):
        conn.execute(
            "INSERT INTO conversations (id, token, status, created_at, updated_at)"
            " VALUES (?, ?, 'bot', 1, 1)",
            (f"c{n}", f"t{n}"),
        )


def test_writer_without_autocheckpoint_leaves_commits_in_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    conn = _fresh(path)
    _write_rows(conn, 1500)  # past the 1,000 pages at which SQLite would checkpoint itself
    assert _rows_in_main_file(path) == 0
    conn.close()


def test_checkpointer_copies_committed_rows_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    conn = _fresh(path)
    _write_rows(conn, 10)
    checkpointer = Checkpointer(str(path), interval_s=WAIT_S)
    checkpointer.dirty = True
    checkpointer.start()
    checkpointer.stop()  # its last round still checkpoints what is dirty
    checkpointer.join(WAIT_S)
    assert _rows_in_main_file(path) == 10
    conn.close()


def test_checkpointer_with_nothing_committed_does_no_work(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    conn = _fresh(path)
    _write_rows(conn, 10)
    checkpointer = Checkpointer(str(path), interval_s=WAIT_S)
    checkpointer.start()
    checkpointer.stop()
    checkpointer.join(WAIT_S)
    assert _rows_in_main_file(path) == 0
    conn.close()


def _wal_bytes(path: Path) -> int:
    return (path.parent / f"{path.name}-wal").stat().st_size


def test_store_connection_limits_the_wal_file_it_keeps(tmp_path: Path) -> None:
    conn = connect(str(tmp_path / "c.db"), 1000)
    assert conn.execute("PRAGMA journal_size_limit").fetchone()[0] == WAL_LIMIT_BYTES
    conn.close()


def test_wal_comes_back_under_its_limit_after_a_burst_of_writes(tmp_path: Path) -> None:
    path, limit = tmp_path / "w.db", 256 * 1024
    conn = _fresh(path, wal_limit_bytes=limit)
    _write_rows(conn, 1500)  # one commit each, as a flood of messages
    assert _wal_bytes(path) > 4 * limit
    checkpointer = Checkpointer(str(path), interval_s=0.01, wal_limit_bytes=limit)
    checkpointer.dirty = True  # as the writer leaves it after its last commit
    checkpointer.start()
    try:
        assert checkpointer.truncated.wait(WAIT_S)
        assert _wal_bytes(path) <= limit
        assert _rows_in_main_file(path) == 1500
    finally:
        checkpointer.stop()
        checkpointer.join(WAIT_S)
        conn.close()


async def test_store_wal_comes_back_under_its_limit_once_a_long_reader_lets_go(
    tmp_path: Path,
) -> None:
    path, limit = tmp_path / "s.db", 64 * 1024
    store = SQLiteStore(path, wal_limit_bytes=limit, checkpoint_interval_s=0.02)
    await store.open()
    try:
        conv = await store.create_conversation(token="t", language="en", now=1.0)
        # a reader holding an old snapshot keeps any checkpoint from finishing, as a long
        # export does during a flood: the WAL can only grow meanwhile
        reader = sqlite3.connect(path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM messages").fetchone()
        for n in range(300):
            await store.append_customer_message(conv.id, f"m{n}", {"text": "x" * 1000}, 2.0)
        assert _wal_bytes(path) > 4 * limit
        reader.execute("COMMIT")
        reader.close()
        async with asyncio.timeout(WAIT_S):
            while _wal_bytes(path) > limit:
                await asyncio.sleep(0.02)  # poll interval, bounded by the timeout above
        assert len(await store.messages_after(conv.id, 0)) == 300
    finally:
        await store.close()


async def test_write_waits_off_the_loop_while_another_process_holds_the_lock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="helpline.store.sqlite_worker")
    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    try:
        conv = await store.create_conversation(token="t", language="en", now=1.0)
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        append = asyncio.create_task(
            store.append_customer_message(conv.id, "m1", {"text": "hi"}, 2.0)
        )
        for _ in range(1000):  # loop turns, not time: until the batch has met the lock
            if "database busy" in caplog.text:
                break
            await asyncio.sleep(0)
        assert "database busy" in caplog.text  # and this coroutine still runs meanwhile
        other.execute("COMMIT")
        other.close()
        appended = await asyncio.wait_for(append, WAIT_S)
        assert await store.messages_after(conv.id, 0) == [appended.message]
    finally:
        await store.close()


async def test_closed_store_leaves_every_write_in_the_database_file(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    for n in range(5):
        await store.create_conversation(token=f"t{n}", language="en", now=1.0)
    await store.close()
    assert _rows_in_main_file(tmp_path / "s.db") == 5


def _reads() -> int:
    """Read system calls made by this process: SQLite reads each page its cache lacks."""
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("syscr:"))


def _write_blobs(conn: sqlite3.Connection, kib: int) -> None:
    conn.execute("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    conn.execute("BEGIN")
    for n in range(kib):  # a row of 1 KiB each: four to a page
        conn.execute("INSERT INTO blobs (id, data) VALUES (?, zeroblob(1000))", (n,))
    conn.execute("COMMIT")


def test_store_connection_reads_nothing_again_of_what_it_just_wrote(tmp_path: Path) -> None:
    conn = _fresh(tmp_path / "c.db")
    _write_blobs(conn, 1024)  # a MiB: the pages of a few hundred conversations' turns
    before = _reads()
    assert conn.execute("SELECT count(*) FROM blobs WHERE length(data) = 1000").fetchone()[0]
    assert _reads() - before <= 2  # of 256 pages; a read transaction checks the file's header
    conn.close()


def test_store_connection_does_not_keep_every_page_it_ever_wrote(tmp_path: Path) -> None:
    conn = _fresh(tmp_path / "c.db")
    _write_blobs(conn, 8 * 1024)  # 8 MiB: twice the cache, a quarter of what it once was
    before = _reads()
    assert conn.execute("SELECT count(*) FROM blobs WHERE length(data) = 1000").fetchone()[0]
    assert _reads() - before > 1024  # of 2,048 pages, at least a MiB's worth read again
    conn.close()
