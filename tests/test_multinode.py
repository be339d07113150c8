"""Two Helpline nodes on one PostgreSQL and one Redis: shared conversations across nodes."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from backends import fresh_schema
from conftest import Customer
from helpline.rules.model import Rulebook
from helpline.settings import Settings
from helpline.store.postgres import PostgresStore
from helpline.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0
WAIT_S = 10.0

Node = Callable[[], Awaitable[TestClient]]


@pytest.fixture
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    async with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture
def make_node(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
    database_url: str,
    redis_server: str,
    redis_prefix: str,
) -> Node:
    """A node of its own (app, store pool, bus, locks) on the shared database and Redis."""

    async def make() -> TestClient:
        settings = make_settings(
            database_url=database_url, redis_url=redis_server, redis_prefix=redis_prefix
        )
        client: TestClient = await aiohttp_client(create_app(settings, rulebook=rulebook))
        return client

    return make


async def stored_senders(database_url: str, conversation_id: str) -> list[tuple[str, str]]:
    store = PostgresStore(database_url)
    await store.open()
    try:
        messages = await store.messages_after(conversation_id, 0)
    finally:
        await store.close()
    return [(m.sender, str(m.body.get("text"))) for m in messages]


async def test_tabs_on_two_nodes_both_receive_every_reply(make_node: Node) -> None:
    first_node, second_node = await make_node(), await make_node()
    here = await Customer.join(first_node)
    there = await Customer.join(second_node, token=here.ready["token"], last_seq=1)

    await there.say("m1", "i want a refund")

    for tab in (here, there):
        mine = await tab.next_of("message.new", sender="customer")
        reply = await tab.bot_reply()
        assert (mine["text"], reply["text"]) == ("i want a refund", "Refunds take 3-5 days.")


async def test_messages_sent_to_two_nodes_at_once_are_answered_one_at_a_time(
    make_node: Node, database_url: str
) -> None:
    first_node, second_node = await make_node(), await make_node()
    here = await Customer.join(first_node)
    there = await Customer.join(second_node, token=here.ready["token"], last_seq=1)
    texts = {
        "a": ("i want a refund", "reset my password", "give my money back"),
        "b": ("i forgot my password", "refund please", "환불해 주세요"),
    }

    async def send_all(tab: Customer, name: str) -> None:
        for n, text in enumerate(texts[name]):
            await tab.say(f"{name}{n}", text)

    await asyncio.gather(send_all(here, "a"), send_all(there, "b"))
    for tab in (here, there):
        for _ in range(6):
            await tab.bot_reply()

    senders = [s for s, _ in await stored_senders(database_url, here.ready["conversation"])]
    # the greeting, then each message followed straight by its own answer: no turn of one
    # node ran between another node's message and its reply
    assert senders == ["bot"] + ["customer", "bot"] * 6


class ServeProcess:
    """A `helpline serve` subprocess on a free port, on the shared database and Redis."""

    def __init__(self, database_url: str, redis_url: str, workdir: Path) -> None:
        self.args = [
            sys.executable, "-m", "helpline", "serve", "--port", "0",
            "--rules", str(REPO / "bot_rules"), "--db", database_url, "--redis", redis_url,
        ]  # fmt: skip
        self.workdir = workdir
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.args, cwd=self.workdir, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT_S)
        found = re.search(rb"running at (http://\S+?)/? ", line)
        assert found, line
        self.url = found.group(1).decode()

    async def kill(self) -> None:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), WAIT_S)


@pytest.fixture
async def serve_pair(
    database_url: str, redis_server: str, tmp_path: Path
) -> AsyncIterator[list[ServeProcess]]:
    nodes = [ServeProcess(database_url, redis_server, tmp_path) for _ in range(2)]
    try:
        await asyncio.gather(*(node.start() for node in nodes))
        yield nodes
    finally:
        for node in nodes:
            if node.process is not None:
                await node.kill()


async def _bot_reply(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = await asyncio.wait_for(ws.receive_json(), WAIT_S)
        if frame["type"] == "message.new" and frame["sender"] == "bot":
            return frame


async def _hello(
    session: aiohttp.ClientSession, url: str, token: str | None, last_seq: int
) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
    ws = await session.ws_connect(f"{url}/ws/customer")
    await ws.send_json(
        {"type": "session.hello", "token": token, "last_seq": last_seq, "lang": "en"}
    )
    while True:
        frame = await asyncio.wait_for(ws.receive_json(), WAIT_S)
        if frame["type"] == "session.ready":
            return ws, frame


async def _lock_freed(redis_url: str, conversation_id: str) -> None:
    """Once the node has let go of the conversation's lock (just after its reply went out);
    a node killed holding it would keep the other waiting until the lock expires."""
    client = Redis.from_url(redis_url)
    try:
        async with asyncio.timeout(WAIT_S):
            while await client.exists(f"helpline:lock:{conversation_id}"):
                pass
    finally:
        await client.aclose()


async def test_customer_resumes_on_the_other_node_after_one_is_killed(
    serve_pair: list[ServeProcess], redis_server: str
) -> None:
    doomed, survivor = serve_pair
    async with aiohttp.ClientSession() as session:
        ws, ready = await _hello(session, doomed.url, None, 0)
        greeting = await _bot_reply(ws)
        await ws.send_json({"type": "message.new", "id": "m1", "text": "I forgot my password"})
        answer = await _bot_reply(ws)
        await _lock_freed(redis_server, ready["conversation"])
        await doomed.kill()

        again, resumed = await _hello(session, survivor.url, ready["token"], 0)
        history = [await _bot_reply(again), await _bot_reply(again)]
        await again.send_json({"type": "message.new", "id": "m2", "text": "thanks"})
        after = await _bot_reply(again)

    assert (resumed["resumed"], resumed["conversation"]) == (True, ready["conversation"])
    assert [m["seq"] for m in history] == [greeting["seq"], answer["seq"]]
    assert after["seq"] > answer["seq"]
