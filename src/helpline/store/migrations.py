"""The SQLite schema as an ordered list of migration steps, and the code that applies them."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence

from helpline.errors import StoreError
from helpline.store.sqlite_search_schema import BOT_TEXTS_STEP, REUSABLE_IDS_STEP, SEARCH_STEP

log = logging.getLogger(__name__)

# Step i (from 0) takes a database from PRAGMA user_version i to i + 1. Never edit a step
# that has shipped: append a new one. Each step is a tuple of single statements because
# executescript() would commit on its own and break the one-transaction guarantee.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: conversations, their messages, and the events analytics derive from
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
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        """CREATE TABLE messages (
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            sender TEXT NOT NULL CHECK (sender IN ('customer', 'bot', 'agent', 'system')),
            body TEXT NOT NULL,
            client_id TEXT,
            created_at REAL NOT NULL,
            PRIMARY KEY (conversation_id, seq),
            UNIQUE (conversation_id, client_id)
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            -- AUTOINCREMENT: an id is never reused, so a reader can resume after the last id
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            created_at REAL NOT NULL
        )""",
        # only what today's queries use: every index is one more page written per message;
        # analytics and customer lookups add theirs in the step that brings the query
        "CREATE INDEX events_by_conversation ON events (conversation_id, id)",
    ),
    # 2: the answered watermark, so a message stored just before a crash gets its reply
    (
        "ALTER TABLE conversations ADD COLUMN answered_seq INTEGER NOT NULL DEFAULT 0",
        # conversations from before this step were answered as far as anyone can tell
        "UPDATE conversations SET answered_seq = last_seq",
    ),
    # 3: agent accounts, their login sessions, and presence (kept so it survives a restart)
    (
        """CREATE TABLE agents (
            id TEXT PRIMARY KEY,
            -- NOCASE: one account per address whatever its capitals (ASCII folding only)
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            teams TEXT NOT NULL DEFAULT '[]',
            role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
            capacity INTEGER NOT NULL CHECK (capacity >= 1),
            password_hash TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE agent_sessions (
            token_hash TEXT PRIMARY KEY,  -- sha256 hex of the token; the token is never stored
            agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE agent_presence (
            agent_id TEXT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('online', 'away', 'offline')),
            updated_at REAL NOT NULL
        ) WITHOUT ROWID""",
    ),
    # 4: the outbox (emails to customers, retried until sent or given up), where a
    # conversation's customer wants email, and conversations looked up by customer
    (
        "ALTER TABLE conversations ADD COLUMN customer_email TEXT",
        # partial: anonymous conversations (most of them) cost no index entry
        """CREATE INDEX conversations_by_customer ON conversations (customer_id, created_at)
            WHERE customer_id IS NOT NULL""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            recipient TEXT NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            conversation_id TEXT REFERENCES conversations(id) ON DELETE SET NULL,
            status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error TEXT,
            created_at REAL NOT NULL,
            sent_at REAL
        )""",
        "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'queued'",
    ),
    # 5: tickets and the live queue; both are projections of the events written with them
    (
        """CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN ('open', 'pending', 'solved')),
            team TEXT NOT NULL,
            priority TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0,
            tags TEXT NOT NULL DEFAULT '[]',
            assignee TEXT,  -- an agent id; kept as history even if the account goes
            email TEXT,
            created_at REAL NOT NULL,
            assigned_at REAL,
            first_response_at REAL,
            solved_at REAL,
            csat_rating INTEGER CHECK (csat_rating BETWEEN 1 AND 5),
            csat_comment TEXT
        )""",
        "CREATE INDEX tickets_by_conversation ON tickets (conversation_id, created_at)",
        # the expected wait reads the latest handling times
        "CREATE INDEX tickets_by_solved ON tickets (solved_at) WHERE solved_at IS NOT NULL",
        """CREATE TABLE handoffs (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'assigned')),
            team TEXT NOT NULL,
            priority TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0,
            frustration REAL NOT NULL DEFAULT 0,
            enqueued_at REAL NOT NULL,
            agent_id TEXT,
            offered_at REAL,
            passed TEXT NOT NULL DEFAULT '[]'  -- agents whose offer expired
        ) WITHOUT ROWID""",
    ),
    (
        # an offer counts the agent's seats in use (offers and accepted conversations)
        "CREATE INDEX handoffs_by_agent ON handoffs (agent_id) WHERE agent_id IS NOT NULL",
    ),
    (
        # reports read a period's conversations by when they started
        "CREATE INDEX conversations_by_start ON conversations (created_at)",
    ),
    # 8: full-text search for the conversations view (store/search.py): one row per
    # searchable text, written by triggers in the transaction of the write it comes from,
    # and an FTS5 trigram index over them (substrings, so Korean needs no word breaks)
    SEARCH_STEP,
    # 9: the unsolved tickets' index
    (
        # the ticket list and the SLA breach check read the unsolved tickets, oldest first
        "CREATE INDEX tickets_unsolved ON tickets (created_at) WHERE status != 'solved'",
    ),
    # 10: customers as the console lists them: the signed identity as last seen (with the
    # attributes the host site passes) and agents' notes about the customer; filled from
    # the identified conversations so far, whose attributes were never sent
    (
        """CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT,
            email TEXT,
            attributes TEXT NOT NULL DEFAULT '{}',  -- a JSON object, identity.py's limits
            first_seen_at REAL NOT NULL,
            last_seen_at REAL NOT NULL
        )""",
        "CREATE INDEX customers_by_last_seen ON customers (last_seen_at, id)",
        """INSERT INTO customers (id, name, email, first_seen_at, last_seen_at)
            SELECT customer_id, MAX(customer_name), MAX(customer_email), MIN(created_at),
                   MAX(updated_at)
            FROM conversations WHERE customer_id IS NOT NULL GROUP BY customer_id""",
        """CREATE TABLE customer_notes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            customer_id TEXT NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            agent_id TEXT NOT NULL,
            name TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX customer_notes_by_customer ON customer_notes (customer_id, id)",
    ),
    # 11: canned answers supervisors write (store/canned.py); the shortcut's uniqueness is
    # the index's, so two supervisors adding one at once cannot both succeed
    (
        """CREATE TABLE canned_answers (
            id TEXT PRIMARY KEY,
            shortcut TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            bodies TEXT NOT NULL,  -- JSON: language -> text
            team TEXT,  -- NULL: every agent
            created_by TEXT NOT NULL,
            updated_at REAL NOT NULL
        )""",
    ),
    # 12: files customers and agents send (store/attachments.py). The bytes live in the
    # database, not on disk beside it: nodes sharing PostgreSQL share no disk, and a file
    # is then as durable, backed up and deleted as the conversation it belongs to
    (
        """CREATE TABLE attachments (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            sender TEXT NOT NULL CHECK (sender IN ('customer', 'agent')),
            agent_id TEXT,
            name TEXT NOT NULL,
            content_type TEXT NOT NULL,  -- sniffed from the bytes, never the uploader's word
            size INTEGER NOT NULL,
            created_at REAL NOT NULL,
            content BLOB NOT NULL
        )""",
        "CREATE INDEX attachments_by_conversation ON attachments (conversation_id)",
    ),
    # 13: what the customer's widget reports (store/visit.py): the page they are on, shown
    # on the agent's queue card, and the newest message they have seen, shown as "Seen"
    (
        """CREATE TABLE conversation_visits (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
            page_url TEXT,
            seen_seq INTEGER NOT NULL DEFAULT 0,
            updated_at REAL NOT NULL
        )""",
    ),
    # 14: the bot's texts searched once each, not once for every conversation they were
    # said in (sqlite_search_schema.BOT_TEXTS_STEP)
    BOT_TEXTS_STEP,
    # 15: events and search documents without AUTOINCREMENT. It kept an id from ever being
    # used twice by writing the table's row in sqlite_sequence at every insert: one more
    # page in each commit (1 of 15 a message at light load, bench/store_writes.py) and a
    # scan of sqlite_sequence per statement. Nothing needs it: events are never deleted
    # (but with their conversation) and are only ever read in order within a conversation,
    # whose new events still take ids past all others; the search documents keep their
    # batch mark right as ids are reused (sqlite_search_schema.REUSABLE_IDS_STEP). The
    # keyword goes from the tables' stored definitions (their rows are stored alike with
    # it or without; migrate() then bumps the schema cookie, sqlite_inbox's procedure).
    (
        *REUSABLE_IDS_STEP,
        "PRAGMA writable_schema = ON",
        """UPDATE sqlite_schema
            SET sql = replace(sql, 'id INTEGER PRIMARY KEY AUTOINCREMENT', 'id INTEGER PRIMARY KEY')
            WHERE type = 'table' AND name IN ('events', 'search_documents')""",
        "PRAGMA writable_schema = OFF",
    ),
)
_REWRITES_SCHEMA = 14  # the step (from 0) that edits sqlite_schema itself

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending(old: int, steps: Sequence[Sequence[str]]) -> Sequence[Sequence[str]]:
    """The steps a schema at version `old` still needs (either backend's); StoreError when
    the database is newer than this Helpline, before anything is changed."""
    if old > len(steps):
        raise StoreError(
            f"database schema version {old} is newer than this Helpline "
            f"understands ({len(steps)}); upgrade Helpline"
        )
    return steps[old:]


def _reread_schema(conn: sqlite3.Connection) -> None:
    """After step 15's edit: every connection (this one too) rereads the schema, and the
    tables' sqlite_sequence rows, read by nothing now, go."""
    cookie = int(conn.execute("PRAGMA schema_version").fetchone()[0])
    conn.execute(f"PRAGMA schema_version = {cookie + 1:d}")
    conn.execute("DELETE FROM sqlite_sequence WHERE name IN ('events', 'search_documents')")


def migrate(conn: sqlite3.Connection, steps: Sequence[Sequence[str]] = MIGRATIONS) -> int:
    """Bring the database up to len(steps) in one transaction; returns the old version."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        old = schema_version(conn)
        for number, step in enumerate(pending(old, steps), old):
            for statement in step:
                conn.execute(statement)
            if number == _REWRITES_SCHEMA:
                _reread_schema(conn)
        # PRAGMA user_version is written inside the transaction, so it moves with the schema
        conn.execute(f"PRAGMA user_version = {len(steps):d}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    if old != len(steps):
        log.info("database schema migrated from version %d to %d", old, len(steps))
    return old
