"""SQLiteStore on real database files: seqs, idempotence, turns, events, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.errors import ConfigError, StoreError
from helpline.store import Outgoing, SQLiteStore, Store, TurnRecord, open_store
from helpline.store.base import Conversation
from helpline.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from helpline.store.sqlite import connect
from helpline.store.sqlite_worker import HOLD_MAX_BATCH, Worker


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "helpline.db"


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    # the contract tests run on every backend; SQLite's own take store="sqlite" only
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def conv(store: SQLiteStore) -> Conversation:
    return await store.create_conversation(token="tok-1", language="ko", now=100.0)


def turn(conv: Conversation, *texts: str, status: str = "bot", **kw: Any) -> TurnRecord:
    msgs = tuple(Outgoing("bot", {"text": t, "kind": "answer"}) for t in texts)
    return TurnRecord(conv.id, status, {"fallbacks_in_row": 0}, "ko", msgs, **kw)


async def test_new_conversation_is_found_by_its_token(store: SQLiteStore) -> None:
    created = await store.create_conversation(
        token="abc", language="en", customer_id="u7", customer_name="Mina", now=5.0
    )
    assert await store.conversation_by_token("abc") == created
    assert await store.conversation(created.id) == created


async def test_unknown_token_finds_no_conversation(store: SQLiteStore) -> None:
    assert await store.conversation_by_token("nobody") is None


async def test_token_used_twice_is_refused(store: SQLiteStore, conv: Conversation) -> None:
    with pytest.raises(StoreError):
        await store.create_conversation(token=conv.token, language=None, now=1.0)


async def test_customer_messages_get_consecutive_seqs_from_one(
    store: SQLiteStore, conv: Conversation
) -> None:
    seqs = [
        (await store.append_customer_message(conv.id, f"m{i}", {"text": "hi"}, 101.0)).message.seq
        for i in range(5)
    ]
    assert seqs == [1, 2, 3, 4, 5]


async def test_resend_returns_the_original_message_as_duplicate(
    store: SQLiteStore, conv: Conversation
) -> None:
    first = await store.append_customer_message(conv.id, "m1", {"text": "결제가안돼요"}, 101.0)
    again = await store.append_customer_message(conv.id, "m1", {"text": "changed"}, 102.0)
    assert (again.duplicate, again.message) == (True, first.message)
    assert first.duplicate is False


async def test_resend_is_not_stored_twice(store: SQLiteStore, conv: Conversation) -> None:
    for _ in range(3):
        await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 101.0)
    assert [m.seq for m in await store.messages_after(conv.id, 0)] == [1]
    assert (await store.conversation(conv.id)).last_seq == 1  # type: ignore[union-attr]


async def test_same_client_id_in_another_conversation_is_a_new_message(
    store: SQLiteStore, conv: Conversation
) -> None:
    other = await store.create_conversation(token="tok-2", language="en", now=1.0)
    await store.append_customer_message(conv.id, "m1", {"text": "a"}, 101.0)
    appended = await store.append_customer_message(other.id, "m1", {"text": "b"}, 101.0)
    assert (appended.duplicate, appended.message.seq) == (False, 1)


async def test_append_to_unknown_conversation_raises_store_error(store: SQLiteStore) -> None:
    with pytest.raises(StoreError, match="no conversation"):
        await store.append_customer_message("c_missing", "m1", {"text": "hi"}, 1.0)


async def test_commit_turn_appends_bot_messages_after_the_customer_message(
    store: SQLiteStore, conv: Conversation
) -> None:
    await store.append_customer_message(conv.id, "m1", {"text": "비번 까먹음"}, 101.0)
    stored = await store.commit_turn(turn(conv, "answer", "anything else?"), now=102.0)
    assert [(m.seq, m.sender, m.body["text"]) for m in stored] == [
        (2, "bot", "answer"),
        (3, "bot", "anything else?"),
    ]
    assert await store.messages_after(conv.id, 1) == stored


async def test_commit_turn_saves_status_state_and_language(
    store: SQLiteStore, conv: Conversation
) -> None:
    record = TurnRecord(conv.id, "queued", {"frustration": 0.8}, "en", ())
    await store.commit_turn(record, now=150.0)
    saved = await store.conversation_by_token(conv.token)
    assert saved is not None
    assert (saved.status, saved.bot_state, saved.language, saved.updated_at) == (
        "queued",
        {"frustration": 0.8},
        "en",
        150.0,
    )


async def test_failed_turn_leaves_nothing_half_written(
    store: SQLiteStore, conv: Conversation
) -> None:
    await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 101.0)
    before = (await store.conversation(conv.id), await store.events(conv.id))
    # the second message breaks a constraint after the first one is already inserted
    bad = TurnRecord(
        conv.id,
        "queued",
        {"x": 1},
        "en",
        (Outgoing("bot", {"text": "ok"}), Outgoing("robot", {"text": "no"})),
        (("bot.decision", {"decision": "answer"}),),
        answers_seq=1,
    )
    with pytest.raises(StoreError):
        await store.commit_turn(bad, now=102.0)
    assert [m.seq for m in await store.messages_after(conv.id, 0)] == [1]
    assert (await store.conversation(conv.id), await store.events(conv.id)) == before


async def test_commit_turn_to_unknown_conversation_raises_store_error(
    store: SQLiteStore,
) -> None:
    with pytest.raises(StoreError, match="no conversation"):
        await store.commit_turn(TurnRecord("c_missing", "bot", {}, None), now=1.0)


@pytest.mark.parametrize(
    ("after", "expected"),
    [(0, [1, 2, 3, 4, 5]), (2, [3, 4, 5]), (5, []), (9, [])],
)
async def test_messages_after_returns_later_messages_in_order(
    store: SQLiteStore, conv: Conversation, after: int, expected: list[int]
) -> None:
    for i in range(5):
        await store.append_customer_message(conv.id, f"m{i}", {"text": str(i)}, 101.0 + i)
    assert [m.seq for m in await store.messages_after(conv.id, after)] == expected


async def test_messages_after_stops_at_the_limit(store: SQLiteStore, conv: Conversation) -> None:
    for i in range(5):
        await store.append_customer_message(conv.id, f"m{i}", {"text": str(i)}, 101.0)
    assert [m.seq for m in await store.messages_after(conv.id, 1, limit=2)] == [2, 3]


async def test_turn_records_its_decision_event(store: SQLiteStore, conv: Conversation) -> None:
    decision = {"decision": "answer", "intent": "password_reset", "score": 91.5, "mood": 0.2}
    await store.commit_turn(turn(conv, "reset it here", events=(("bot.decision", decision),)), 2.0)
    recorded = [e for e in await store.events(conv.id) if e.kind == "bot.decision"]
    assert [(e.data, e.created_at) for e in recorded] == [(decision, 2.0)]


async def test_customer_message_is_kept_as_its_message_row_without_an_event_copy(
    store: SQLiteStore, conv: Conversation
) -> None:
    # its seq, client id and time are the message row's own: an event would say it twice
    await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 101.0)
    await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 102.0)
    assert [(e.kind, e.data) for e in await store.events(conv.id)] == [
        ("conversation.started", {"language": "ko"}),
    ]
    stored = await store.messages_after(conv.id, 0)
    assert [(m.seq, m.client_id, m.created_at) for m in stored] == [(1, "m1", 101.0)]


async def test_status_change_is_recorded_as_an_event(
    store: SQLiteStore, conv: Conversation
) -> None:
    await store.commit_turn(turn(conv, "a person will help", status="queued"), now=2.0)
    changes = [e.data for e in await store.events(conv.id) if e.kind == "status.changed"]
    assert changes == [{"from": "bot", "to": "queued"}]


async def test_status_change_given_by_the_turn_is_not_recorded_twice(
    store: SQLiteStore, conv: Conversation
) -> None:
    given = {"from": "bot", "to": "queued", "reason": "frustration"}
    record = turn(conv, status="queued", events=(("status.changed", given),))
    await store.commit_turn(record, now=2.0)
    changes = [e.data for e in await store.events(conv.id) if e.kind == "status.changed"]
    assert changes == [given]


async def test_turn_without_status_change_records_no_status_event(
    store: SQLiteStore, conv: Conversation
) -> None:
    await store.commit_turn(turn(conv, "hello"), now=2.0)
    assert all(e.kind != "status.changed" for e in await store.events(conv.id))


async def test_message_without_a_committed_turn_is_unanswered(
    store: SQLiteStore, conv: Conversation
) -> None:
    await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 101.0)
    resend = await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 102.0)
    unanswered = await store.unanswered_customer_messages(conv.id)
    assert (resend.answered, [m.client_id for m in unanswered]) == (False, ["m1"])


async def test_turn_that_answers_a_message_marks_it_answered(
    store: SQLiteStore, conv: Conversation
) -> None:
    await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 101.0)
    await store.commit_turn(turn(conv, "hello", answers_seq=1), now=102.0)
    resend = await store.append_customer_message(conv.id, "m1", {"text": "hi"}, 103.0)
    assert resend.answered is True
    assert await store.unanswered_customer_messages(conv.id) == []


async def test_only_messages_after_the_answered_one_stay_unanswered(
    store: SQLiteStore, conv: Conversation
) -> None:
    for i in range(3):
        await store.append_customer_message(conv.id, f"m{i}", {"text": str(i)}, 101.0)
    await store.commit_turn(turn(conv, "reply to m0", answers_seq=1), now=102.0)
    await store.append_customer_message(conv.id, "m3", {"text": "3"}, 103.0)
    unanswered = await store.unanswered_customer_messages(conv.id)
    assert [(m.seq, m.client_id) for m in unanswered] == [(2, "m1"), (3, "m2"), (5, "m3")]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_fresh_database_is_at_the_current_schema_version(
    store: SQLiteStore, db_path: Path
) -> None:
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_database_file_is_in_wal_mode(store: SQLiteStore, db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def _database_at_previous_version(path: Path) -> None:
    raw = sqlite3.connect(path, isolation_level=None)
    # version 1: before the answered watermark, whose back-fill the test checks
    migrate(raw, MIGRATIONS[:1])
    raw.execute(
        "INSERT INTO conversations (id, token, status, language, bot_state, last_seq,"
        " created_at, updated_at) VALUES ('c_old', 'old-tok', 'bot', 'en', '{}', 2, 1, 2)"
    )
    raw.executemany(
        "INSERT INTO messages (conversation_id, seq, sender, body, client_id, created_at)"
        " VALUES ('c_old', ?, ?, ?, ?, 1)",
        [(1, "customer", '{"text": "hi"}', "m1"), (2, "bot", '{"text": "hello"}', None)],
    )
    raw.close()


async def test_database_at_previous_version_is_migrated_keeping_its_data(
    db_path: Path,
) -> None:
    _database_at_previous_version(db_path)
    store = SQLiteStore(db_path)
    await store.open()
    try:
        old = await store.conversation_by_token("old-tok")
        assert old is not None and (old.last_seq, old.answered_seq) == (2, 2)
        appended = await store.append_customer_message("c_old", "m2", {"text": "again"}, 3.0)
        assert appended.message.seq == 3
    finally:
        await store.close()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this Helpline"):
        await SQLiteStore(db_path).open()


async def test_reopened_file_keeps_conversations_messages_and_events(db_path: Path) -> None:
    first = SQLiteStore(db_path)
    await first.open()
    conv = await first.create_conversation(token="keep", language="ko", now=1.0)
    await first.append_customer_message(conv.id, "m1", {"text": "환불해주세요"}, 2.0)
    await first.commit_turn(turn(conv, "환불 안내", status="queued", answers_seq=1), 3.0)
    saved = (await first.messages_after(conv.id, 0), await first.events(conv.id))
    await first.close()
    second = SQLiteStore(db_path)
    await second.open()
    try:
        assert await second.conversation_by_token("keep") == await second.conversation(conv.id)
        assert (await second.messages_after(conv.id, 0), await second.events(conv.id)) == saved
    finally:
        await second.close()


async def test_concurrent_appends_to_one_conversation_get_unique_consecutive_seqs(
    store: SQLiteStore, conv: Conversation
) -> None:
    results = await asyncio.gather(
        *(
            store.append_customer_message(conv.id, f"m{i}", {"text": str(i)}, 1.0)
            for i in range(200)
        )
    )
    assert sorted(r.message.seq for r in results) == list(range(1, 201))


async def test_concurrent_turns_in_many_conversations_keep_each_sequence_gapless(
    store: SQLiteStore,
) -> None:
    convs = [
        await store.create_conversation(token=f"t{i}", language="en", now=1.0) for i in range(20)
    ]

    async def chat(c: Conversation) -> None:
        for i in range(5):
            a = await store.append_customer_message(c.id, f"m{i}", {"text": "q"}, 2.0)
            await store.commit_turn(turn(c, "a", answers_seq=a.message.seq), 3.0)

    await asyncio.gather(*(chat(c) for c in convs))
    for c in convs:
        assert [m.seq for m in await store.messages_after(c.id, 0)] == list(range(1, 11))


Operation = Callable[[Store], Awaitable[object]]

_OPERATIONS: dict[str, Operation] = {
    "create": lambda s: s.create_conversation(token="x", language=None, now=1.0),
    "by_token": lambda s: s.conversation_by_token("x"),
    "append": lambda s: s.append_customer_message("c", "m", {"text": "hi"}, 1.0),
    "commit": lambda s: s.commit_turn(TurnRecord("c", "bot", {}, None), 1.0),
    "messages_after": lambda s: s.messages_after("c", 0),
    "events": lambda s: s.events("c"),
    "unanswered": lambda s: s.unanswered_customer_messages("c"),
}


@pytest.mark.parametrize("name", sorted(_OPERATIONS))
async def test_closed_store_raises_store_error(db_path: Path, name: str) -> None:
    store = SQLiteStore(db_path)
    await store.open()
    await store.close()
    with pytest.raises(StoreError, match="closed"):
        await _OPERATIONS[name](store)


async def test_unopenable_file_raises_store_error_chained_from_sqlite(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database") as info:
        await SQLiteStore(tmp_path).open()  # a directory is not a database file
    assert isinstance(info.value.__cause__, sqlite3.Error)


_CHILD = """
import asyncio, sys
from helpline.store import SQLiteStore

async def main():
    store = SQLiteStore(sys.argv[1])
    await store.open()
    conv = await store.create_conversation(token="crash", language="en", now=1.0)
    await store.append_customer_message(conv.id, "m1", {"text": "hello?"}, 2.0)
    print("stored", flush=True)
    await asyncio.Event().wait()  # killed here, before any bot turn

asyncio.run(main())
"""


async def test_message_stored_before_kill_9_survives_as_unanswered(db_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(db_path), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), timeout=30)
    finally:
        child.kill()
        await child.wait()
    assert line == b"stored\n"
    store = SQLiteStore(db_path)
    await store.open()
    try:
        conv = await store.conversation_by_token("crash")
        assert conv is not None
        unanswered = await store.unanswered_customer_messages(conv.id)
        assert [(m.seq, m.body) for m in unanswered] == [(1, {"text": "hello?"})]
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///helpline.db", "helpline.db"),
        ("sqlite:///data/helpline.db", "data/helpline.db"),
        ("sqlite:////var/lib/helpline.db", "/var/lib/helpline.db"),
        ("SQLITE:///x.db", "x.db"),
        ("helpline.db", "helpline.db"),
        ("/tmp/helpline.db", "/tmp/helpline.db"),
        ("sqlite:///:memory:", ":memory:"),
    ],
)
def test_open_store_chooses_sqlite_for_its_urls(url: str, path: str) -> None:
    store = open_store(url)
    assert isinstance(store, SQLiteStore) and store.path == path


@pytest.mark.parametrize(
    "url", ["mysql://db/helpline", "redis:///x", "sqlite://", "sqlite://x.db", " "]
)
def test_open_store_rejects_bad_urls_naming_the_setting(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        open_store(url, setting="--db")
    assert info.value.setting == "--db"


async def test_failing_turn_among_concurrent_writes_undoes_only_itself(
    store: SQLiteStore, conv: Conversation
) -> None:
    other = await store.create_conversation(token="tok-2", language="en", now=1.0)
    msgs = (Outgoing("bot", {"text": "ok"}), Outgoing("nobody", {"text": "x"}))
    bad = TurnRecord(conv.id, "queued", {}, "ko", msgs, answers_seq=1)
    results = await asyncio.gather(
        store.append_customer_message(conv.id, "m1", {"text": "a"}, 2.0),
        store.commit_turn(bad, 3.0),
        store.append_customer_message(other.id, "m1", {"text": "b"}, 2.0),
        store.append_customer_message(conv.id, "m2", {"text": "c"}, 4.0),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == ["Appended", "StoreError", "Appended", "Appended"]
    kept = await store.messages_after(conv.id, 0)
    # two appends sent at once may be stored in either order on a pooled backend: what
    # counts is that both are, with gapless seqs, and that the failed turn left nothing
    assert sorted(m.client_id for m in kept) == ["m1", "m2"]
    assert [m.seq for m in kept] == [1, 2]
    assert [m.client_id for m in await store.messages_after(other.id, 0)] == ["m1"]


async def test_close_finishes_writes_already_submitted(db_path: Path) -> None:
    store = SQLiteStore(db_path)
    await store.open()
    conv = await store.create_conversation(token="t", language="en", now=1.0)
    # gather starts the append first; it is queued before close() asks the thread to stop
    appended, _ = await asyncio.gather(
        store.append_customer_message(conv.id, "m1", {"text": "bye"}, 2.0), store.close()
    )
    reopened = SQLiteStore(db_path)
    await reopened.open()
    try:
        assert await reopened.messages_after(conv.id, 0) == [appended.message]
    finally:
        await reopened.close()


class _ThreadKiller(BaseException):
    """Escapes the per-operation handler, as only a bug in the store would."""


def _kill_thread(go: threading.Event, conn: sqlite3.Connection) -> None:
    go.wait(timeout=30)  # until the next job is queued behind this one
    raise _ThreadKiller


async def test_callers_get_store_error_when_the_database_thread_dies(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    worker = Worker(partial(connect, str(db_path), 1000), loop)
    worker.start()
    await worker.ready
    go = threading.Event()
    doomed = worker.submit(partial(_kill_thread, go))
    queued = worker.submit(lambda conn: conn.execute("SELECT 1").fetchone())
    go.set()
    await asyncio.wait_for(worker.stopped, timeout=30)
    for future in (doomed, queued):
        with pytest.raises(StoreError, match="thread has stopped"):
            await asyncio.wait_for(future, timeout=30)
    with pytest.raises(StoreError, match="thread has stopped"):
        worker.submit(lambda conn: None)
    assert "the database thread failed" in caplog.text


async def _batch_of_inserts(
    db_path: Path, operations: list[Callable[[sqlite3.Connection], Any]]
) -> tuple[list[Any], list[str], list[str]]:
    """Submit the operations in one turn of the loop to a fresh worker: their outcomes
    (results or exceptions), the statements the worker ran, and the names committed."""
    loop = asyncio.get_running_loop()
    statements: list[str] = []

    def traced() -> sqlite3.Connection:
        conn = connect(str(db_path), 1000)
        conn.execute("CREATE TABLE names (name TEXT UNIQUE)")
        conn.set_trace_callback(statements.append)
        return conn

    worker = Worker(traced, loop)
    worker.start()
    await worker.ready
    statements.clear()
    outcomes = await asyncio.gather(*map(worker.submit, operations), return_exceptions=True)
    worker.stop()
    await worker.stopped
    with sqlite3.connect(db_path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM names ORDER BY rowid")]
    return outcomes, statements, names


def _insert(name: str) -> Callable[[sqlite3.Connection], str]:
    def operation(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO names (name) VALUES (?)", (name,))
        return name

    return operation


async def test_batch_that_succeeds_runs_without_a_savepoint(
    db_path: Path,
) -> None:
    outcomes, statements, names = await _batch_of_inserts(
        db_path, [_insert("a"), _insert("b"), _insert("c")]
    )
    assert outcomes == ["a", "b", "c"] and names == ["a", "b", "c"]
    assert not [s for s in statements if "SAVEPOINT" in s]


async def test_failing_operation_in_a_batch_undoes_only_itself(db_path: Path) -> None:
    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO names (name) VALUES ('half')")
        raise ValueError("a bug after one write")

    outcomes, _, names = await _batch_of_inserts(
        db_path, [_insert("a"), half_then_fail, _insert("a"), _insert("c")]
    )
    assert outcomes[0] == "a" and outcomes[3] == "c"
    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[2], sqlite3.IntegrityError)  # the name was taken by the first
    assert names == ["a", "c"]


async def _open_traced_worker(
    db_path: Path, hold_s: float
) -> tuple[Worker, list[str]]:
    loop = asyncio.get_running_loop()
    statements: list[str] = []

    def traced() -> sqlite3.Connection:
        conn = connect(str(db_path), 1000)
        conn.execute("CREATE TABLE names (name TEXT UNIQUE)")
        conn.set_trace_callback(statements.append)
        return conn

    worker = Worker(traced, loop, hold_s=hold_s)
    worker.start()
    await worker.ready
    statements.clear()
    return worker, statements


def _committed_names(db_path: Path) -> list[str]:
    """What another connection sees: committed rows only."""
    with sqlite3.connect(db_path) as conn:
        return [row[0] for row in conn.execute("SELECT name FROM names ORDER BY rowid")]


async def test_early_job_hands_its_result_over_before_it_is_committed(db_path: Path) -> None:
    worker, statements = await _open_traced_worker(db_path, hold_s=30.0)
    ran, durable = worker.submit_early(_insert("message"))
    assert await asyncio.wait_for(ran, 10) == "message"
    assert not durable.done() and _committed_names(db_path) == []
    follow_up = worker.submit(_insert("answer"))
    assert await asyncio.wait_for(follow_up, 10) == "answer"
    assert durable.done() and await durable == "message"
    assert _committed_names(db_path) == ["message", "answer"]
    assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1
    worker.stop()
    await worker.stopped


async def test_early_job_with_nothing_after_it_commits_alone_after_the_hold(
    db_path: Path,
) -> None:
    worker, _ = await _open_traced_worker(db_path, hold_s=0.01)
    _, durable = worker.submit_early(_insert("message"))
    assert await asyncio.wait_for(durable, 10) == "message"
    assert _committed_names(db_path) == ["message"]
    worker.stop()
    await worker.stopped


async def test_failing_job_joining_a_held_transaction_leaves_the_early_one_stored(
    db_path: Path,
) -> None:
    worker, _ = await _open_traced_worker(db_path, hold_s=30.0)
    ran, durable = worker.submit_early(_insert("message"))
    await asyncio.wait_for(ran, 10)
    with pytest.raises(sqlite3.IntegrityError):
        await asyncio.wait_for(worker.submit(_insert("message")), 10)
    assert await durable == "message"
    assert _committed_names(db_path) == ["message"]
    worker.stop()
    await worker.stopped


async def test_stopping_worker_commits_the_held_transaction(db_path: Path) -> None:
    worker, _ = await _open_traced_worker(db_path, hold_s=30.0)
    ran, durable = worker.submit_early(_insert("message"))
    await asyncio.wait_for(ran, 10)
    worker.stop()
    await asyncio.wait_for(worker.stopped, 10)
    assert await durable == "message"
    assert _committed_names(db_path) == ["message"]


async def test_no_transaction_is_held_after_waiting_for_another_process(db_path: Path) -> None:
    worker, _ = await _open_traced_worker(db_path, hold_s=30.0)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write lock
    waiting = worker.submit(_insert("first"))
    await asyncio.sleep(0)  # one turn of the loop: the batch meets the lock, to be retried
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(waiting, 10)
    _, durable = worker.submit_early(_insert("message"))
    assert await asyncio.wait_for(durable, 10) == "message"  # not held for 30 s
    worker.stop()
    await worker.stopped


async def test_big_batch_of_early_jobs_commits_without_a_hold(db_path: Path) -> None:
    worker, _ = await _open_traced_worker(db_path, hold_s=30.0)
    names = [f"m{n}" for n in range(HOLD_MAX_BATCH + 1)]
    durables = [worker.submit_early(_insert(name))[1] for name in names]
    assert await asyncio.wait_for(asyncio.gather(*durables), 10) == names  # not held 30 s
    worker.stop()
    await worker.stopped
