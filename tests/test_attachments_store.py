"""The AttachmentStore contract on every backend: a file's record and its exact bytes read
back, the bytes a conversation holds, and no file for a conversation that does not exist."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.errors import StoreError
from helpline.store import SQLiteStore
from helpline.store.attachments import Attachment

EVERY_BYTE = bytes(range(256)) * 64  # NUL and high bytes too: the column is binary


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


async def conversation_id(store: SQLiteStore) -> str:
    return (await store.create_conversation(token="t-1", language="en", now=1.0)).id


def file(conversation: str, file_id: str = "f_1", size: int = len(EVERY_BYTE)) -> Attachment:
    return Attachment(file_id, conversation, "customer", None, "로그.txt", "text/plain", size, 2.0)


async def test_a_file_reads_back_its_record_and_its_exact_bytes(store: SQLiteStore) -> None:
    cid = await conversation_id(store)

    await store.add_attachment(file(cid), EVERY_BYTE)

    assert await store.attachment("f_1") == file(cid)
    assert await store.attachment_content("f_1") == EVERY_BYTE


async def test_an_unknown_file_is_none(store: SQLiteStore) -> None:
    assert await store.attachment("f_none") is None
    assert await store.attachment_content("f_none") is None


async def test_a_conversation_counts_the_bytes_of_its_own_files(store: SQLiteStore) -> None:
    cid = await conversation_id(store)
    other = (await store.create_conversation(token="t-2", language="en", now=1.0)).id
    await store.add_attachment(file(cid, "f_1", 10), b"x" * 10)
    await store.add_attachment(file(cid, "f_2", 5), b"y" * 5)
    await store.add_attachment(file(other, "f_3", 7), b"z" * 7)

    assert await store.conversation_attachment_bytes(cid) == 15
    assert await store.conversation_attachment_bytes("c_none") == 0


async def test_a_file_for_no_conversation_is_refused_and_not_kept(store: SQLiteStore) -> None:
    with pytest.raises(StoreError):
        await store.add_attachment(file("c_none"), EVERY_BYTE)

    assert await store.attachment("f_1") is None
