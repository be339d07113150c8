"""The PostgreSQL schema as an ordered list of migration steps, and the code that applies them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg  # type: ignore[import-untyped]

from helpline.store.migrations import pending
from helpline.store.postgres_search_schema import SEARCH_STEP

log = logging.getLogger(__name__)

# Step i (from 0) takes a schema from version i to i + 1; never edit a step that has
# shipped, append one. The same tables as the SQLite schema (store/migrations.py), in
# PostgreSQL's types; JSON stays TEXT so bodies read back exactly as they were written.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: conversations, messages and events, with the answered watermark
    (
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            language TEXT,
            customer_id TEXT,
            customer_name TEXT,
            bot_state TEXT NOT NULL DEFAULT '{}',
            last_seq INTEGER NOT NULL DEFAULT 0,
            created_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            answered_seq INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE messages (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            sender TEXT NOT NULL CHECK (sender IN ('customer', 'bot', 'agent', 'system')),
            body TEXT NOT NULL,
            client_id TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (conversation_id, seq),
            UNIQUE (conversation_id, client_id)
        )""",
        """CREATE TABLE events (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            created_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX events_by_conversation ON events (conversation_id, id)",
    ),
    # 2: agent accounts, login sessions and presence
    (
        """CREATE TABLE agents (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL,
            name TEXT NOT NULL,
            teams TEXT NOT NULL DEFAULT '[]',
            role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
            capacity INTEGER NOT NULL CHECK (capacity >= 1),
            password_hash TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        # one account per address whatever its capitals, as SQLite's COLLATE NOCASE
        "CREATE UNIQUE INDEX agents_email ON agents (lower(email))",
        """CREATE TABLE agent_sessions (
            token_hash TEXT PRIMARY KEY,
            agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            expires_at DOUBLE PRECISION NOT NULL
        )""",
        """CREATE TABLE agent_presence (
            agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('online', 'away', 'offline')),
            updated_at DOUBLE PRECISION NOT NULL
        )""",
    ),
    # 3: the outbox, customers' emails and conversations by customer
    (
        "ALTER TABLE conversations ADD COLUMN customer_email TEXT",
        """CREATE INDEX conversations_by_customer ON conversations (customer_id, created_at)
            WHERE customer_id IS NOT NULL""",
        """CREATE TABLE outbox (
            id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at DOUBLE PRECISION NOT NULL,
            last_error TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            sent_at DOUBLE PRECISION
        )""",
        "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued'",
    ),
    # 4: tickets and the live queue, projections of the events written with them
    (
        """CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'solved')),
            team TEXT NOT NULL,
            priority TEXT NOT NULL,
            urgent BOOLEAN NOT NULL DEFAULT FALSE,
            tags TEXT NOT NULL DEFAULT '[]',
            assignee TEXT,
            email TEXT,
            created_at DOUBLE PRECISION NOT NULL,
            assigned_at DOUBLE PRECISION,
            first_response_at DOUBLE PRECISION,
            solved_at DOUBLE PRECISION,
            csat_rating INTEGER CHECK (csat_rating BETWEEN 1 AND 5),
            csat_comment TEXT
        )""",
        "CREATE INDEX tickets_by_conversation ON tickets (conversation_id, created_at)",
        "CREATE INDEX tickets_by_solved ON tickets (solved_at) WHERE solved_at IS NOT NULL",
        """CREATE TABLE handoffs (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'assigned')),
            team TEXT NOT NULL,
            priority TEXT NOT NULL,
            urgent BOOLEAN NOT NULL DEFAULT FALSE,
            frustration DOUBLE PRECISION NOT NULL DEFAULT 0,
            enqueued_at DOUBLE PRECISION NOT NULL,
            agent_id TEXT,
            offered_at DOUBLE PRECISION,
            passed TEXT NOT NULL DEFAULT '[]'
        )""",
    ),
    (
        # an offer counts the agent's seats in use (offers and accepted conversations)
        "CREATE INDEX handoffs_by_agent ON handoffs (agent_id) WHERE agent_id IS NOT NULL",
    ),
    (
        # reports read a period's conversations by when they started
        "CREATE INDEX conversations_by_start ON conversations (created_at)",
    ),
    # 7: full-text search, as SQLite's step 8: search documents kept by triggers, and a
    # pg_trgm GIN index over them
    SEARCH_STEP,
    # 8: the unsolved tickets' index, as SQLite's step 9
    (
        # the ticket list and the SLA breach check read the unsolved tickets, oldest first
        "CREATE INDEX tickets_unsolved ON tickets (created_at) WHERE status != 'solved'",
    ),
    # 9: customers, as SQLite's step 10: the signed identity as last seen (with the
    # attributes the host site passes) and agents' notes about the customer; filled from
    # the identified conversations so far, whose attributes were never sent
    (
        """CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT,
            email TEXT,
            attributes TEXT NOT NULL DEFAULT '{}',  -- a JSON object, identity.py's limits
            first_seen_at DOUBLE PRECISION NOT NULL,
            last_seen_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX customers_by_last_seen ON customers (last_seen_at, id)",
        """INSERT INTO customers (id, name, email, first_seen_at, last_seen_at)
            SELECT customer_id, MAX(customer_name), MAX(customer_email), MIN(created_at),
                   MAX(updated_at)
            FROM conversations WHERE customer_id IS NOT NULL GROUP BY customer_id""",
        """CREATE TABLE customer_notes (
            id BIGSERIAL PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            agent_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at DOUBLE PRECISION NOT NULL
        )""",
        "CREATE INDEX customer_notes_by_customer ON customer_notes (customer_id, id)",
    ),
    # 10: canned answers, as SQLite's step 11; the shortcut's uniqueness is
    # the index's, so two supervisors adding one at once cannot both succeed
    (
        """CREATE TABLE canned_answers (
            id TEXT PRIMARY KEY,
            shortcut TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            bodies TEXT NOT NULL,  -- JSON: language -> text
            team TEXT,  -- NULL: every agent
            created_by TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL
        )""",
    ),
    # 11: files customers and agents send, as SQLite's step 12 (bytes in the database, so
    # every node reads the same files and they go with their conversation)
    (
        """CREATE TABLE attachments (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            sender TEXT NOT NULL CHECK (sender IN ('customer', 'agent')),
            agent_id TEXT,
            name TEXT NOT NULL,
            content_type TEXT NOT NULL,  -- sniffed from the bytes, never the uploader's word
            size INTEGER NOT NULL,
            created_at DOUBLE PRECISION NOT NULL,
            content BYTEA NOT NULL
        )""",
        "CREATE INDEX attachments_by_conversation ON attachments (conversation_id)",
    ),
    # 12: the customers' visits, as SQLite's step 13
    (
        """CREATE TABLE conversation_visits (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
            page_url TEXT,
            seen_seq INTEGER NOT NULL DEFAULT 0,
            updated_at DOUBLE PRECISION NOT NULL
        )""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

# Any fixed number: every node migrating at start-up takes it, so only one runs the steps
_MIGRATION_LOCK = 0x48656C70  # "Help"


async def schema_version(conn: asyncpg.Connection) -> int:
    """The version recorded in helpline_schema (0 for an empty schema)."""
    exists = await conn.fetchval("SELECT to_regclass('helpline_schema') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT version FROM helpline_schema"))


async def migrate(conn: asyncpg.Connection, steps: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the schema up to len(steps) in one transaction; returns the old version.

    Tables go to the first schema on the connection's search_path. A transaction-level
    advisory lock makes nodes starting together wait for each other instead of racing.
    """
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
        old = await schema_version(conn)
        todo = pending(old, steps)
        if old == 0:
            await conn.execute("CREATE TABLE helpline_schema (version INTEGER NOT NULL)")
            await conn.execute("INSERT INTO helpline_schema VALUES (0)")
        for step in todo:
            for statement in step:
                await conn.execute(statement)
        await conn.execute("UPDATE helpline_schema SET version = $1", len(steps))
    if old != len(steps):
        log.info("database schema migrated from version %d to %d", old, len(steps))
    return old
