"""SQLiteStore: the embedded default backend, one connection on one dedicated thread."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any, ClassVar, TypeVar

from helpline.errors import StoreError
from helpline.store import sqlite_agents, sqlite_handoff_ops, sqlite_inbox, sqlite_mail, sqlite_ops
from helpline.store.agent_methods import AgentMethods, AgentOps
from helpline.store.conversation_methods import ConversationMethods, ConversationOps
from helpline.store.handoff_methods import HandoffMethods, HandoffOps
from helpline.store.inbox_methods import InboxMethods, InboxOps
from helpline.store.mail_methods import MailMethods, MailOps
from helpline.store.migrations import migrate
from helpline.store.operation import Result
from helpline.store.sqlite_checkpoint import Checkpointer
from helpline.store.sqlite_worker import Worker

T = TypeVar("T")


def connect(path: str, busy_timeout_ms: int, autocheckpoint: bool = True) -> sqlite3.Connection:
    """Open the file, set the pragmas, and migrate the schema to the current version.
    autocheckpoint=False: a sqlite_checkpoint.Checkpointer copies the WAL instead."""
    # isolation_level=None: the worker issues BEGIN/COMMIT itself, to commit in batches;
    # check_same_thread=False: opened on a thread, then used by one thread at a time (the
    # loop's, or a helper's while it waits for a lock), never by two at once
    conn = sqlite3.connect(
        path, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms:d}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL under WAL is durable against a crash of the process (kill -9 included):
        # a commit is in the WAL file, i.e. in the OS page cache, before COMMIT returns.
        # Only an OS crash or power loss can drop the last few transactions, and never
        # corrupts the file; FULL would fsync on every commit and cap throughput at the
        # disk's sync rate for that narrow case.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # 32 MiB of page cache (the default is 2 MiB): the conversations being written stay
        # cached as the file grows; about a quarter less CPU per stored message. It fills
        # only as pages are read, so a small database stays small.
        conn.execute("PRAGMA cache_size = -32768")
        if not autocheckpoint:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        migrate(conn)
        sqlite_inbox.migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


class SQLiteStore(ConversationMethods, AgentMethods, MailMethods, HandoffMethods, InboxMethods):
    """The Store contract (and AgentStore, OutboxStore, CustomerStore, HandoffStore) on one
    SQLite file: the mixins hold the methods, this class the operations they run and how.

    One connection, run by sqlite_worker.Worker on the event loop: operations are
    serialised so seqs cannot collide, and operations submitted in the same turn of the
    loop share one commit.
    """

    _conversation_ops: ClassVar[ConversationOps] = sqlite_ops
    _agent_ops: ClassVar[AgentOps] = sqlite_agents
    _mail_ops: ClassVar[MailOps] = sqlite_mail
    _handoff_ops: ClassVar[HandoffOps] = sqlite_handoff_ops
    _inbox_ops: ClassVar[InboxOps] = sqlite_inbox

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> None:
        self.path = os.fspath(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._worker: Worker | None = None
        self._checkpointer: Checkpointer | None = None

    async def open(self) -> None:
        if self._worker is not None:
            raise StoreError(f"store {self.path} is already open")
        checkpointer = Checkpointer(self.path)
        worker = Worker(
            partial(connect, self.path, self._busy_timeout_ms, autocheckpoint=False),
            asyncio.get_running_loop(),
            on_commit=partial(setattr, checkpointer, "dirty", True),
        )
        worker.start()
        try:
            await worker.ready
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        checkpointer.start()
        self._worker, self._checkpointer = worker, checkpointer

    async def close(self) -> None:
        worker, self._worker = self._worker, None
        checkpointer, self._checkpointer = self._checkpointer, None
        if worker is None:
            return
        worker.stop()  # runs after every operation already queued
        await worker.stopped
        if checkpointer is not None:
            checkpointer.stop()
            await asyncio.get_running_loop().run_in_executor(None, checkpointer.join)

    async def _run(self, fn: Callable[..., Result[T]], *args: Any) -> T:
        """fn(conn, *args) in its own savepoint of the next group commit; SQLite's
        operations are plain functions, so what fn returns is the result."""
        if self._worker is None:
            raise StoreError(f"store {self.path} is closed")
        try:
            result: T = await self._worker.submit(lambda conn: fn(conn, *args))
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: {exc}") from exc
        return result
