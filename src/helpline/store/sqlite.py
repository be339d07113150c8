"""SQLiteStore: the embedded default backend, one connection on one dedicated thread."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from functools import partial
from typing import Any, Concatenate, ParamSpec, TypeVar

from helpline.errors import StoreError
from helpline.store import (
    sqlite_agents,
    sqlite_alerts,
    sqlite_attachments,
    sqlite_canned,
    sqlite_conversations,
    sqlite_customers,
    sqlite_handoff,
    sqlite_inbox,
    sqlite_mail,
    sqlite_reports,
    sqlite_search,
    sqlite_tickets,
    sqlite_visit,
)
from helpline.store.agents import AgentStore
from helpline.store.alerts import AlertStore
from helpline.store.attachments import AttachmentStore
from helpline.store.base import Appended, Store
from helpline.store.canned import CannedStore
from helpline.store.customer_directory import CustomerDirectoryStore
from helpline.store.customers import CustomerStore
from helpline.store.early import EarlyAppendStore
from helpline.store.handoff import HandoffStore
from helpline.store.inbox import InboxStore
from helpline.store.migrations import migrate
from helpline.store.outbox import OutboxStore
from helpline.store.reports import ReportStore
from helpline.store.search import SearchStore
from helpline.store.sqlite_checkpoint import WAL_LIMIT_BYTES, Checkpointer
from helpline.store.sqlite_worker import HOLD_S, Worker
from helpline.store.tickets import TicketStore
from helpline.store.visit import VisitStore

# The writer's page cache, KiB (SQLite's default is 2 MiB; it was 32). A cache fills until
# it is full, so a large one is memory spent on the pages of conversations nobody writes to
# again: at 10,000 idle greeted sockets 32 MiB cost each about a KiB of RSS
# (bench/idle_sockets.py, three runs each, 17.4 -> 16.3 KiB a socket). A page the cache
# lacks is one read from the OS's own cache, about 1.1 us. bench/store_writes.py
# --cache-kib, 300 conversations writing 50 at once, pages read a message: on a fresh file
# 1.4 at 2 MiB, 0.1 at 4 MiB, none at 32; behind 10,000 older conversations (--history,
# a 115 MiB file) 15.6, 9.5, 7.8 at 8 MiB and 0.8 at 32 MiB, whose writer used 572 us a
# message against 623 (two runs each, noisy): on a file that large the big cache does save
# some CPU, 8 MiB does not win it back. A fresh node under open_loop.py read about one page
# more a message (strace), and its CPU a message moved within the runs' spread.
CACHE_KIB = 4096

P = ParamSpec("P")
T = TypeVar("T")


def connect(
    path: str,
    busy_timeout_ms: int,
    autocheckpoint: bool = True,
    wal_limit_bytes: int = WAL_LIMIT_BYTES,
) -> sqlite3.Connection:
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
        # when a checkpoint has copied the whole log, the next writer starts it again and
        # cuts the file to this size (SQLite's default keeps the largest it ever was)
        conn.execute(f"PRAGMA journal_size_limit = {wal_limit_bytes:d}")
        # NORMAL under WAL is durable against a crash of the process (kill -9 included):
        # a commit is in the WAL file, i.e. in the OS page cache, before COMMIT returns.
        # Only an OS crash or power loss can drop the last few transactions, and never
        # corrupts the file; FULL would fsync on every commit and cap throughput at the
        # disk's sync rate for that narrow case.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB:d}")
        if not autocheckpoint:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        migrate(conn)
        sqlite_inbox.migrate(conn)
        sqlite_alerts.migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _operation(
    fn: Callable[Concatenate[sqlite3.Connection, P], T],
) -> Callable[Concatenate[SQLiteStore, P], Coroutine[Any, Any, T]]:
    """The store method that runs fn(connection, *args) in the next group commit.

    Assigned in the class body under a Protocol method's name, the method takes that
    method's parameters (mypy infers them from the Protocol and checks fn against them:
    names, types, defaults, the result), so an operation is written once per backend.
    """

    async def method(store: SQLiteStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        def operation(conn: sqlite3.Connection) -> T:
            return fn(conn, *args, **kwargs)

        operation.__name__ = fn.__name__  # for a log or a test counting round trips
        return await store._run(operation)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


class SQLiteStore(
    Store,
    AgentStore,
    CustomerStore,
    OutboxStore,
    HandoffStore,
    ReportStore,
    InboxStore,
    AlertStore,
    SearchStore,
    TicketStore,
    CustomerDirectoryStore,
    CannedStore,
    AttachmentStore,
    VisitStore,
    EarlyAppendStore,
):
    """The Store contract (and AgentStore, CustomerStore, OutboxStore, HandoffStore,
    ReportStore, InboxStore) on one SQLite file: each method is an operation of
    sqlite_conversations, sqlite_agents, sqlite_mail, sqlite_handoff, sqlite_reports or
    sqlite_inbox, run on the store's connection.

    One connection, run by sqlite_worker.Worker on the event loop: operations are
    serialised so seqs cannot collide, and operations submitted in the same turn of the
    loop share one commit.
    """

    create_conversation = _operation(sqlite_conversations.create_conversation)
    conversation = _operation(sqlite_conversations.conversation)
    conversation_by_token = _operation(sqlite_conversations.conversation_by_token)
    append_customer_message = _operation(sqlite_conversations.append_customer_message)
    commit_turn = _operation(sqlite_conversations.commit_turn)
    unanswered_customer_messages = _operation(sqlite_conversations.unanswered_customer_messages)
    messages_after = _operation(sqlite_conversations.messages_after)
    events = _operation(sqlite_conversations.events)

    create_agent = _operation(sqlite_agents.create_agent)
    agent = _operation(sqlite_agents.agent)
    agent_by_email = _operation(sqlite_agents.agent_by_email)
    agents = _operation(sqlite_agents.agents)
    update_agent = _operation(sqlite_agents.update_agent)
    locked_agent_ids = _operation(sqlite_agents.locked_agent_ids)
    update_password_hash = _operation(sqlite_agents.update_password_hash)
    set_password = _operation(sqlite_agents.set_password)
    create_session = _operation(sqlite_agents.create_session)
    session = _operation(sqlite_agents.session)
    session_agent = _operation(sqlite_agents.session_agent)
    extend_session = _operation(sqlite_agents.extend_session)
    delete_session = _operation(sqlite_agents.delete_session)
    delete_expired_sessions = _operation(sqlite_agents.delete_expired_sessions)
    set_presence = _operation(sqlite_agents.set_presence)
    presences = _operation(sqlite_agents.presences)

    create_identified_conversation = _operation(sqlite_mail.create_identified_conversation)
    submit_customer_email = _operation(sqlite_mail.submit_customer_email)
    customer_email = _operation(sqlite_mail.customer_email)
    customer_conversations = _operation(sqlite_mail.customer_conversations)
    latest_open_conversation = _operation(sqlite_mail.latest_open_conversation)
    enqueue_email = _operation(sqlite_mail.enqueue_email)
    due_emails = _operation(sqlite_mail.due_emails)
    next_email_due_at = _operation(sqlite_mail.next_email_due_at)
    mark_email_sent = _operation(sqlite_mail.mark_email_sent)
    mark_email_failed = _operation(sqlite_mail.mark_email_failed)
    outbox_email = _operation(sqlite_mail.outbox_email)

    escalate = _operation(sqlite_handoff.escalate)
    handoffs = _operation(sqlite_handoff.handoffs)
    handoff = _operation(sqlite_handoff.handoff)
    offer = _operation(sqlite_handoff.offer)
    expire_offer = _operation(sqlite_handoff.expire_offer)
    mark_urgent = _operation(sqlite_handoff.mark_urgent)
    claim = _operation(sqlite_handoff.claim)
    transfer = _operation(sqlite_handoff.transfer)
    finish = _operation(sqlite_handoff.finish)
    append_agent_message = _operation(sqlite_handoff.append_agent_message)
    add_note = _operation(sqlite_handoff.add_note)
    notes = _operation(sqlite_handoff.notes)
    tickets = _operation(sqlite_handoff.tickets)
    customer_tickets = _operation(sqlite_handoff.customer_tickets)
    reopen_ticket = _operation(sqlite_handoff.reopen_ticket)
    rate = _operation(sqlite_handoff.rate)
    recent_handle_times = _operation(sqlite_handoff.recent_handle_times)

    report_events = _operation(sqlite_reports.report_events)
    outbox_counts = _operation(sqlite_reports.outbox_counts)

    unanswered_messages = _operation(sqlite_inbox.unanswered_messages)
    resolve_messages = _operation(sqlite_inbox.resolve_messages)
    closed_by_agents = _operation(sqlite_inbox.closed_by_agents)

    decisions_between = _operation(sqlite_alerts.decisions_between)
    raise_alert = _operation(sqlite_alerts.raise_alert)
    clear_alert = _operation(sqlite_alerts.clear_alert)
    active_alerts = _operation(sqlite_alerts.active_alerts)
    post_incident = _operation(sqlite_alerts.post_incident)
    lift_incident = _operation(sqlite_alerts.lift_incident)
    standing_incidents = _operation(sqlite_alerts.standing_incidents)
    find_conversations = _operation(sqlite_search.find_conversations)
    conversation_visible = _operation(sqlite_search.conversation_visible)
    ticket = _operation(sqlite_tickets.ticket)
    ticket_list = _operation(sqlite_tickets.ticket_list)
    change_ticket = _operation(sqlite_tickets.change_ticket)
    add_breach = _operation(sqlite_tickets.add_breach)
    remember_customer = _operation(sqlite_customers.remember_customer)
    find_customers = _operation(sqlite_customers.find_customers)
    customer = _operation(sqlite_customers.customer)
    customer_visible = _operation(sqlite_customers.customer_visible)
    add_customer_note = _operation(sqlite_customers.add_customer_note)
    customer_notes = _operation(sqlite_customers.customer_notes)

    canned_answers = _operation(sqlite_canned.canned_answers)
    add_canned = _operation(sqlite_canned.add_canned)
    change_canned = _operation(sqlite_canned.change_canned)
    delete_canned = _operation(sqlite_canned.delete_canned)

    add_attachment = _operation(sqlite_attachments.add_attachment)
    attachment = _operation(sqlite_attachments.attachment)
    attachment_content = _operation(sqlite_attachments.attachment_content)
    conversation_attachment_bytes = _operation(sqlite_attachments.conversation_attachment_bytes)
    set_page = _operation(sqlite_visit.set_page)
    mark_seen = _operation(sqlite_visit.mark_seen)
    visit = _operation(sqlite_visit.visit)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        wal_limit_bytes: int = WAL_LIMIT_BYTES,
        checkpoint_interval_s: float = 1.0,
        hold_s: float = HOLD_S,
    ) -> None:
        self.path = os.fspath(path)
        # how long a customer message's transaction waits for the turn that answers it
        # (sqlite_worker.HOLD_S); 0 where other processes write to the same file
        self.hold_s = hold_s
        self._busy_timeout_ms = busy_timeout_ms
        self._wal_limit_bytes = wal_limit_bytes
        self._checkpoint_interval_s = checkpoint_interval_s
        self._worker: Worker | None = None
        self._checkpointer: Checkpointer | None = None

    async def open(self) -> None:
        if self._worker is not None:
            raise StoreError(f"store {self.path} is already open")
        limit = self._wal_limit_bytes
        checkpointer = Checkpointer(self.path, self._checkpoint_interval_s, limit)
        opening = partial(connect, autocheckpoint=False, wal_limit_bytes=limit)
        worker = Worker(
            partial(opening, self.path, self._busy_timeout_ms),
            asyncio.get_running_loop(),
            on_commit=partial(setattr, checkpointer, "dirty", True),
            hold_s=self.hold_s,
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

    async def append_customer_message_early(
        self, conversation_id: str, client_id: str, body: Mapping[str, Any], now: float
    ) -> tuple[Appended, Awaitable[Appended]]:
        """EarlyAppendStore's: the append in a transaction held open for the turn."""

        def append_customer_message(conn: sqlite3.Connection) -> Appended:
            return sqlite_conversations.append_customer_message(
                conn, conversation_id, client_id, body, now
            )

        ran, durable = self._run_early(append_customer_message)
        try:
            appended: Appended = await self._converted(ran)
        except BaseException:
            durable.add_done_callback(_retrieved)  # failed too: nobody will await it
            raise
        return appended, self._converted(durable)

    def _run_early(
        self, operation: Callable[[sqlite3.Connection], T]
    ) -> tuple[asyncio.Future[T], asyncio.Future[T]]:
        """operation(conn) in a transaction held open for the next: Worker.submit_early."""
        if self._worker is None:
            raise StoreError(f"store {self.path} is closed")
        return self._worker.submit_early(operation)

    async def _converted(self, pending: Awaitable[T]) -> T:
        try:
            return await pending
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: {exc}") from exc

    async def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """operation(conn), atomically, in the next group commit."""
        if self._worker is None:
            raise StoreError(f"store {self.path} is closed")
        try:
            result: T = await self._worker.submit(operation)
        except sqlite3.Error as exc:
            raise StoreError(f"database {self.path}: {exc}") from exc
        return result


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
