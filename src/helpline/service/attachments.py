"""Files in a conversation: kept after their bytes are checked, read only by its people,
and named by the messages that carry them."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from helpline.attachment import AttachmentSettings, check_upload
from helpline.errors import AttachmentError, ProtocolError
from helpline.service.conversation_view import visibility
from helpline.service.frames import BAD_FRAME
from helpline.store.agents import Agent
from helpline.store.attachments import Attachment, AttachmentStore, attachment_store
from helpline.store.base import Conversation, Store
from helpline.store.search import SearchStore

# All the files of one conversation together: a customer who may send 10 MiB at a time
# still cannot fill the database through one conversation.
CONVERSATION_BUDGET_FILES = 20  # times attachments.max_bytes
MAX_ID_CHARS = 64


class FileStore(Store, AttachmentStore, SearchStore, Protocol):
    """What the files need: conversations, their files, and who may read a conversation."""


@dataclass(frozen=True)
class Uploader:
    sender: str  # customer | agent
    agent_id: str | None = None


def attachment_ref(attachment: Attachment) -> dict[str, Any]:
    """What a message keeps of its file (in its body) and every client is shown."""
    return {
        "id": attachment.id,
        "name": attachment.name,
        "type": attachment.content_type,
        "size": attachment.size,
    }


class Attachments:
    """Upload, read and reference files, with one rule for who may: the conversation's
    customer (by its token), agents who may read the conversation, supervisors."""

    def __init__(
        self,
        store: Store,
        settings: Callable[[], AttachmentSettings],  # read per upload: the rules reload
        clock: Callable[[], float],
    ) -> None:
        attachment_store(store)  # StoreError now, not at the first upload
        self.store: FileStore = store  # type: ignore[assignment]
        self.settings = settings
        self.clock = clock

    async def upload(
        self, conversation: Conversation, uploader: Uploader, name: str, declared: str,
        content: bytes,
    ) -> Attachment:  # fmt: skip
        """Keep a checked file; AttachmentError (too_large, unsupported_type) otherwise."""
        settings = self.settings()
        checked = check_upload(content, declared, name, settings)
        used = await self.store.conversation_attachment_bytes(conversation.id)
        if used + len(content) > CONVERSATION_BUDGET_FILES * settings.max_bytes:
            raise AttachmentError("too_large", "this conversation holds as many files as it may")
        attachment = Attachment(
            "f_" + secrets.token_urlsafe(18), conversation.id, uploader.sender,
            uploader.agent_id, checked.name, checked.kind.mime, len(content), self.clock(),
        )  # fmt: skip
        return await self.store.add_attachment(attachment, content)

    async def customer_conversation(self, token: str | None) -> Conversation:
        """The conversation whose widget token the request carries."""
        found = await self.store.conversation_by_token(token) if token else None
        if found is None:
            raise AttachmentError("unauthorized", "send the conversation's token")
        return found

    async def read_as_customer(self, token: str | None, attachment_id: str) -> Attachment:
        conversation = await self.customer_conversation(token)
        found = await self._found(attachment_id)
        if found.conversation_id != conversation.id:
            raise _missing()  # another conversation's file: not even its existence is told
        return found

    async def read_as_agent(self, agent: Agent, attachment_id: str) -> Attachment:
        found = await self._found(attachment_id)
        who = visibility(agent)
        if who is not None and not await self.store.conversation_visible(
            found.conversation_id, who
        ):
            raise AttachmentError("forbidden", "this file is in a conversation of another team")
        return found

    async def content(self, attachment: Attachment) -> bytes:
        found = await self.store.attachment_content(attachment.id)
        if found is None:
            raise _missing()
        return found

    async def _found(self, attachment_id: str) -> Attachment:
        known = len(attachment_id) <= MAX_ID_CHARS
        found = await self.store.attachment(attachment_id) if known else None
        if found is None:
            raise _missing()
        return found


async def referenced(
    store: object, conversation_id: str, attachment_id: object, sender: str
) -> Mapping[str, Any]:
    """A message's `attachment` field checked: a file its sender uploaded to this very
    conversation. ProtocolError(bad_frame) otherwise, before anything is stored."""
    if not isinstance(attachment_id, str) or not 0 < len(attachment_id) <= MAX_ID_CHARS:
        raise ProtocolError(BAD_FRAME, "field 'attachment' must be an uploaded file's id")
    found = await attachment_store(store).attachment(attachment_id)
    if found is None or found.conversation_id != conversation_id or found.sender != sender:
        raise ProtocolError(BAD_FRAME, "field 'attachment' names no file of yours here")
    return attachment_ref(found)


def _missing() -> AttachmentError:
    return AttachmentError("not_found", "no such file")
