"""The canned answers' library without a server: placeholders, ranking, visibility and
the index rebuilt when the answers change."""

from __future__ import annotations

import pytest

from helpline.bus.memory import MemoryBus
from helpline.service.handoff.canned_library import CannedLibrary, fill
from helpline.store.agents import Agent
from helpline.store.canned import CannedAnswer, CannedChange

ANN = Agent("a_ann", "ann@desk.test", "Ann", ("general",), "agent", 2, 0.0)


class ListStore:
    """A CannedStore over a list: the library's own logic is the point here (the real
    backends have their contract tests in test_canned_store.py)."""

    def __init__(self, *answers: CannedAnswer) -> None:
        self.answers = list(answers)

    async def canned_answers(self) -> list[CannedAnswer]:
        return sorted(self.answers, key=lambda a: a.shortcut)

    async def add_canned(self, answer: CannedAnswer) -> CannedAnswer:
        self.answers.append(answer)
        return answer

    async def change_canned(
        self, canned_id: str, change: CannedChange, now: float
    ) -> CannedAnswer | None:
        raise NotImplementedError

    async def delete_canned(self, canned_id: str) -> bool:
        raise NotImplementedError


def answer(shortcut: str, title: str, team: str | None = None) -> CannedAnswer:
    bodies = {"en": f"{title} for {{customer_name}}", "ko": f"{{customer_name}}님, {title}"}
    return CannedAnswer("k_" + shortcut, shortcut, title, bodies, team, "a_sup", 1.0)


async def library(*answers: CannedAnswer) -> CannedLibrary:
    made = CannedLibrary(ListStore(*answers), MemoryBus(), lambda: ("ko", "en"), lambda: 5.0)
    await made.load()
    return made


@pytest.mark.parametrize(
    ("text", "filled"),
    [
        ("Hi {customer_name}", "Hi Mina"),
        ("{agent_name} here, {customer_name}", "Ann here, Mina"),
        ("Order {order_id}", "Order {order_id}"),  # unknown: left for the agent to see
        ("{ customer_name } {", "{ customer_name } {"),
    ],
)
def test_known_placeholders_are_filled_and_others_left_as_written(text: str, filled: str) -> None:
    assert fill(text, {"customer_name": "Mina", "agent_name": "Ann"}) == filled


def test_a_placeholder_without_a_value_stays_visible() -> None:
    assert fill("Hi {customer_name}", {"customer_name": None}) == "Hi {customer_name}"


async def test_a_typed_shortcut_outranks_a_fuzzy_match_on_words() -> None:
    found = await library(answer("refund", "Money back"), answer("late", "Refund is late"))

    results = found.search(ANN, "en", "/refund", {"customer_name": "Mina"})

    assert [r["shortcut"] for r in results][:1] == ["/refund"]
    assert results[0]["text"] == "Money back for Mina"


async def test_an_answer_is_in_the_customers_language() -> None:
    found = await library(answer("refund", "Money back"))

    results = found.search(ANN, "ko", "refund", {"customer_name": "민아"})

    assert results[0]["text"] == "민아님, Money back"


async def test_another_teams_answer_is_never_found() -> None:
    found = await library(answer("invoice", "Invoice copy", team="billing"))

    assert found.search(ANN, "en", "invoice", {}) == []
    assert found.answers(ANN) == []


async def test_the_index_is_built_once_and_again_after_the_answers_change() -> None:
    store = ListStore(answer("refund", "Money back"))
    found = CannedLibrary(store, MemoryBus(), lambda: ("ko", "en"), lambda: 5.0)
    await found.load()
    first = found.index_for("en")
    assert found.index_for("en") is first

    await found.add(
        Agent("a_sup", "s@desk.test", "Sue", (), "supervisor", 2, 0.0),
        {"shortcut": "delay", "title": "Parcel late", "bodies": {"en": "Sorry"}},
    )

    assert found.index_for("en") is not first
    assert [r["shortcut"] for r in found.search(ANN, "en", "/del", {})] == ["/delay"]
