"""The search documents' tables and triggers on SQLite: the schema step that brings them."""

from __future__ import annotations

# What is searchable, one row each: a customer, bot or agent message's text (ref: its seq),
# an agent's note (ref: its event id), a ticket's tags (ref: the ticket id) and the
# conversation's customer, i.e. name, customer id and conversation id (ref: "customer"),
# so the short id a card shows finds it too. System notices are not searched.
# AUTOINCREMENT: an id is never reused, so "indexed up to id" stays true (below)
_DOCUMENTS = """CREATE TABLE search_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('message', 'note', 'tags', 'customer')),
    ref TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (conversation_id, source, ref)
)"""
# external content: the text is stored once, in search_documents; the index holds trigrams
_INDEX = """CREATE VIRTUAL TABLE search_index USING fts5(
    text, content='search_documents', content_rowid='id',
    tokenize='trigram case_sensitive 0'
)"""
# The index is written in batches: FTS5 writes a segment at every commit that added to it
# (about 210 us on this machine, one document or a hundred), which tripled the cost of a
# customer message and its bot reply (143 -> 427 us, bench/search.py). Documents up to
# search_indexed.upto are in the index; every INDEX_BATCH-th document adds the ones after
# it, and a search adds the rest first (sqlite_search.catch_up), so nothing is missed.
INDEX_BATCH = 256
_INDEXED = "CREATE TABLE search_indexed (upto INTEGER NOT NULL)"
_INDEXED_ROW = "INSERT INTO search_indexed (upto) VALUES (0)"
CATCH_UP = (
    """INSERT INTO search_index (rowid, text) SELECT id, text FROM search_documents
        WHERE id > (SELECT upto FROM search_indexed) ORDER BY id""",
    """UPDATE search_indexed
        SET upto = max(upto, (SELECT coalesce(max(id), 0) FROM search_documents))""",
)
_INDEX_BATCH = f"""CREATE TRIGGER search_documents_added AFTER INSERT ON search_documents
WHEN new.id % {INDEX_BATCH:d} = 0
BEGIN
    {CATCH_UP[0]};
    {CATCH_UP[1]};
END"""
# documents are only ever added or removed (a changed one is removed, then added again);
# one not yet in the index needs nothing
_INDEX_REMOVED = """CREATE TRIGGER search_documents_removed AFTER DELETE ON search_documents
WHEN old.id <= (SELECT upto FROM search_indexed)
BEGIN
    INSERT INTO search_index (search_index, rowid, text) VALUES ('delete', old.id, old.text);
END"""

# the same selections serve the triggers (one new row) and the backfill (every old row)
_MESSAGE_TEXT = "CAST(json_extract({row}.body, '$.text') AS TEXT)"
_MESSAGE_WANTED = "{row}.sender <> 'system' AND coalesce(" + _MESSAGE_TEXT + ", '') <> ''"
_NOTE_TEXT = "CAST(json_extract({row}.data, '$.text') AS TEXT)"
_NOTE_WANTED = "{row}.kind = 'note.added' AND coalesce(" + _NOTE_TEXT + ", '') <> ''"
_CUSTOMER_TEXT = (
    "trim(coalesce({row}.customer_name, '') || ' ' || coalesce({row}.customer_id, '')"
    " || ' ' || {row}.id)"
)
_TAGS = (
    "SELECT {row}.conversation_id, 'tags', {row}.id, group_concat(j.value, ' ')"
    " FROM json_each({row}.tags) j HAVING count(*) > 0"
)


_MESSAGE_ADDED = f"""CREATE TRIGGER search_message AFTER INSERT ON messages
WHEN {_MESSAGE_WANTED.format(row="new")}
BEGIN
    INSERT INTO search_documents (conversation_id, source, ref, text)
    VALUES (new.conversation_id, 'message', new.seq, {_MESSAGE_TEXT.format(row="new")});
END"""
_NOTE_ADDED = f"""CREATE TRIGGER search_note AFTER INSERT ON events
WHEN {_NOTE_WANTED.format(row="new")}
BEGIN
    INSERT INTO search_documents (conversation_id, source, ref, text)
    VALUES (new.conversation_id, 'note', new.id, {_NOTE_TEXT.format(row="new")});
END"""


def _tags_trigger(name: str, event: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {event} ON tickets
BEGIN
    DELETE FROM search_documents
        WHERE conversation_id = new.conversation_id AND source = 'tags' AND ref = new.id;
    INSERT INTO search_documents (conversation_id, source, ref, text)
        {_TAGS.format(row="new")};
END"""


def _customer_trigger(name: str, event: str) -> str:
    return f"""CREATE TRIGGER {name} AFTER {event} ON conversations
BEGIN
    DELETE FROM search_documents
        WHERE conversation_id = new.id AND source = 'customer' AND ref = 'customer';
    INSERT INTO search_documents (conversation_id, source, ref, text)
        VALUES (new.id, 'customer', 'customer', {_CUSTOMER_TEXT.format(row="new")});
END"""


# the rows written before this step, indexed as the triggers would have
_BACKFILL = (
    f"""INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT m.conversation_id, 'message', m.seq, {_MESSAGE_TEXT.format(row="m")}
        FROM messages m WHERE {_MESSAGE_WANTED.format(row="m")}""",
    f"""INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT e.conversation_id, 'note', e.id, {_NOTE_TEXT.format(row="e")}
        FROM events e WHERE {_NOTE_WANTED.format(row="e")}""",
    """INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT t.conversation_id, 'tags', t.id, group_concat(j.value, ' ')
        FROM tickets t, json_each(t.tags) j GROUP BY t.id""",
    f"""INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT c.id, 'customer', 'customer', {_CUSTOMER_TEXT.format(row="c")}
        FROM conversations c""",
)

SEARCH_STEP: tuple[str, ...] = (
    _DOCUMENTS,
    _INDEXED,
    _INDEXED_ROW,
    _INDEX,
    _INDEX_BATCH,
    _INDEX_REMOVED,
    _MESSAGE_ADDED,
    _NOTE_ADDED,
    _tags_trigger("search_tags_added", "INSERT"),
    _tags_trigger("search_tags_changed", "UPDATE OF tags"),
    _customer_trigger("search_customer_added", "INSERT"),
    _customer_trigger("search_customer_changed", "UPDATE OF customer_name, customer_id"),
    *_BACKFILL,
    *CATCH_UP,
)


# A bot says one of a few hundred texts (FAQ snippets, prompts, fallbacks), and each was
# stored and indexed again for every conversation it was said in: a document row, its
# unique index, sqlite_sequence, and the trigrams of a long text. Now each distinct text
# is stored and indexed once, and a conversation that was told it holds one row per text
# (however often it was told). Customers' and agents' messages stay documents.
_BOT_TEXTS = """CREATE TABLE search_bot_texts (
    id INTEGER PRIMARY KEY,  -- never deleted, so never reused
    text TEXT NOT NULL UNIQUE
)"""
_BOT_INDEX = """CREATE VIRTUAL TABLE search_bot_index USING fts5(
    text, content='search_bot_texts', content_rowid='id',
    tokenize='trigram case_sensitive 0'
)"""
# indexed at once, not in batches: after the first conversations a new text is rare
_BOT_TEXT_ADDED = """CREATE TRIGGER search_bot_text_added AFTER INSERT ON search_bot_texts
BEGIN
    INSERT INTO search_bot_index (rowid, text) VALUES (new.id, new.text);
END"""
# keyed text first: a term's texts lead to their conversations, and a conversation is
# checked against a term's few texts by one seek each. No foreign key to conversations:
# its cascade would scan this table for each conversation deleted (it has no index by
# conversation), and a row whose conversation is gone is found by no search, which
# selects from conversations.
_BOT_USES = """CREATE TABLE search_bot_uses (
    text_id INTEGER NOT NULL,
    conversation_id TEXT NOT NULL,
    PRIMARY KEY (text_id, conversation_id)
) WITHOUT ROWID"""
# The texts are read from the body once per statement: WHEN looks at the sender alone, and
# an empty or missing text becomes NULL, a row OR IGNORE skips (NOT NULL) rather than a
# condition that would read it again. (The document's other constraint, one per message,
# cannot be broken: a message's seq is unique in its conversation.)
_SAID = "nullif(" + _MESSAGE_TEXT + ", '')"
_PEOPLE_MESSAGE_ADDED = f"""CREATE TRIGGER search_message AFTER INSERT ON messages
WHEN new.sender IN ('customer', 'agent')
BEGIN
    INSERT OR IGNORE INTO search_documents (conversation_id, source, ref, text)
    VALUES (new.conversation_id, 'message', new.seq, {_SAID.format(row="new")});
END"""
_BOT_MESSAGE_ADDED = f"""CREATE TRIGGER search_bot_message AFTER INSERT ON messages
WHEN new.sender = 'bot'
BEGIN
    INSERT OR IGNORE INTO search_bot_texts (text) VALUES ({_SAID.format(row="new")});
    INSERT OR IGNORE INTO search_bot_uses (text_id, conversation_id)
        SELECT id, new.conversation_id FROM search_bot_texts
        WHERE text = {_MESSAGE_TEXT.format(row="new")};
END"""
# the bot's messages written before this step: their texts and uses from the messages,
# then their documents removed (and, for those already indexed, their trigrams: the
# search_documents_removed trigger)
_BOT_BACKFILL = (
    f"""INSERT OR IGNORE INTO search_bot_texts (text)
        SELECT {_SAID.format(row="m")} FROM messages m WHERE m.sender = 'bot'""",
    f"""INSERT OR IGNORE INTO search_bot_uses (text_id, conversation_id)
        SELECT t.id, m.conversation_id FROM messages m
        JOIN search_bot_texts t ON t.text = {_MESSAGE_TEXT.format(row="m")}
        WHERE m.sender = 'bot'""",
    """DELETE FROM search_documents WHERE source = 'message' AND EXISTS (
        SELECT 1 FROM messages m WHERE m.conversation_id = search_documents.conversation_id
            AND m.seq = CAST(search_documents.ref AS INTEGER) AND m.sender = 'bot')""",
)

BOT_TEXTS_STEP: tuple[str, ...] = (
    _BOT_TEXTS,
    _BOT_INDEX,
    _BOT_TEXT_ADDED,
    _BOT_USES,
    "DROP TRIGGER search_message",
    _PEOPLE_MESSAGE_ADDED,
    _BOT_MESSAGE_ADDED,
    *_BOT_BACKFILL,
)

# A document's id may be reused once AUTOINCREMENT is gone (schema step 15): a new row takes
# the largest id + 1, and a changed document (customer, tags) is removed, then added. So a
# removal keeps "upto is 0 or an existing document's id" (the largest left at most): the
# next document then has an id past upto, and the batch or a search adds it to the index.
_INDEX_REMOVED_REUSABLE = """CREATE TRIGGER search_documents_removed
AFTER DELETE ON search_documents
WHEN old.id <= (SELECT upto FROM search_indexed)
BEGIN
    INSERT INTO search_index (search_index, rowid, text) VALUES ('delete', old.id, old.text);
    UPDATE search_indexed
        SET upto = min(upto, (SELECT coalesce(max(id), 0) FROM search_documents));
END"""
REUSABLE_IDS_STEP: tuple[str, ...] = (
    "DROP TRIGGER search_documents_removed",
    _INDEX_REMOVED_REUSABLE,
)
