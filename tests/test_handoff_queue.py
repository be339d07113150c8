"""The live-agent queue end to end: escalation, routing, capacity, timeouts, waiting, hours."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import AgentClient, Clock, desk_rulebook, handoff_of, make_agent, wait_for
from helpline.settings import Limits
from helpline.store import SQLiteStore

Client = Callable[..., Awaitable[TestClient]]
SUNDAY_NOON_UTC = datetime(2024, 3, 3, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def desk(make_client: Client, make_settings: Callable[..., Any], clock: Clock) -> TestClient:
    settings = make_settings(limits=Limits(burst=1000))  # the fake clock never refills a bucket
    return await make_client(settings, rulebook=desk_rulebook(), clock=clock)


async def ask(client: TestClient, text: str, lang: str = "en") -> Customer:
    customer = await Customer.join(client, lang=lang)
    await customer.say("m1", text)
    return customer


@pytest.mark.parametrize(
    ("text", "intent"),
    [("talk to a human", "talk_to_agent"), ("상담원 연결해 주세요", "talk_to_agent")],
)
async def test_asking_for_a_person_escalates(
    desk: TestClient, store: SQLiteStore, text: str, intent: str
) -> None:
    await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])
    customer = await ask(desk, text)

    await customer.next_of("conversation.status", status="queued")

    [ticket] = await store.tickets(customer.ready["conversation"])
    assert (ticket.status, ticket.team) == ("open", "general")


async def test_repeated_fallbacks_offer_a_person_and_the_button_escalates(
    desk: TestClient, store: SQLiteStore
) -> None:
    await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])
    customer = await ask(desk, "qwerty zxcv")
    await customer.next_of("message.new", kind="fallback")
    await customer.say("m2", "asdf jkl poiu")
    offer = await customer.next_of("message.new", kind="fallback")

    button = offer["buttons"][0]
    await customer.say("m3", button["label"], payload=button["payload"])
    status = await customer.next_of("conversation.status")

    assert button["payload"] == "/talk_to_agent"
    assert status["status"] == "queued"


async def test_a_frustrated_customer_is_escalated(desk: TestClient, store: SQLiteStore) -> None:
    await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])
    customer = await ask(desk, "THIS STUPID APP IS BROKEN WTF!!!")

    handoff = await customer.next_of("message.new", kind="handoff")
    await customer.next_of("conversation.status", status="queued")

    events = await store.events(customer.ready["conversation"])
    decision = next(
        e for e in events if e.kind == "bot.decision" and e.data["decision"] == "handoff"
    )
    queued = next(e for e in events if e.kind == "queue.entered")
    assert handoff["sender"] == "bot"
    assert "frustration" in decision.data["reasons"]
    assert queued.data["frustration"] == decision.data["mood"]


async def test_an_intents_category_routes_it_to_that_teams_agent(
    desk: TestClient, store: SQLiteStore
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", ("general",)))[1])
    bea = await AgentClient.join(desk, (await make_agent(store, "Bea", ("billing",)))[1])
    customer = await ask(desk, "i want a refund")  # escalates after answering

    offer = await bea.next_of("conversation.offered")

    assert offer["conversation"] == customer.ready["conversation"]
    assert offer["entry"]["team"] == "billing"
    assert not any(f["type"] == "conversation.offered" for f in ann.seen)


async def test_a_team_whose_only_agent_was_added_while_the_server_runs_gets_its_conversations(
    desk: TestClient, store: SQLiteStore
) -> None:
    """`helpline agent add` writes the account while the desk runs; the agent has not
    opened a console yet, but the team exists: its escalations wait in its own line."""
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", ("general",)))[1])
    _, bea_token = await make_agent(store, "Bea", ("billing",))  # never seen by the desk
    customer = await ask(desk, "i want a refund")
    conversation = customer.ready["conversation"]
    await wait_for(desk, lambda desk: conversation in desk.board.rows)

    assert handoff_of(desk).board.rows[conversation].team == "billing"
    bea = await AgentClient.join(desk, bea_token)
    offer = await bea.next_of("conversation.offered", conversation=conversation)
    assert offer["entry"]["team"] == "billing"
    assert not any(f["type"] == "conversation.offered" for f in ann.seen)


async def test_the_least_busy_agent_gets_the_next_conversation(
    desk: TestClient, store: SQLiteStore
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])
    bo = await AgentClient.join(desk, (await make_agent(store, "Bo"))[1])
    first = await ask(desk, "talk to a human")
    await first.next_of("conversation.status", status="queued")
    second = await ask(desk, "talk to a human")

    offers = [await agent.next_of("conversation.offered") for agent in (ann, bo)]

    conversations = {c.ready["conversation"] for c in (first, second)}
    assert {offer["conversation"] for offer in offers} == conversations


async def test_an_agent_at_capacity_gets_no_more_until_someone_has_room(
    desk: TestClient, store: SQLiteStore
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", capacity=1))[1])
    first = await ask(desk, "talk to a human")
    await ann.accept((await ann.next_of("conversation.offered"))["conversation"])
    second = await ask(desk, "talk to a human")
    await second.next_of("queue.position")

    bo = await AgentClient.join(desk, (await make_agent(store, "Bo", capacity=1))[1])
    offer = await bo.next_of("conversation.offered")

    assert offer["conversation"] == second.ready["conversation"]
    assert [f["conversation"] for f in ann.seen if f["type"] == "conversation.offered"] == [
        first.ready["conversation"]
    ]


async def test_an_offer_not_accepted_in_time_goes_to_the_next_agent(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])
    bo = await AgentClient.join(desk, (await make_agent(store, "Bo"))[1])
    customer = await ask(desk, "talk to a human")
    conversation = customer.ready["conversation"]
    service = handoff_of(desk)
    await wait_for(
        desk, lambda s: getattr(s.board.rows.get(conversation), "state", "") == "offered"
    )
    first = service.board.rows[conversation].agent_id
    slow, other = (ann, bo) if first == ann.seen[0]["agent"]["id"] else (bo, ann)

    clock.advance(31)
    expired = await slow.next_of("conversation.released", conversation=conversation)
    offer = await other.next_of("conversation.offered", conversation=conversation)

    assert expired["reason"] == "offer_expired"
    assert offer["entry"]["conversation"] == conversation
    await other.accept(conversation)
    await slow.send({"type": "conversation.accept", "conversation": conversation})
    assert (await slow.next_of("error"))["code"] == "not_queued"


async def test_position_and_wait_are_updated_when_the_line_moves(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", capacity=1))[1])
    first = await ask(desk, "talk to a human")
    await ann.next_of("conversation.offered")
    clock.advance(1)  # the line is first come, first served
    second = await ask(desk, "talk to a human")
    before = await second.next_of("queue.position")

    await ann.accept(first.ready["conversation"])
    after = await second.next_of("queue.position")

    assert (before["position"], after["position"]) == (2, 1)
    assert (before["eta_s"], after["eta_s"]) == (300, 300)  # default handling time, one seat


async def test_a_supervisor_marks_a_conversation_urgent_and_it_moves_to_the_head_of_the_line(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", capacity=1))[1])
    # of another team: a supervisor here to steer the line, not to be offered it
    _, sue_token = await make_agent(store, "Sue", ("billing",), role="supervisor")
    sue = await AgentClient.join(desk, sue_token)
    await ask(desk, "talk to a human")
    await ann.next_of("conversation.offered")
    clock.advance(1)
    second = await ask(desk, "talk to a human")
    await second.next_of("queue.position", position=2)
    clock.advance(1)
    third = await ask(desk, "talk to a human")
    await third.next_of("queue.position", position=3)

    cid = third.ready["conversation"]
    await sue.send({"type": "conversation.urgent", "conversation": cid, "id": "u1"})
    await sue.next_of("ack", id="u1")
    moved_up = await third.next_of("queue.position")
    moved_down = await second.next_of("queue.position")

    [ticket] = await store.tickets(cid)
    assert (moved_up["position"], moved_down["position"]) == (1, 3)  # ahead of the offer too
    assert ticket.urgent


async def test_only_supervisors_mark_conversations_urgent(
    desk: TestClient, store: SQLiteStore
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", ("billing",)))[1])
    customer = await ask(desk, "talk to a human")
    cid = customer.ready["conversation"]
    await wait_for(desk, lambda service: cid in service.board.rows)

    await ann.send({"type": "conversation.urgent", "conversation": cid})
    error = await ann.next_of("error")
    await ann.send({"type": "conversation.urgent", "conversation": "c1", "urgent": "yes"})
    malformed = await ann.next_of("error")

    assert error["code"] == "forbidden"
    assert malformed["code"] == "bad_frame"
    [ticket] = await store.tickets(cid)
    assert not ticket.urgent


async def test_how_long_is_answered_with_the_real_place_in_line(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    ann = await AgentClient.join(desk, (await make_agent(store, "Ann", capacity=1))[1])
    await ask(desk, "talk to a human")
    await ann.next_of("conversation.offered")
    clock.advance(1)  # the line is first come, first served
    second = await ask(desk, "talk to a human")
    await second.next_of("queue.position")

    await second.say("m2", "how long will it take?")
    reply = await second.next_of("message.new", sender="bot", kind="queue")

    assert reply["text"] == "You're number 2 in line; the expected wait is about 5 min."


async def test_with_nobody_online_the_customer_is_told_honestly_and_the_ticket_waits(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer = await ask(desk, "talk to a human")
    notice = await customer.next_of("message.new", kind="offline")
    status = await customer.next_of("conversation.status")

    ann = await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])
    offer = await ann.next_of("conversation.offered")

    assert status["status"] == "offline"
    assert notice["text"].startswith("No one from our team is available right now.")
    assert offer["conversation"] == customer.ready["conversation"]


async def test_a_handover_nobody_can_take_is_stored_offline_in_its_state_too(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer = await ask(desk, "talk to a human")
    status = await customer.next_of("conversation.status")
    conversation = await store.conversation(customer.ready["conversation"])
    events = await store.events(customer.ready["conversation"])

    assert status["status"] == "offline"
    assert conversation is not None
    assert (conversation.status, conversation.bot_state["status"]) == ("offline", "offline")
    changes = [dict(e.data) for e in events if e.kind == "status.changed"]
    assert changes == [{"from": "bot", "to": "offline"}]  # never queued first


async def test_out_of_hours_the_customer_is_told_when_the_team_is_back(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, clock: Clock
) -> None:
    clock.now = SUNDAY_NOON_UTC
    hours = {"timezone": "UTC", "weekdays": {"mon": "09:00-17:00"}}
    client = await make_client(make_settings(), rulebook=desk_rulebook(hours=hours), clock=clock)
    await AgentClient.join(client, (await make_agent(store, "Ann"))[1])
    customer = await ask(client, "talk to a human")

    notice = await customer.next_of("message.new", kind="offline")
    await customer.next_of("conversation.status", status="offline")

    assert "back Monday 04 Mar at 09:00 (UTC)" in notice["text"]


async def test_a_team_with_its_own_hours_takes_conversations_when_the_desk_is_closed(
    make_client: Client, make_settings: Callable[..., Any], store: SQLiteStore, clock: Clock
) -> None:
    clock.now = SUNDAY_NOON_UTC
    hours = {
        "timezone": "UTC",
        "weekdays": {"mon": "09:00-17:00"},
        "teams": {"billing": {"weekdays": {"sun": "00:00-24:00"}}},
    }
    client = await make_client(make_settings(), rulebook=desk_rulebook(hours=hours), clock=clock)
    await AgentClient.join(client, (await make_agent(store, "Bea", ("billing",)))[1])
    customer = await ask(client, "i want a refund")

    status = await customer.next_of("conversation.status")

    assert status["status"] == "queued"


async def test_a_dropped_agent_goes_offline_after_the_grace_period(
    desk: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    agent, token = await make_agent(store, "Ann")
    ann = await AgentClient.join(desk, token)
    await ann.close()
    await wait_for(desk, lambda s: s.board.in_grace(agent.id))

    clock.advance(61)
    await wait_for(desk, lambda s: s.board.presence[agent.id] == "offline")

    presences = {p.agent_id: p.status for p in await store.presences()}
    assert presences[agent.id] == "offline"


async def test_a_restarted_node_rebuilds_the_queue_and_assignments_from_the_store(
    desk: TestClient, make_client: Client, make_settings: Callable[..., Any],
    store: SQLiteStore, clock: Clock,
) -> None:  # fmt: skip
    account, token = await make_agent(store, "Ann", capacity=1)
    ann = await AgentClient.join(desk, token)
    first = await ask(desk, "talk to a human")
    await ann.accept((await ann.next_of("conversation.offered"))["conversation"])
    second = await ask(desk, "talk to a human")
    await second.next_of("queue.position")
    await desk.close()

    again = await make_client(make_settings(), rulebook=desk_rulebook(), clock=clock)
    back = await AgentClient.join(again, token)
    queue = await back.next_of("queue.snapshot")
    mine = await back.next_of("mine.snapshot")

    assert [e["conversation"] for e in queue["entries"]] == [second.ready["conversation"]]
    assert [c["conversation"] for c in mine["conversations"]] == [first.ready["conversation"]]
    assert handoff_of(again).board.rows[first.ready["conversation"]].agent_id == account.id
