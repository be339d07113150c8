"""GET /api/conversations and /api/conversations/{id} on every backend: search and filters
through HTTP, pages by cursor, who may read what, and clear errors for bad parameters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from handoff_kit import Clock, make_agent, sla_rulebook
from helpline.sla import Policy
from helpline.store import SQLiteStore
from helpline.store.agents import Agent
from helpline.store.base import TurnRecord
from helpline.store.handoff import Escalation
from helpline.web.auth import COOKIE
from search_kit import Said, conversation, handled

MIN = 60.0


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def client(make_client: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await make_client()


async def signed_in(
    store: SQLiteStore, name: str, teams: tuple[str, ...], role: str = "agent"
) -> tuple[Agent, dict[str, str]]:
    agent, token = await make_agent(store, name, teams, role=role)
    return agent, {"Cookie": f"{COOKIE}={token}"}


async def listed(client: TestClient, headers: dict[str, str], **query: str) -> dict[str, Any]:
    response = await client.get("/api/conversations", params=query, headers=headers)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


@pytest.fixture
async def desk(store: SQLiteStore) -> dict[str, Any]:
    """A billing conversation and a tech one, both closed, and a bot-only one."""
    billing, billing_cookie = await signed_in(store, "Kim", ("billing",))
    tech, tech_cookie = await signed_in(store, "Lee", ("tech",))
    _, boss_cookie = await signed_in(store, "Boss", (), role="supervisor")
    paid = await conversation(store, [Said("환불요청했는데 아직이요")], now=10.0, language="ko")
    await handled(
        store, paid, billing.id, team="billing", reply="처리했습니다",
        note="second refund this month", tags=("refund",), rating=2, now=11.0,
    )  # fmt: skip
    video = await conversation(store, [Said("the video keeps buffering")], now=20.0)
    await handled(store, video, tech.id, team="tech", reply="Try another network", now=21.0)
    bot = await conversation(store, [Said("what plans are there")], now=30.0)
    return {
        "billing": billing_cookie, "tech": tech_cookie, "boss": boss_cookie,
        "paid": paid.id, "video": video.id, "bot": bot.id, "tech_id": tech.id,
    }  # fmt: skip


def ids(body: dict[str, Any]) -> list[str]:
    return [c["id"] for c in body["conversations"]]


async def test_a_supervisor_lists_every_conversation_newest_first(
    client: TestClient, desk: dict[str, Any]
) -> None:
    body = await listed(client, desk["boss"])

    assert ids(body) == [desk["bot"], desk["video"], desk["paid"]]
    assert [c["status"] for c in body["conversations"]] == ["open", "closed", "closed"]
    assert body["next_cursor"] is None


async def test_an_agent_lists_only_their_teams_conversations(
    client: TestClient, desk: dict[str, Any]
) -> None:
    assert ids(await listed(client, desk["billing"])) == [desk["paid"]]
    assert ids(await listed(client, desk["tech"], q="환불")) == []


async def test_a_korean_word_finds_the_closed_conversation_and_its_card(
    client: TestClient, desk: dict[str, Any]
) -> None:
    body = await listed(client, desk["boss"], q="환불", status="closed")

    [card] = body["conversations"]
    assert card["id"] == desk["paid"] and (body["bounded"], body["bounded_to"]) == (True, 5000)
    assert card["last_message"] == {"text": "처리했습니다", "sender": "agent"}
    assert (card["team"], card["csat"], card["language"]) == ("billing", 2, "ko")


async def test_filters_combine_in_the_query_string(
    client: TestClient, desk: dict[str, Any]
) -> None:
    assert ids(await listed(client, desk["boss"], agent=desk["tech_id"])) == [desk["video"]]
    assert ids(await listed(client, desk["boss"], csat="1,2")) == [desk["paid"]]
    assert ids(await listed(client, desk["boss"], status="open,closed", language="en")) == [
        desk["bot"], desk["video"],
    ]  # fmt: skip
    assert ids(await listed(client, desk["boss"], q="buffer", team="tech")) == [desk["video"]]


async def test_tag_and_ticket_status_filter_within_what_the_agent_may_see(
    client: TestClient, desk: dict[str, Any]
) -> None:
    assert ids(await listed(client, desk["boss"], tag="refund")) == [desk["paid"]]
    assert ids(await listed(client, desk["billing"], tag="refund")) == [desk["paid"]]
    assert ids(await listed(client, desk["tech"], tag="refund")) == []  # billing's ticket
    assert ids(await listed(client, desk["boss"], ticket="solved")) == [
        desk["video"], desk["paid"],
    ]  # fmt: skip
    assert ids(await listed(client, desk["tech"], ticket="solved")) == [desk["video"]]
    assert ids(await listed(client, desk["boss"], ticket="open,pending")) == []


async def waiting(store: SQLiteStore, text: str, team: str, at: float) -> str:
    """A conversation handed to `team` at `at`, nobody has answered: its SLA runs."""
    made = await conversation(store, [Said(text)], now=at)
    record = TurnRecord(made.id, "queued", {}, "en", messages=[])
    await store.escalate(record, Escalation(team, "normal", False, 0.0), at)
    return made.id


async def test_the_sla_filter_lists_what_is_amber_or_red_now_and_only_the_agents_teams(
    make_client: Callable[..., Awaitable[TestClient]], store: SQLiteStore
) -> None:
    clock = Clock()
    rules = sla_rulebook(Policy(first_response=10 * MIN, next_response=5 * MIN))
    client = await make_client(rulebook=rules, clock=clock)
    _, billing = await signed_in(store, "Kim", ("billing",))
    _, boss = await signed_in(store, "Boss", (), role="supervisor")
    start = clock.now
    late_billing = await waiting(store, "card declined", "billing", start)
    late_tech = await waiting(store, "video stops", "tech", start + 1)
    soon = await waiting(store, "refund please", "billing", start + 5 * MIN)
    fresh = await waiting(store, "hello", "billing", start + 9 * MIN)
    await conversation(store, [Said("what plans are there")], now=start + 2)  # the bot's

    clock.advance(11 * MIN)  # 10 minutes to answer: 11, 6 and 2 minutes have passed

    assert ids(await listed(client, boss, sla="breached")) == [late_tech, late_billing]
    assert ids(await listed(client, boss, sla="warning")) == [soon]
    assert ids(await listed(client, boss, sla="warning,breached")) == [
        soon, late_tech, late_billing,
    ]  # fmt: skip
    assert ids(await listed(client, billing, sla="breached")) == [late_billing]
    assert ids(await listed(client, boss, sla="breached", q="declined")) == [late_billing]
    assert fresh not in ids(await listed(client, boss, sla="warning,breached"))
    clock.advance(5 * MIN)
    assert ids(await listed(client, billing, sla="breached")) == [soon, late_billing]


async def test_pages_follow_the_cursor(client: TestClient, desk: dict[str, Any]) -> None:
    first = await listed(client, desk["boss"], limit="2")
    second = await listed(client, desk["boss"], limit="2", cursor=first["next_cursor"])

    assert ids(first) + ids(second) == [desk["bot"], desk["video"], desk["paid"]]
    assert second["next_cursor"] is None


async def test_an_agent_asking_for_another_team_is_refused(
    client: TestClient, desk: dict[str, Any]
) -> None:
    response = await client.get("/api/conversations?team=tech", headers=desk["billing"])

    assert response.status == 403
    assert (await response.json())["error"] == "forbidden"


async def test_the_transcript_of_a_closed_conversation_has_its_messages_notes_and_tickets(
    client: TestClient, desk: dict[str, Any]
) -> None:
    response = await client.get(f"/api/conversations/{desk['paid']}", headers=desk["billing"])

    assert response.status == 200
    body = await response.json()
    assert body["status"] == "closed"
    assert [(m["sender"], m["text"]) for m in body["messages"]] == [
        ("customer", "환불요청했는데 아직이요"),
        ("bot", "Let me check."),
        ("agent", "처리했습니다"),
    ]
    assert [n["text"] for n in body["notes"]] == ["second refund this month"]
    assert [(t["team"], t["tags"], t["csat"]) for t in body["tickets"]] == [
        ("billing", ["refund"], 2)
    ]


async def test_an_agent_of_another_team_is_refused_the_transcript_and_a_supervisor_is_not(
    client: TestClient, desk: dict[str, Any]
) -> None:
    refused = await client.get(f"/api/conversations/{desk['paid']}", headers=desk["tech"])
    allowed = await client.get(f"/api/conversations/{desk['paid']}", headers=desk["boss"])

    assert refused.status == 403
    assert (await refused.json())["error"] == "forbidden"
    assert allowed.status == 200


async def test_an_unknown_conversation_is_not_found(
    client: TestClient, desk: dict[str, Any]
) -> None:
    response = await client.get("/api/conversations/c_nothing", headers=desk["boss"])

    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


@pytest.mark.parametrize("path", ["/api/conversations", "/api/conversations/c_x"])
async def test_nobody_signed_in_reads_nothing(client: TestClient, path: str) -> None:
    response = await client.get(path)

    assert response.status == 401


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=pending", "status"),
        ("csat=6", "csat"),
        ("csat=good", "csat"),
        ("since=yesterday", "since"),
        ("since=2026-12-02&until=2026-12-01", "until"),
        ("limit=0", "limit"),
        ("limit=1000", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ4IiwxXQ", "cursor"),  # base64 of ["x",1]: well formed, wrong types
        ("sort=oldest", "sort"),
        ("q=" + "a" * 201, "q"),
        ("q=" + "+".join("abcdefghi"), "q"),
        ("team=" + "t" * 101, "team"),
        ("tag=" + "t" * 101, "tag"),
        ("ticket=closed", "ticket"),
        ("sla=late", "sla"),
        ("sla=breached,red", "sla"),
    ],
)
async def test_a_bad_parameter_is_a_400_naming_it(
    client: TestClient, desk: dict[str, Any], query: str, named: str
) -> None:
    response = await client.get(f"/api/conversations?{query}", headers=desk["boss"])

    assert response.status == 400
    body = await response.json()
    assert body["error"] == "bad_request" and named in body["message"]
