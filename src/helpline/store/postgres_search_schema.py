"""The search documents' table and triggers on PostgreSQL: the schema step that brings them."""

from __future__ import annotations

# The same documents as on SQLite (sqlite_search_schema), kept by PL/pgSQL triggers.
_DOCUMENTS = """CREATE TABLE search_documents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('message', 'note', 'tags', 'customer')),
    ref TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (conversation_id, source, ref)
)"""
# pg_trgm (trusted: a database owner may create it) lives in one schema per database, and
# may already be installed in another one than ours: the index names its operator class
# in whichever schema holds it. gin_trgm_ops serves LIKE and ILIKE.
_INDEX = """DO $$
DECLARE
    home TEXT;
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    SELECT n.nspname INTO home FROM pg_extension x
        JOIN pg_namespace n ON n.oid = x.extnamespace WHERE x.extname = 'pg_trgm';
    EXECUTE format(
        'CREATE INDEX search_documents_text ON search_documents USING gin (text %I.gin_trgm_ops)',
        home);
END
$$"""

_MESSAGE = """CREATE FUNCTION search_message() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    said TEXT := NEW.body::jsonb ->> 'text';
BEGIN
    IF NEW.sender <> 'system' AND coalesce(said, '') <> '' THEN
        INSERT INTO search_documents (conversation_id, source, ref, text)
            VALUES (NEW.conversation_id, 'message', NEW.seq::text, said);
    END IF;
    RETURN NULL;
END
$$"""
_NOTE = """CREATE FUNCTION search_note() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    said TEXT;
BEGIN
    IF NEW.kind = 'note.added' THEN
        said := NEW.data::jsonb ->> 'text';
        IF coalesce(said, '') <> '' THEN
            INSERT INTO search_documents (conversation_id, source, ref, text)
                VALUES (NEW.conversation_id, 'note', NEW.id::text, said);
        END IF;
    END IF;
    RETURN NULL;
END
$$"""
_TAGS = """CREATE FUNCTION search_tags() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    joined TEXT;
BEGIN
    DELETE FROM search_documents
        WHERE conversation_id = NEW.conversation_id AND source = 'tags' AND ref = NEW.id;
    SELECT string_agg(value, ' ') INTO joined FROM jsonb_array_elements_text(NEW.tags::jsonb);
    IF joined IS NOT NULL THEN
        INSERT INTO search_documents (conversation_id, source, ref, text)
            VALUES (NEW.conversation_id, 'tags', NEW.id, joined);
    END IF;
    RETURN NULL;
END
$$"""
_CUSTOMER_TEXT = (
    "trim(coalesce({row}.customer_name, '') || ' ' || coalesce({row}.customer_id, '')"
    " || ' ' || {row}.id)"
)
_CUSTOMER = f"""CREATE FUNCTION search_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_documents
        WHERE conversation_id = NEW.id AND source = 'customer' AND ref = 'customer';
    INSERT INTO search_documents (conversation_id, source, ref, text)
        VALUES (NEW.id, 'customer', 'customer', {_CUSTOMER_TEXT.format(row="NEW")});
    RETURN NULL;
END
$$"""

_TRIGGERS = (
    "CREATE TRIGGER search_message AFTER INSERT ON messages"
    " FOR EACH ROW EXECUTE FUNCTION search_message()",
    "CREATE TRIGGER search_note AFTER INSERT ON events"
    " FOR EACH ROW WHEN (NEW.kind = 'note.added') EXECUTE FUNCTION search_note()",
    "CREATE TRIGGER search_tags AFTER INSERT OR UPDATE OF tags ON tickets"
    " FOR EACH ROW EXECUTE FUNCTION search_tags()",
    "CREATE TRIGGER search_customer AFTER INSERT OR UPDATE OF customer_name, customer_id"
    " ON conversations FOR EACH ROW EXECUTE FUNCTION search_customer()",
)

# the rows written before this step, indexed as the triggers would have
_BACKFILL = (
    """INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT conversation_id, 'message', seq::text, body::jsonb ->> 'text' FROM messages
        WHERE sender <> 'system' AND coalesce(body::jsonb ->> 'text', '') <> ''""",
    """INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT conversation_id, 'note', id::text, data::jsonb ->> 'text' FROM events
        WHERE kind = 'note.added' AND coalesce(data::jsonb ->> 'text', '') <> ''""",
    """INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT t.conversation_id, 'tags', t.id, string_agg(j.value, ' ')
        FROM tickets t, jsonb_array_elements_text(t.tags::jsonb) j
        GROUP BY t.id, t.conversation_id""",
    f"""INSERT INTO search_documents (conversation_id, source, ref, text)
        SELECT c.id, 'customer', 'customer', {_CUSTOMER_TEXT.format(row="c")}
        FROM conversations c""",
)

SEARCH_STEP: tuple[str, ...] = (_DOCUMENTS, _INDEX, _MESSAGE, _NOTE, _TAGS, _CUSTOMER,
                                 *_TRIGGERS, *_BACKFILL)  # fmt: skip
