"""The agent websocket end to end: real app, real SQLite file, real customer and agent sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode, WSMsgType
from aiohttp.test_utils import TestClient

from conftest import WAIT_S, Customer
from handoff_kit import AgentClient, desk_rulebook, make_agent
from helpline.service.agent_frames import PARSERS, parse_agent_frame
from helpline.settings import Limits, Settings
from helpline.store import SQLiteStore
from helpline.web.agent_ws import HANDLERS

Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture
async def desk(make_client: Client) -> TestClient:
    return await make_client(rulebook=desk_rulebook())


async def queued_customer(client: TestClient, lang: str = "en") -> Customer:
    """A customer who asked for a person: queued, or offline when nobody is online."""
    customer = await Customer.join(client, lang=lang)
    await customer.say("m1", "talk to a human" if lang == "en" else "상담원 연결해 주세요")
    await customer.next_of("conversation.status")
    return customer


async def assigned(
    client: TestClient, store: SQLiteStore, name: str = "Ann", **agent_args: Any
) -> tuple[Customer, AgentClient, str]:
    _, token = await make_agent(store, name, **agent_args)
    agent = await AgentClient.join(client, token)
    customer = await queued_customer(client)
    conversation = customer.ready["conversation"]
    await agent.next_of("conversation.offered", conversation=conversation)
    await agent.accept(conversation)
    await customer.next_of("agent.joined")
    return customer, agent, conversation


async def test_agent_socket_without_a_session_is_refused_with_401(desk: TestClient) -> None:
    response = await desk.get(
        "/ws/agent", headers={"Upgrade": "websocket", "Connection": "Upgrade"}
    )

    assert response.status == 401


async def test_agent_socket_with_a_forged_token_is_refused_with_401(desk: TestClient) -> None:
    response = await desk.get("/ws/agent", headers={"Authorization": "Bearer forged"})

    assert response.status == 401


async def test_agent_sees_ready_then_the_queue_then_their_conversations(
    desk: TestClient, store: SQLiteStore
) -> None:
    agent_account, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)

    queue = await agent.next_of("queue.snapshot")
    mine = await agent.next_of("mine.snapshot")

    ready = agent.seen[0]
    assert ready["agent"]["id"] == agent_account.id and ready["presence"] == "online"
    assert (queue["entries"], mine["conversations"]) == ([], [])


async def test_escalated_conversation_is_offered_to_the_online_agent(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)
    customer = await queued_customer(desk)

    offer = await agent.next_of("conversation.offered")

    assert offer["conversation"] == customer.ready["conversation"]
    assert offer["expires_in_s"] == 30
    assert (offer["entry"]["team"], offer["entry"]["intent"]) == ("general", "talk_to_agent")


async def test_customer_is_told_queue_position_after_escalation(
    desk: TestClient, store: SQLiteStore
) -> None:
    await make_agent(store, "Ann", capacity=1)
    await AgentClient.join(desk, (await make_agent(store, "Bo", capacity=1))[1])

    customer = await queued_customer(desk)
    place = await customer.next_of("queue.position")

    assert (place["position"], place["agents_online"]) == (1, 1)
    assert place["eta_s"] == 0  # a free agent: nobody ahead


async def test_accepting_agent_gets_the_whole_story_with_the_bots_decisions(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)
    customer = await Customer.join(desk)
    await customer.say("m0", "i forgot my password")
    await customer.bot_reply()
    await customer.say("m1", "talk to a human")
    conversation = customer.ready["conversation"]
    await agent.next_of("conversation.offered", conversation=conversation)

    view = await agent.accept(conversation)

    bot = [m for m in view["transcript"] if m["sender"] == "bot"]
    answered = next(m for m in bot if m["kind"] == "answer")
    assert answered["decision"]["intent"] == "password_reset"
    assert answered["decision"]["decision"] == "answer" and answered["decision"]["score"] > 0
    assert "mood" in answered["decision"]
    said = [m["text"] for m in view["transcript"] if m["sender"] == "customer"]
    assert said == ["i forgot my password", "talk to a human"]
    assert view["customer"]["language"] == "en"


async def test_customer_sees_agent_joined_before_the_agents_reply(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, conversation = await assigned(desk, store)

    await agent.send(
        {"type": "message.new", "conversation": conversation, "id": "r1", "text": "Hello, Ann here"}
    )
    ack = await agent.next_of("ack", id="r1")
    reply = await customer.next_of("message.new", sender="agent")

    kinds = [f["type"] for f in customer.seen]
    assert kinds.index("agent.joined") < customer.seen.index(reply)
    assert (reply["text"], reply["name"], reply["seq"]) == ("Hello, Ann here", "Ann", ack["seq"])


async def test_agent_reply_resent_with_the_same_id_is_stored_once(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, agent, conversation = await assigned(desk, store)
    frame = {"type": "message.new", "conversation": conversation, "id": "r1", "text": "Hi"}

    await agent.send(frame)
    first = await agent.next_of("ack", id="r1")
    await agent.send(frame)
    second = await agent.next_of("ack", id="r1")

    texts = [
        m.body["text"] for m in await store.messages_after(conversation, 0) if m.sender == "agent"
    ]
    assert first["seq"] == second["seq"] and texts == ["Hi"]


async def test_while_assigned_the_customers_messages_go_to_the_agent_not_the_bot(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, conversation = await assigned(desk, store)

    await customer.say("m2", "i forgot my password")
    relayed = await agent.next_of("message.new", sender="customer", conversation=conversation)
    await customer.next_of("message.ack", id="m2")

    assert relayed["text"] == "i forgot my password"
    senders = [m.sender for m in await store.messages_after(conversation, relayed["seq"])]
    assert senders == []  # the bot stayed silent


async def test_typing_goes_both_ways_between_agent_and_customer(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, conversation = await assigned(desk, store)

    await agent.send({"type": "typing.start", "conversation": conversation})
    agent_typing = await customer.next_of("typing.start", sender="agent")
    await customer.send({"type": "typing.start"})
    customer_typing = await agent.next_of("typing.start", conversation=conversation)

    assert agent_typing["name"] == "Ann"
    assert customer_typing["sender"] == "customer"


async def test_an_internal_note_never_reaches_the_customer_live_or_on_replay(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, conversation = await assigned(desk, store)

    await agent.send(
        {"type": "note.new", "conversation": conversation, "id": "n1", "text": "SECRET note"}
    )
    note = await agent.next_of("message.new", sender="note")
    await agent.send(
        {"type": "message.new", "conversation": conversation, "id": "r1", "text": "visible"}
    )
    await customer.next_of("message.new", text="visible")
    replay = await Customer.join(desk, token=customer.ready["token"])
    await replay.next_of("message.new", text="visible")

    assert note["text"] == "SECRET note" and note["name"] == "Ann"
    for frames in (customer.seen, replay.seen):
        assert not any("SECRET" in str(f) for f in frames)


async def test_canned_answers_come_in_the_customers_language(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, token = await make_agent(store, "Ann")
    agent = await AgentClient.join(desk, token)
    customer = await queued_customer(desk, lang="ko")
    conversation = customer.ready["conversation"]
    await agent.next_of("conversation.offered")
    await agent.accept(conversation)

    await agent.send({"type": "canned.search", "conversation": conversation, "query": "비밀번호"})
    found = await agent.next_of("canned.results")

    assert found["results"][0]["intent"] == "password_reset"
    assert found["results"][0]["text"] == "password_reset 안내입니다."
    assert len(found["results"]) <= 5


async def test_transfer_to_another_agent_moves_the_conversation_with_a_note(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, ann, conversation = await assigned(desk, store)
    bo_account, bo_token = await make_agent(store, "Bo")
    bo = await AgentClient.join(desk, bo_token)

    await ann.send(
        {
            "type": "conversation.transfer",
            "conversation": conversation,
            "to_agent": bo_account.id,
            "note": "billing question",
        }
    )
    released = await ann.next_of("conversation.released", conversation=conversation)
    view = await bo.next_of("conversation.assigned", conversation=conversation)
    joined = await customer.next_of("agent.joined", name="Bo")

    assert released["reason"] == "transferred" and joined["name"] == "Bo"
    assert [m["text"] for m in view["transcript"] if m["sender"] == "note"] == ["billing question"]
    [ticket] = await store.tickets(conversation)
    assert ticket.assignee == bo_account.id


async def test_transfer_to_a_team_puts_the_conversation_back_in_that_teams_line(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, ann, conversation = await assigned(desk, store)
    _, cy_token = await make_agent(store, "Cy", teams=("billing",))
    cy = await AgentClient.join(desk, cy_token)

    await ann.send(
        {"type": "conversation.transfer", "conversation": conversation, "to_team": "billing"}
    )
    await ann.next_of("conversation.released", conversation=conversation)
    await customer.next_of("agent.left")
    status = await customer.next_of("conversation.status", status="queued")
    offer = await cy.next_of("conversation.offered", conversation=conversation)

    assert customer.seen[-1] == status
    assert offer["entry"]["team"] == "billing"


async def test_transfer_to_a_team_whose_agent_was_added_while_the_server_runs(
    desk: TestClient, store: SQLiteStore
) -> None:
    """A team known only from an account written after start-up (no console yet) is a team
    a conversation can be transferred to, not "no team"."""
    customer, ann, conversation = await assigned(desk, store)
    await make_agent(store, "Dee", teams=("account",))

    await ann.send(
        {"type": "conversation.transfer", "conversation": conversation, "to_team": "account"}
    )
    await ann.next_of("conversation.released", conversation=conversation)
    await customer.next_of("conversation.status", status="queued")

    assert not any(f["type"] == "error" for f in ann.seen)


async def test_handing_back_to_the_bot_tells_the_customer_and_the_bot_answers_again(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, conversation = await assigned(desk, store)

    await agent.send({"type": "conversation.release", "conversation": conversation})
    released = await agent.next_of("conversation.released", conversation=conversation)
    await customer.next_of("agent.left")
    told = await customer.next_of("message.new", kind="handback")
    await customer.next_of("conversation.status", status="bot")
    await customer.say("m2", "i forgot my password")
    answer = await customer.next_of("message.new", sender="bot", kind="answer")

    assert released["reason"] == "released" and told["sender"] == "bot"
    assert answer["intent"] == "password_reset"


async def test_closing_solves_the_ticket_with_tags_and_asks_for_a_rating_once(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer, agent, conversation = await assigned(desk, store)

    await agent.send(
        {"type": "conversation.close", "conversation": conversation, "tags": ["refund", "vip"]}
    )
    ask = await customer.next_of("message.new", kind="csat")
    await customer.next_of("conversation.status", status="closed")
    await customer.send({"type": "csat.submit", "id": "c1", "rating": 4, "comment": "quick"})
    first = await customer.next_of("csat.ack")
    await customer.send({"type": "csat.submit", "id": "c2", "rating": 1})
    second = await customer.next_of("csat.ack")

    assert [b["payload"] for b in ask["buttons"]] == [f"/csat:{n}" for n in range(1, 6)]
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    [ticket] = await store.tickets(conversation)
    assert (ticket.status, ticket.tags) == ("solved", ("refund", "vip"))
    assert (ticket.csat_rating, ticket.csat_comment) == (4, "quick")
    kinds = [m.body.get("kind") for m in await store.messages_after(conversation, 0)]
    assert kinds.count("csat") == 1


async def test_a_rating_without_a_closed_conversation_is_refused(desk: TestClient) -> None:
    customer = await Customer.join(desk)

    await customer.send({"type": "csat.submit", "id": "c1", "rating": 5})
    error = await customer.next_of("error")

    assert error["code"] == "bad_frame"


async def test_an_agent_cannot_reply_to_a_conversation_that_is_not_theirs(
    desk: TestClient, store: SQLiteStore
) -> None:
    _, _, conversation = await assigned(desk, store)
    _, token = await make_agent(store, "Bo")
    bo = await AgentClient.join(desk, token)

    await bo.send({"type": "message.new", "conversation": conversation, "id": "x", "text": "hi"})
    error = await bo.next_of("error")

    assert error["code"] == "not_yours"


async def test_of_several_supervisors_claiming_at_once_exactly_one_gets_it(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer = await queued_customer(desk)  # nobody online: it waits, offered to no one
    conversation = customer.ready["conversation"]
    tokens = [
        (await make_agent(store, f"S{n}", role="supervisor", teams=("billing",)))[1]
        for n in range(6)
    ]
    supervisors = [await AgentClient.join(desk, t) for t in tokens]

    claim = {"type": "conversation.accept", "conversation": conversation}
    await asyncio.gather(*(s.send(claim) for s in supervisors))
    outcomes = await asyncio.gather(
        *(s.next_of_any("conversation.assigned", "error") for s in supervisors)
    )

    assert sorted(f["type"] for f in outcomes) == ["conversation.assigned"] + ["error"] * 5
    assert {f["code"] for f in outcomes if f["type"] == "error"} == {"taken"}
    [ticket] = await store.tickets(conversation)
    assert ticket.assignee is not None


async def test_an_agent_of_another_team_cannot_take_a_queued_conversation(
    desk: TestClient, store: SQLiteStore
) -> None:
    customer = await queued_customer(desk)
    _, token = await make_agent(store, "Cy", teams=("billing",))
    cy = await AgentClient.join(desk, token)

    await cy.send({"type": "conversation.accept", "conversation": customer.ready["conversation"]})
    error = await cy.next_of("error")

    assert error["code"] == "forbidden"


async def test_a_flooding_agent_socket_is_closed_with_1008_while_another_agent_is_served(
    make_client: Client, make_settings: Callable[..., Settings], store: SQLiteStore
) -> None:
    limits = Limits(rate_per_s=5, burst=5, flood_strikes=5)
    client = await make_client(make_settings(limits=limits), rulebook=desk_rulebook())
    flooder = await AgentClient.join(client, (await make_agent(store, "Ann"))[1])
    calm = await AgentClient.join(client, (await make_agent(store, "Bo"))[1])

    for n in range(40):
        if flooder.ws.closed:
            break
        await flooder.send({"type": "ping", "n": n})
    ending = await asyncio.wait_for(frames_until_closed(flooder), WAIT_S)
    await calm.send({"type": "ping"})

    assert ending.type is WSMsgType.CLOSE and ending.data == WSCloseCode.POLICY_VIOLATION
    codes = [f["code"] for f in flooder.seen if f["type"] == "error"]
    assert codes[0] == "rate_limited" and codes[-1] == "flood"
    assert await calm.next_of("pong") == {"type": "pong"}


async def frames_until_closed(agent: AgentClient) -> aiohttp.WSMessage:
    """Every text frame (into agent.seen) up to the socket's end; the message that ended it."""
    while (msg := await agent.ws.receive()).type is WSMsgType.TEXT:
        agent.seen.append(json.loads(msg.data))
    return msg


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "agent.delete"}, "unknown_type"),
        ({"type": "presence.set", "status": "asleep"}, "bad_frame"),
        ({"type": "message.new", "conversation": "c1", "text": "no id"}, "bad_frame"),
        ({"type": "conversation.close", "conversation": "c1", "tags": "vip"}, "bad_frame"),
        ({"type": "conversation.urgent", "conversation": "c1", "urgent": "yes"}, "bad_frame"),
        ({"type": "conversation.transfer", "conversation": "c1", "to_team": 7}, "bad_frame"),
        ({"type": "ping", "id": 7}, "bad_frame"),
    ],
)
async def test_a_malformed_agent_frame_gets_an_error_and_the_socket_stays_open(
    desk: TestClient, store: SQLiteStore, frame: dict[str, Any], code: str
) -> None:
    agent = await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])

    await agent.send(frame)
    error = await agent.next_of("error")
    await agent.send({"type": "ping", "id": "p1"})

    assert error["code"] == code and error["message"]
    assert await agent.next_of("ack") == {"type": "ack", "id": "p1"}


async def test_a_binary_agent_frame_gets_bad_json(desk: TestClient, store: SQLiteStore) -> None:
    agent = await AgentClient.join(desk, (await make_agent(store, "Ann"))[1])

    await agent.ws.send_bytes(b"\x00\x01")

    assert (await agent.next_of("error"))["code"] == "bad_json"


def test_every_agent_frame_type_has_a_handler() -> None:
    parsed = {type(parse_agent_frame(raw, Limits())) for raw in AGENT_FRAME_EXAMPLES}

    assert {type_name for type_name in PARSERS} == {
        json.loads(raw)["type"] for raw in AGENT_FRAME_EXAMPLES
    }
    assert parsed == set(HANDLERS)


AGENT_FRAME_EXAMPLES = (
    '{"type": "ping"}',
    '{"type": "presence.set", "status": "away"}',
    '{"type": "conversation.accept", "conversation": "c1"}',
    '{"type": "message.new", "conversation": "c1", "id": "r1", "text": "hi"}',
    '{"type": "note.new", "conversation": "c1", "id": "n1", "text": "note"}',
    '{"type": "typing.start", "conversation": "c1"}',
    '{"type": "typing.stop", "conversation": "c1"}',
    '{"type": "canned.search", "conversation": "c1", "query": "refund"}',
    '{"type": "conversation.transfer", "conversation": "c1", "to_team": "billing"}',
    '{"type": "transfer.options"}',
    '{"type": "conversation.release", "conversation": "c1"}',
    '{"type": "conversation.close", "conversation": "c1", "tags": ["vip"]}',
    '{"type": "conversation.urgent", "conversation": "c1", "urgent": false}',
)
