"""The AttachmentStore operations on SQLite: plain functions on a connection."""

from __future__ import annotations

import sqlite3

from helpline.errors import StoreError
from helpline.store.attachments import ATTACHMENT_COLUMNS, Attachment, to_attachment


def add_attachment(conn: sqlite3.Connection, attachment: Attachment, content: bytes) -> Attachment:
    a = attachment
    try:
        conn.execute(
            f"INSERT INTO attachments ({ATTACHMENT_COLUMNS}, content)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (a.id, a.conversation_id, a.sender, a.agent_id, a.name, a.content_type, a.size,
             a.created_at, content),
        )  # fmt: skip
    except sqlite3.IntegrityError as exc:  # the conversation's foreign key
        raise StoreError(f"no conversation {a.conversation_id!r} to add a file to") from exc
    return attachment


def attachment(conn: sqlite3.Connection, attachment_id: str) -> Attachment | None:
    row = conn.execute(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = ?", (attachment_id,)
    ).fetchone()
    return to_attachment(row) if row is not None else None


def attachment_content(conn: sqlite3.Connection, attachment_id: str) -> bytes | None:
    row = conn.execute("SELECT content FROM attachments WHERE id = ?", (attachment_id,)).fetchone()
    return bytes(row[0]) if row is not None else None


def conversation_attachment_bytes(conn: sqlite3.Connection, conversation_id: str) -> int:
    row = conn.execute(
        "SELECT COALESCE(SUM(size), 0) FROM attachments WHERE conversation_id = ?",
        (conversation_id,),
    ).fetchone()
    return int(row[0])
