"""The attachments part of the storage contract: files sent in a conversation, their
bytes kept in the database beside the conversation they belong to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from helpline.errors import StoreError

ATTACHMENT_COLUMNS = "id, conversation_id, sender, agent_id, name, content_type, size, created_at"


@dataclass(frozen=True)
class Attachment:
    """A file's record; its bytes are read on their own (attachment_content)."""

    id: str
    conversation_id: str
    sender: str  # customer | agent: who uploaded it
    agent_id: str | None  # the agent who uploaded it
    name: str  # checked by helpline.attachment.safe_name
    content_type: str  # sniffed from the bytes: what it is served as
    size: int
    created_at: float


def to_attachment(row: Sequence[Any]) -> Attachment:
    """A row of ATTACHMENT_COLUMNS, on either backend."""
    return Attachment(row[0], row[1], row[2], row[3], row[4], row[5], int(row[6]), float(row[7]))


@runtime_checkable
class AttachmentStore(Protocol):
    """An added file is durable once add_attachment returns: a message may then name it.
    Deleting its conversation deletes its files."""

    async def add_attachment(self, attachment: Attachment, content: bytes) -> Attachment:
        """Keep the file; StoreError when its conversation does not exist."""
        ...

    async def attachment(self, attachment_id: str) -> Attachment | None: ...

    async def attachment_content(self, attachment_id: str) -> bytes | None:
        """The file's bytes; None: no such file."""
        ...

    async def conversation_attachment_bytes(self, conversation_id: str) -> int:
        """The bytes of every file kept for the conversation, added up."""
        ...


def attachment_store(store: object) -> AttachmentStore:
    """The given store as an AttachmentStore; StoreError when its backend keeps no files."""
    if not isinstance(store, AttachmentStore):
        raise StoreError(f"the {type(store).__name__} backend does not store attachments")
    return store
