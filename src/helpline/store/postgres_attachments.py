"""The AttachmentStore operations on PostgreSQL: coroutines on a connection."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]

from helpline.errors import StoreError
from helpline.store.attachments import ATTACHMENT_COLUMNS, Attachment, to_attachment


async def add_attachment(
    conn: asyncpg.Connection, attachment: Attachment, content: bytes
) -> Attachment:
    a = attachment
    try:
        await conn.execute(
            f"INSERT INTO attachments ({ATTACHMENT_COLUMNS}, content)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            a.id, a.conversation_id, a.sender, a.agent_id, a.name, a.content_type, a.size,
            a.created_at, content,
        )  # fmt: skip
    except asyncpg.ForeignKeyViolationError as exc:
        raise StoreError(f"no conversation {a.conversation_id!r} to add a file to") from exc
    return attachment


async def attachment(conn: asyncpg.Connection, attachment_id: str) -> Attachment | None:
    row = await conn.fetchrow(
        f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1", attachment_id
    )
    return to_attachment(row) if row is not None else None


async def attachment_content(conn: asyncpg.Connection, attachment_id: str) -> bytes | None:
    content = await conn.fetchval("SELECT content FROM attachments WHERE id = $1", attachment_id)
    return bytes(content) if content is not None else None


async def conversation_attachment_bytes(conn: asyncpg.Connection, conversation_id: str) -> int:
    total = await conn.fetchval(
        "SELECT COALESCE(SUM(size), 0) FROM attachments WHERE conversation_id = $1",
        conversation_id,
    )
    return int(total)
