"""Two senders on one SQLite file (the workers of `serve --workers N`) share the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpline.store import SQLiteStore
from helpline.store.outbox import CLAIM_LEASE_S

NOW = 1_000_000.0


@pytest.fixture
async def two_stores(tmp_path: Path) -> AsyncIterator[tuple[SQLiteStore, SQLiteStore]]:
    """Two connections to one file, as two worker processes have."""
    first, second = SQLiteStore(tmp_path / "shared.db"), SQLiteStore(tmp_path / "shared.db")
    await first.open()
    await second.open()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_two_senders_on_one_file_never_take_the_same_due_email(
    two_stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    first, second = two_stores
    for n in range(30):
        await first.enqueue_email(
            recipient=f"c{n}@example.com", subject="s", body="b", conversation_id=None, now=NOW
        )
    batches = await asyncio.gather(
        *((first if n % 2 else second).due_emails(NOW + 1, 10) for n in range(6))
    )
    taken = [email.id for batch in batches for email in batch]
    assert len(taken) == len(set(taken)) == 30


async def test_email_taken_by_a_sender_that_died_is_due_again_after_the_lease(
    two_stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    first, second = two_stores
    queued_email = await first.enqueue_email(
        recipient="c@example.com", subject="s", body="b", conversation_id=None, now=NOW
    )
    [taken] = await first.due_emails(NOW, 10)  # this worker dies before sending it
    assert await second.due_emails(NOW + 1, 10) == []
    [again] = await second.due_emails(NOW + CLAIM_LEASE_S, 10)
    assert (taken.id, again.id) == (queued_email.id, queued_email.id)


async def test_a_claimed_email_that_failed_is_due_at_its_retry_time_not_the_lease(
    two_stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    first, second = two_stores
    queued_email = await first.enqueue_email(
        recipient="c@example.com", subject="s", body="b", conversation_id=None, now=NOW
    )
    [taken] = await first.due_emails(NOW, 10)
    await first.mark_email_failed(taken.id, "SMTP down", NOW + 60, NOW)
    [again] = await second.due_emails(NOW + 60, 10)
    assert again.id == queued_email.id and again.attempts == 1
