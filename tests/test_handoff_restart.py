"""A real `helpline serve` killed with SIGKILL keeps its queue, assignments and tickets."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from helpline.store import SQLiteStore
from helpline.web.auth import token_hash
from test_crash_recovery import Server, Tab, connect


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[tuple[Server, str]]:
    """A server whose database already holds one agent (capacity 1) with a live session."""
    database = tmp_path / "desk.db"
    store = SQLiteStore(database)
    await store.open()
    agent = await store.create_agent(
        email="ann@desk.test", name="Ann", teams=("general",), role="agent", capacity=1,
        password_hash="not-used", now=time.time(),
    )  # fmt: skip
    token = secrets.token_urlsafe(32)
    await store.create_session(agent.id, token_hash(token), time.time() + 86400)
    await store.close()
    server = Server(database)
    await server.start()
    yield server, token
    if server.process and server.process.returncode is None:
        server.process.kill()
        await server.process.wait()


async def agent_socket(session: aiohttp.ClientSession, server: Server, token: str) -> Tab:
    headers = {"Authorization": f"Bearer {token}"}
    tab = Tab(await session.ws_connect(f"{server.url}/ws/agent", headers=headers))
    await tab.next_of("agent.ready")
    return tab


async def test_kill_9_keeps_the_queue_the_assignment_and_the_conversation_going(
    desk: tuple[Server, str], session: aiohttp.ClientSession
) -> None:
    server, token = desk
    agent = await agent_socket(session, server, token)
    first, ready = await connect(session, server, None, 0)
    await first.say("m1", "상담원 연결해 주세요")
    offer = await agent.next_of("conversation.offered")
    accept = {"type": "conversation.accept", "conversation": offer["conversation"]}
    await agent.ws.send_str(json.dumps(accept))
    await agent.next_of("conversation.assigned")
    second, waiting = await connect(session, server, None, 0)
    await second.say("m1", "상담원 연결해 주세요")
    await second.next_of("message.ack", id="m1")
    await agent.next_of("queue.snapshot", total=1)
    await server.kill()

    await server.start()
    back = await agent_socket(session, server, token)
    queue = await back.next_of("queue.snapshot")
    mine = await back.next_of("mine.snapshot")
    customer, again = await connect(session, server, ready["token"], 0)
    await customer.next_of("agent.joined", name="Ann")
    reply = {
        "type": "message.new",
        "conversation": ready["conversation"],
        "id": "r1",
        "text": "Still here",
    }
    await back.ws.send_str(json.dumps(reply))
    delivered = await customer.next_of("message.new", sender="agent")

    assert offer["conversation"] == ready["conversation"]
    assert [e["conversation"] for e in queue["entries"]] == [waiting["conversation"]]
    assert [c["conversation"] for c in mine["conversations"]] == [ready["conversation"]]
    assert again["status"] == "assigned"
    assert (delivered["text"], delivered["name"]) == ("Still here", "Ann")
    assert await server.stop() == 0
