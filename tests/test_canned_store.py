"""The CannedStore contract on every backend: answers added, changed and deleted, and a
shortcut taken once only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backends import STORE_BACKENDS, open_backend
from helpline.errors import CannedError
from helpline.store.canned import CannedAnswer, CannedChange, CannedStore, canned_store


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CannedStore]:
    async with open_backend(request, tmp_path) as opened:
        yield canned_store(opened)


def refund(**fields: object) -> CannedAnswer:
    values: dict[str, object] = {
        "id": "k_1", "shortcut": "refund", "title": "Refund policy",
        "bodies": {"en": "Hi {customer_name}, refunds take 3 days.",
                   "ko": "{customer_name}님, 환불은 3일 걸려요."},
        "team": None, "created_by": "a_sup", "updated_at": 100.0,
    }  # fmt: skip
    values.update(fields)
    return CannedAnswer(**values)  # type: ignore[arg-type]


async def test_an_added_answer_is_read_back_with_both_languages(store: CannedStore) -> None:
    await store.add_canned(refund())

    assert await store.canned_answers() == [refund()]


async def test_answers_are_listed_by_shortcut(store: CannedStore) -> None:
    await store.add_canned(refund(id="k_2", shortcut="zebra"))
    await store.add_canned(refund(id="k_1", shortcut="apology", team="billing"))

    assert [a.shortcut for a in await store.canned_answers()] == ["apology", "zebra"]


async def test_a_taken_shortcut_is_refused_and_nothing_is_written(store: CannedStore) -> None:
    await store.add_canned(refund())

    with pytest.raises(CannedError) as refused:
        await store.add_canned(refund(id="k_2", title="Another"))

    assert refused.value.code == "conflict"
    assert [a.id for a in await store.canned_answers()] == ["k_1"]


async def test_a_change_writes_only_what_it_names(store: CannedStore) -> None:
    await store.add_canned(refund(team="billing"))

    changed = await store.change_canned("k_1", CannedChange(title="Refunds"), now=200.0)

    assert changed == refund(title="Refunds", team="billing", updated_at=200.0)
    assert await store.canned_answers() == [changed]


async def test_clearing_the_team_opens_the_answer_to_everyone(store: CannedStore) -> None:
    await store.add_canned(refund(team="billing"))

    changed = await store.change_canned("k_1", CannedChange(clear_team=True), now=200.0)

    assert changed is not None and changed.team is None


async def test_renaming_to_a_taken_shortcut_is_refused(store: CannedStore) -> None:
    await store.add_canned(refund())
    await store.add_canned(refund(id="k_2", shortcut="delay"))

    with pytest.raises(CannedError):
        await store.change_canned("k_2", CannedChange(shortcut="refund"), now=200.0)

    assert [a.shortcut for a in await store.canned_answers()] == ["delay", "refund"]


async def test_changing_or_deleting_an_unknown_answer_finds_nothing(store: CannedStore) -> None:
    assert await store.change_canned("k_none", CannedChange(title="x"), now=1.0) is None
    assert await store.delete_canned("k_none") is False


async def test_a_deleted_answer_is_gone_and_its_shortcut_free(store: CannedStore) -> None:
    await store.add_canned(refund())

    assert await store.delete_canned("k_1") is True
    await store.add_canned(refund(id="k_2"))

    assert [a.id for a in await store.canned_answers()] == ["k_2"]
