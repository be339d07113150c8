"""PostgresStore: the shared backend several nodes use at once, over an asyncpg pool."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store import (
    postgres_agents,
    postgres_alerts,
    postgres_attachments,
    postgres_canned,
    postgres_conversations,
    postgres_customers,
    postgres_handoff,
    postgres_inbox,
    postgres_mail,
    postgres_reports,
    postgres_search,
    postgres_tickets,
    postgres_visit,
)
from helpline.store.agents import AgentStore
from helpline.store.alerts import AlertStore
from helpline.store.attachments import AttachmentStore
from helpline.store.base import Store
from helpline.store.canned import CannedStore
from helpline.store.customer_directory import CustomerDirectoryStore
from helpline.store.customers import CustomerStore
from helpline.store.handoff import HandoffStore
from helpline.store.inbox import InboxStore
from helpline.store.outbox import OutboxStore
from helpline.store.postgres_migrations import migrate
from helpline.store.reports import ReportStore
from helpline.store.search import SearchStore
from helpline.store.tickets import TicketStore
from helpline.store.visit import VisitStore

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

# What a broken or refused database raises: the server's errors, the driver's (a closed
# connection, a pool being closed), and the socket's. Each becomes a StoreError.
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _operation(
    fn: Callable[Concatenate[asyncpg.Connection, P], Awaitable[T]],
) -> Callable[Concatenate[PostgresStore, P], Coroutine[Any, Any, T]]:
    """The store method that awaits fn(connection, *args) in a transaction of its own;
    mypy checks fn against the Protocol method it is assigned to (see sqlite._operation)."""

    async def method(store: PostgresStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        def operation(conn: asyncpg.Connection) -> Awaitable[T]:
            return fn(conn, *args, **kwargs)

        operation.__name__ = fn.__name__  # for a log or a test counting round trips
        return await store._run(operation)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


class PostgresStore(
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
):
    """The Store contract (and AgentStore, OutboxStore, CustomerStore, HandoffStore,
    ReportStore, InboxStore) on PostgreSQL, the same tables as SQLiteStore.

    Every operation is one transaction on a pooled connection. Conversation writers take
    the conversation's row lock, so seqs stay gapless and unique however many nodes write;
    claims are conditional UPDATEs. A connection the server dropped makes that call raise
    StoreError; the pool opens a fresh connection for the next one. Query parameters in the
    URL other than libpq's (e.g. ?search_path=tenant) are sent as server settings.
    """

    create_conversation = _operation(postgres_conversations.create_conversation)
    conversation = _operation(postgres_conversations.conversation)
    conversation_by_token = _operation(postgres_conversations.conversation_by_token)
    append_customer_message = _operation(postgres_conversations.append_customer_message)
    commit_turn = _operation(postgres_conversations.commit_turn)
    unanswered_customer_messages = _operation(postgres_conversations.unanswered_customer_messages)
    messages_after = _operation(postgres_conversations.messages_after)
    events = _operation(postgres_conversations.events)

    create_agent = _operation(postgres_agents.create_agent)
    agent = _operation(postgres_agents.agent)
    agent_by_email = _operation(postgres_agents.agent_by_email)
    agents = _operation(postgres_agents.agents)
    update_agent = _operation(postgres_agents.update_agent)
    locked_agent_ids = _operation(postgres_agents.locked_agent_ids)
    update_password_hash = _operation(postgres_agents.update_password_hash)
    set_password = _operation(postgres_agents.set_password)
    create_session = _operation(postgres_agents.create_session)
    session = _operation(postgres_agents.session)
    session_agent = _operation(postgres_agents.session_agent)
    extend_session = _operation(postgres_agents.extend_session)
    delete_session = _operation(postgres_agents.delete_session)
    delete_expired_sessions = _operation(postgres_agents.delete_expired_sessions)
    set_presence = _operation(postgres_agents.set_presence)
    presences = _operation(postgres_agents.presences)

    create_identified_conversation = _operation(postgres_mail.create_identified_conversation)
    submit_customer_email = _operation(postgres_mail.submit_customer_email)
    customer_email = _operation(postgres_mail.customer_email)
    customer_conversations = _operation(postgres_mail.customer_conversations)
    latest_open_conversation = _operation(postgres_mail.latest_open_conversation)
    enqueue_email = _operation(postgres_mail.enqueue_email)
    due_emails = _operation(postgres_mail.due_emails)
    next_email_due_at = _operation(postgres_mail.next_email_due_at)
    mark_email_sent = _operation(postgres_mail.mark_email_sent)
    mark_email_failed = _operation(postgres_mail.mark_email_failed)
    outbox_email = _operation(postgres_mail.outbox_email)

    escalate = _operation(postgres_handoff.escalate)
    handoffs = _operation(postgres_handoff.handoffs)
    handoff = _operation(postgres_handoff.handoff)
    offer = _operation(postgres_handoff.offer)
    expire_offer = _operation(postgres_handoff.expire_offer)
    mark_urgent = _operation(postgres_handoff.mark_urgent)
    claim = _operation(postgres_handoff.claim)
    transfer = _operation(postgres_handoff.transfer)
    finish = _operation(postgres_handoff.finish)
    append_agent_message = _operation(postgres_handoff.append_agent_message)
    add_note = _operation(postgres_handoff.add_note)
    notes = _operation(postgres_handoff.notes)
    tickets = _operation(postgres_handoff.tickets)
    customer_tickets = _operation(postgres_handoff.customer_tickets)
    reopen_ticket = _operation(postgres_handoff.reopen_ticket)
    rate = _operation(postgres_handoff.rate)
    recent_handle_times = _operation(postgres_handoff.recent_handle_times)

    report_events = _operation(postgres_reports.report_events)
    outbox_counts = _operation(postgres_reports.outbox_counts)

    unanswered_messages = _operation(postgres_inbox.unanswered_messages)
    resolve_messages = _operation(postgres_inbox.resolve_messages)
    closed_by_agents = _operation(postgres_inbox.closed_by_agents)

    decisions_between = _operation(postgres_alerts.decisions_between)
    raise_alert = _operation(postgres_alerts.raise_alert)
    clear_alert = _operation(postgres_alerts.clear_alert)
    active_alerts = _operation(postgres_alerts.active_alerts)
    post_incident = _operation(postgres_alerts.post_incident)
    lift_incident = _operation(postgres_alerts.lift_incident)
    standing_incidents = _operation(postgres_alerts.standing_incidents)
    find_conversations = _operation(postgres_search.find_conversations)
    conversation_visible = _operation(postgres_search.conversation_visible)
    ticket = _operation(postgres_tickets.ticket)
    ticket_list = _operation(postgres_tickets.ticket_list)
    change_ticket = _operation(postgres_tickets.change_ticket)
    add_breach = _operation(postgres_tickets.add_breach)
    remember_customer = _operation(postgres_customers.remember_customer)
    find_customers = _operation(postgres_customers.find_customers)
    customer = _operation(postgres_customers.customer)
    customer_visible = _operation(postgres_customers.customer_visible)
    add_customer_note = _operation(postgres_customers.add_customer_note)
    customer_notes = _operation(postgres_customers.customer_notes)

    canned_answers = _operation(postgres_canned.canned_answers)
    add_canned = _operation(postgres_canned.add_canned)
    change_canned = _operation(postgres_canned.change_canned)
    delete_canned = _operation(postgres_canned.delete_canned)

    add_attachment = _operation(postgres_attachments.add_attachment)
    attachment = _operation(postgres_attachments.attachment)
    attachment_content = _operation(postgres_attachments.attachment_content)
    conversation_attachment_bytes = _operation(postgres_attachments.conversation_attachment_bytes)
    set_page = _operation(postgres_visit.set_page)
    mark_seen = _operation(postgres_visit.mark_seen)
    visit = _operation(postgres_visit.visit)

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self.where = redact(url)
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is not None:
            raise StoreError(f"store {self.where} is already open")
        try:
            pool = await asyncpg.create_pool(
                self.url, min_size=self._min_size, max_size=self._max_size, timeout=10
            )
        except (*DRIVER_ERRORS, ValueError) as exc:
            raise StoreError(f"cannot open database {self.where}: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
                await postgres_inbox.migrate(conn)
                await postgres_alerts.migrate(conn)
        except DRIVER_ERRORS as exc:
            await pool.close()
            raise StoreError(f"cannot open database {self.where}: {exc}") from exc
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()  # waits for the operations in flight to finish

    async def _run(self, operation: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """operation(conn) in one transaction on a pooled connection."""
        pool = self._pool
        if pool is None:
            raise StoreError(f"store {self.where} is closed")
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await operation(conn)
        except DRIVER_ERRORS as exc:
            raise StoreError(f"database {self.where}: {exc}") from exc
