"""The desk's figures end to end: conversations with known outcomes driven through the real
websockets (customer and agent), then `helpline report` and /api/reports read them back, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, make_agent
from helpline.cli import main
from helpline.store import SQLiteStore
from helpline.store.postgres import PostgresStore

Client = Callable[..., Awaitable[TestClient]]

QUEUE_WAIT_S, FIRST_RESPONSE_S, RESOLUTION_S = 10.0, 40.0, 160.0


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def desk(make_client: Client, clock: Clock) -> TestClient:
    return await make_client(rulebook=desk_rulebook(), clock=clock)


@pytest.fixture
async def supervisor(desk: TestClient, store: SQLiteStore) -> dict[str, str]:
    _, token = await make_agent(store, "Sue", role="supervisor")
    return {"Authorization": f"Bearer {token}"}


async def answered_and_thumbs_up(desk: TestClient) -> str:
    customer = await Customer.join(desk)
    await customer.say("m1", "i forgot my password")
    answer = await customer.next_of("message.new", sender="bot", kind="answer")
    await customer.send({"type": "feedback.new", "id": "f1", "seq": answer["seq"], "helpful": True})
    await customer.next_of("message.new", sender="bot", kind="feedback")
    return str(customer.ready["conversation"])


async def none_of_these(desk: TestClient) -> str:
    customer = await Customer.join(desk)
    await customer.say("m1", "None of these", payload="/none_of_these")
    await customer.next_of("message.new", sender="bot", kind="fallback")
    return str(customer.ready["conversation"])


async def clarified_then_answered(desk: TestClient) -> str:
    customer = await Customer.join(desk)
    await customer.say("m1", "the card")
    await customer.next_of("message.new", sender="bot", kind="clarify")
    await customer.say("m2", "Payment failed", payload="/payment_failed")
    await customer.next_of("message.new", sender="bot", kind="answer")
    return str(customer.ready["conversation"])


async def handed_to_an_agent_and_rated(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> tuple[str, str]:
    """Asked for a person; the agent accepts after 10 s, replies 30 s later, closes 120 s
    after that; the customer rates 4."""
    agent_id, token = await make_agent(store, "Ann", teams=("general", "billing"))
    agent = await AgentClient.join(desk, token)
    customer = await Customer.join(desk)
    conversation = str(customer.ready["conversation"])
    await customer.say("m1", "talk to a human")
    await agent.next_of("conversation.offered", conversation=conversation)
    clock.advance(QUEUE_WAIT_S)
    await agent.accept(conversation)
    clock.advance(FIRST_RESPONSE_S - QUEUE_WAIT_S)
    await agent.send(
        {"type": "message.new", "conversation": conversation, "id": "a1", "text": "Hello!"}
    )
    await customer.next_of("message.new", sender="agent")
    clock.advance(RESOLUTION_S - FIRST_RESPONSE_S)
    await agent.send({"type": "conversation.close", "conversation": conversation})
    await customer.next_of("conversation.status", status="closed")
    await customer.send({"type": "csat.submit", "id": "c1", "rating": 4})
    await customer.next_of("csat.ack")
    await agent.close()
    return conversation, agent_id.id


async def escalating_intent(desk: TestClient) -> str:
    customer = await Customer.join(desk)
    await customer.say("m1", "i want a refund")
    await customer.next_of("conversation.status")
    return str(customer.ready["conversation"])


async def traffic(desk: TestClient, store: SQLiteStore, clock: Clock) -> dict[str, str]:
    """One conversation of each outcome, by name; the agent's id under "agent"."""
    named = {
        "answered": await answered_and_thumbs_up(desk),
        "fallback": await none_of_these(desk),
        "clarified": await clarified_then_answered(desk),
    }
    named["agent_handled"], named["agent"] = await handed_to_an_agent_and_rated(
        desk, store, clock
    )
    named["escalated"] = await escalating_intent(desk)
    return named


def period_of(clock: Clock) -> dict[str, str]:
    """From an hour before the traffic to an hour after, as ISO times."""
    return {
        "since": datetime.fromtimestamp(clock.now - 3600, UTC).isoformat(),
        "until": datetime.fromtimestamp(clock.now + 3600, UTC).isoformat(),
    }


EXPECTED = {
    "conversations": 5,
    "contained": 3,
    "containment_rate": 3 / 5,
    "handoffs": 2,
    "handoff_rate": 2 / 5,
    "handoff_reasons": {
        "asked": {"count": 1, "rate": 1 / 5},
        "fallbacks": {"count": 0, "rate": 0.0},
        "frustration": {"count": 0, "rate": 0.0},
        "intent_escalates": {"count": 1, "rate": 1 / 5},
    },
    # the password answer; none of these; "the card" clarified, then its button answered;
    # talk to a human; the refund answered and escalated
    "questions": 6,
    "answered": 3,
    "answer_rate": 3 / 6,
    "fallbacks": 1,
    "fallback_rate": 1 / 6,
    "clarifications": 1,
    "clarify_rate": 1 / 6,
    "clarify_answered": 1,
    "clarify_answered_rate": 1.0,
    "helpfulness": {"password_reset": {"up": 1, "down": 0, "rate": 1.0}},
    "top_intents": [
        {"intent": "password_reset", "count": 1},
        {"intent": "payment_failed", "count": 1},
        {"intent": "refund", "count": 1},
    ],
    "top_unanswered": [{"intent": None, "count": 1}],
    "queue_wait_s": {"p50": QUEUE_WAIT_S, "p90": QUEUE_WAIT_S, "count": 1},
    "first_response_s": {"p50": FIRST_RESPONSE_S, "p90": FIRST_RESPONSE_S, "count": 1},
    "resolution_s": {"p50": RESOLUTION_S, "p90": RESOLUTION_S, "count": 1},
    "csat": {
        "average": 4.0,
        "count": 1,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        "response_rate": 1.0,
    },
}


async def get_json(
    desk: TestClient, path: str, headers: dict[str, str], **query: str
) -> tuple[int, Any]:
    response = await desk.get(path, params=query, headers=headers)
    return response.status, await response.json()


async def test_every_figure_of_the_report_api_is_what_the_conversations_did(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    await traffic(desk, store, clock)

    status, report = await get_json(desk, "/api/reports", supervisor, **period_of(clock))

    assert status == 200
    assert {name: report[name] for name in EXPECTED} == EXPECTED


async def test_the_previous_period_had_nothing_so_changes_are_null_where_rates_were(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    await traffic(desk, store, clock)

    _, report = await get_json(desk, "/api/reports", supervisor, **period_of(clock))

    assert report["previous"]["conversations"] == 0
    assert report["previous"]["containment_rate"] is None
    assert report["change"]["conversations"] == 5
    assert report["change"]["containment_rate"] is None  # no previous rate to compare with


async def test_the_cli_json_is_the_same_object_as_the_api(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await traffic(desk, store, clock)
    span = period_of(clock)
    _, from_api = await get_json(desk, "/api/reports", supervisor, **span, by="team")
    capsys.readouterr()

    code = await asyncio.to_thread(
        main,
        ["report", "--db", database_url(store), "--rules", str(always_open_rules(tmp_path)),
         "--since", span["since"], "--until", span["until"], "--by", "team", "--format", "json"],
    )  # fmt: skip

    assert code == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert {name: from_cli[name] for name in EXPECTED} == EXPECTED
    assert from_cli == from_api


async def test_per_team_the_bot_keeps_its_conversations_and_each_team_its_handoffs(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    await traffic(desk, store, clock)

    _, report = await get_json(desk, "/api/reports", supervisor, **period_of(clock), by="team")

    counts = {g["key"]: (g["conversations"], g["handoffs"]) for g in report["groups"]}
    assert counts == {None: (3, 0), "general": (1, 1), "billing": (1, 1)}


async def test_per_agent_the_agent_has_the_times_and_the_rating_of_their_conversation(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    named = await traffic(desk, store, clock)

    _, report = await get_json(desk, "/api/reports", supervisor, **period_of(clock), by="agent")

    [mine] = [g for g in report["groups"] if g["key"] == named["agent"]]
    assert (mine["conversations"], mine["csat"]["average"]) == (1, 4.0)
    assert mine["first_response_s"]["p50"] == FIRST_RESPONSE_S


async def test_by_hour_every_hour_of_the_period_is_a_point_and_they_add_up(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    await traffic(desk, store, clock)

    _, report = await get_json(desk, "/api/reports", supervisor, **period_of(clock), by="hour")

    assert len(report["groups"]) in (2, 3)  # two hours, over three clock hours unless on the hour
    assert sum(g["conversations"] for g in report["groups"]) == 5
    assert all(g["containment_rate"] is None for g in report["groups"] if not g["conversations"])


@pytest.mark.parametrize(
    ("figure", "names"),
    [
        ("contained", {"answered", "fallback", "clarified"}),
        ("handoffs", {"agent_handled", "escalated"}),
        ("handoffs:intent_escalates", {"escalated"}),
        ("fallbacks", {"fallback"}),
        ("clarifications", {"clarified"}),
        ("thumbs_up", {"answered"}),
        ("intent:payment_failed", {"clarified"}),
        ("unanswered:", {"fallback"}),
        ("csat:4", {"agent_handled"}),
        ("first_response", {"agent_handled"}),
    ],
)
async def test_drill_down_lists_the_conversations_behind_a_figure(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str],
    figure: str, names: set[str],
) -> None:  # fmt: skip
    named = await traffic(desk, store, clock)

    status, found = await get_json(
        desk, "/api/reports/conversations", supervisor, **period_of(clock), figure=figure
    )

    assert status == 200
    assert {row["conversation"] for row in found["conversations"]} == {named[n] for n in names}
    assert found["total"] == len(names)


async def test_drill_down_within_a_group_lists_only_that_group(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    named = await traffic(desk, store, clock)

    _, found = await get_json(
        desk, "/api/reports/conversations", supervisor, **period_of(clock),
        figure="handoffs", by="team", key="billing",
    )  # fmt: skip

    assert [row["conversation"] for row in found["conversations"]] == [named["escalated"]]


async def test_an_agent_who_is_not_a_supervisor_is_refused_with_403(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")

    response = await desk.get("/api/reports", headers={"Authorization": f"Bearer {token}"})

    assert response.status == 403
    assert (await response.json())["error"] == "forbidden"


async def test_without_a_session_the_reports_are_refused_with_401(desk: TestClient) -> None:
    response = await desk.get("/api/reports")

    assert response.status == 401


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"since": "last tuesday"}, "since:"),
        ({"since": "1d", "until": "2000-01-01"}, "until:"),
        ({"by": "weather"}, "by:"),
    ],
)
async def test_a_bad_query_gets_400_saying_which_parameter(
    desk: TestClient, supervisor: dict[str, str], query: dict[str, str], says: str
) -> None:
    status, body = await get_json(desk, "/api/reports", supervisor, **query)

    assert status == 400
    assert body["error"] == "bad_request" and body["message"].startswith(says)


@pytest.mark.parametrize("figure", ["", "weather", "handoffs:boredom"])
async def test_an_unknown_figure_gets_400(
    desk: TestClient, supervisor: dict[str, str], figure: str
) -> None:
    status, body = await get_json(desk, "/api/reports/conversations", supervisor, figure=figure)

    assert status == 400
    assert body["message"].startswith("figure:")


def database_url(store: SQLiteStore) -> str:
    if isinstance(store, PostgresStore):
        return store.url
    return store.path


def always_open_rules(tmp_path: Path) -> Path:
    """A rules directory without business hours, as the tests' desk rulebook has."""
    rules = tmp_path / "rules"
    (rules / "intents").mkdir(parents=True)
    (rules / "config.yaml").write_text("languages: [ko, en]\ndefault_language: en\n")
    (rules / "intents" / "general.yaml").write_text(
        "intents:\n  - name: hello\n    category: general\n"
        '    examples: {en: ["hello there"], ko: ["안녕하세요"]}\n'
        '    answer: {en: "Hi.", ko: "안녕하세요."}\n',
        encoding="utf-8",
    )
    return rules
