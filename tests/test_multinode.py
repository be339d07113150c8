"""Two Helpline nodes on one PostgreSQL and one Redis: shared conversations across nodes."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from backends import fresh_schema
from conftest import Customer
from handoff_kit import QUEUE, AgentClient, Clock, desk_rulebook, handoff_of, make_agent, wait_for
from helpline.rules.model import Rulebook
from helpline.service.handoff.sync import HEARTBEAT_TICKS
from helpline.settings import Settings, Smtp
from helpline.store.postgres import PostgresStore
from helpline.web.app import create_app

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 30.0
WAIT_S = 10.0
PROCESS_WAIT_S = 20.0  # a wait on a `helpline serve` process, which two loaded cores slow

Node = Callable[..., Awaitable[TestClient]]  # settings overrides, e.g. smtp=
SMTP = Smtp(host="127.0.0.1", from_address="desk@example.com", security="none")


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

    def __init__(
        self, database_url: str, redis_url: str, workdir: Path, rules: Path = REPO / "bot_rules",
        workers: int = 1,
    ) -> None:  # fmt: skip
        self.args = [
            sys.executable, "-m", "helpline", "serve", "--port", "0",
            "--rules", str(rules), "--db", database_url, "--redis", redis_url,
            "--workers", str(workers),
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


@asynccontextmanager
async def two_processes(
    database_url: str, redis_server: str, workdir: Path, rules: Path = REPO / "bot_rules",
    workers: int = 1,
) -> AsyncIterator[list[ServeProcess]]:  # fmt: skip
    """Two `helpline serve` nodes (of `workers` processes each) on the shared database and
    Redis, both killed after."""
    nodes = [ServeProcess(database_url, redis_server, workdir, rules, workers) for _ in range(2)]
    try:
        await asyncio.gather(*(node.start() for node in nodes))
        yield nodes
    finally:
        for node in nodes:
            if node.process is not None:
                await node.kill()


@pytest.fixture(params=[1, 2], ids=["one process each", "two workers each"])
async def serve_pair(
    request: pytest.FixtureRequest, database_url: str, redis_server: str, tmp_path: Path
) -> AsyncIterator[list[ServeProcess]]:
    async with two_processes(database_url, redis_server, tmp_path, workers=request.param) as nodes:
        yield nodes


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


# --- the live-agent queue across nodes -----------------------------------------------


@pytest.fixture
async def shared_store(database_url: str) -> AsyncIterator[PostgresStore]:
    """The nodes' database, for making agents (opening it creates the tables)."""
    store = PostgresStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def make_desk_node(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    database_url: str,
    redis_server: str,
    redis_prefix: str,
) -> Node:
    """A node with the desk rulebook (always open), every node on one hand-moved clock."""
    clock = Clock()

    async def make(**extra: Any) -> TestClient:
        settings = make_settings(
            database_url=database_url, redis_url=redis_server, redis_prefix=redis_prefix, **extra
        )
        app = create_app(settings, rulebook=desk_rulebook(), clock=clock)
        client: TestClient = await aiohttp_client(app)
        return client

    return make


async def within(step: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    """One wait bounded as a whole: a console gets queue snapshots all the time, so a bound
    on each frame alone would never end a wait for a frame that does not come."""
    return await asyncio.wait_for(step, WAIT_S)


async def online_everywhere(nodes: list[TestClient], *agent_ids: str) -> None:
    for node in nodes:
        await wait_for(node, lambda s: all(s.board.presence.get(a) == "online" for a in agent_ids))


async def test_an_escalation_on_one_node_is_offered_to_an_agent_on_another(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_desk_node(), await make_desk_node()
    agent, token = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    console = await AgentClient.join(there, token)
    await online_everywhere([here], agent.id)
    customer = await Customer.join(here)

    await customer.say("m1", "talk to a human")

    offer = await within(console.next_of("conversation.offered"))
    assert offer["conversation"] == customer.ready["conversation"]


async def test_two_nodes_offer_a_conversation_to_one_agent_only(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    nodes = [await make_desk_node(), await make_desk_node()]
    first, first_token = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    second, second_token = await make_agent(shared_store, "Chan")  # type: ignore[arg-type]
    consoles = [
        await AgentClient.join(nodes[0], first_token),
        await AgentClient.join(nodes[1], second_token),
    ]
    await online_everywhere(nodes, first.id, second.id)
    customer = await Customer.join(nodes[0])
    cid = customer.ready["conversation"]

    await customer.say("m1", "talk to a human")

    for node in nodes:
        await wait_for(node, lambda s: getattr(s.board.rows.get(cid), "state", "") == "offered")
    offered_to = {handoff_of(node).board.rows[cid].agent_id for node in nodes}
    events = [e.kind for e in await shared_store.events(cid)]
    assert len(offered_to) == 1 and events.count("offer.made") == 1
    [taker] = [c for c, a in zip(consoles, (first, second), strict=True) if a.id in offered_to]
    assert (await within(taker.next_of("conversation.offered")))["conversation"] == cid


async def accepted_across_nodes(
    make_desk_node: Node, shared_store: PostgresStore, email: str | None = None
) -> tuple[TestClient, AgentClient, Customer, str]:
    """A customer on one node (with `email` left, if given) handed over to Bora, whose
    console is on another; the agent's node, console, customer and conversation id."""
    # the customer's node takes an email only with SMTP set up; the agent's node has none,
    # so what it emails stays in the shared outbox for the test to read
    here = await (make_desk_node(smtp=SMTP) if email is not None else make_desk_node())
    there = await make_desk_node()
    agent, token = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    console = await AgentClient.join(there, token)
    await online_everywhere([here], agent.id)
    customer = await Customer.join(here)
    if email is not None:
        await customer.send({"type": "email.submit", "id": "e1", "email": email})
        await customer.next_of("email.ack")
    await customer.say("m1", "talk to a human")
    cid = (await within(console.next_of("conversation.offered")))["conversation"]
    await within(console.accept(cid))
    return there, console, customer, cid


async def test_an_agent_on_one_node_replies_to_a_customer_on_another(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    _, console, customer, cid = await accepted_across_nodes(make_desk_node, shared_store)

    await console.send(
        {"type": "message.new", "conversation": cid, "id": "r1", "text": "Hello, I'm Bora."}
    )

    ack = await within(console.next_of("ack", id="r1"))
    joined = await customer.next_of("agent.joined")
    reply = await customer.next_of("message.new", sender="agent")
    assert (joined["name"], reply["text"], reply["seq"]) == ("Bora", "Hello, I'm Bora.", ack["seq"])


async def test_a_reply_is_emailed_only_when_the_customer_is_connected_to_no_node(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    there, console, customer, cid = await accepted_across_nodes(
        make_desk_node, shared_store, email="mina@example.com"
    )

    async def reply(client_id: str, text: str) -> None:
        message = {"type": "message.new", "conversation": cid, "id": client_id, "text": text}
        await console.send(message)
        await within(console.next_of("ack", id=client_id))

    await reply("r1", "Looking into it.")
    await customer.next_of("message.new", sender="agent")
    await customer.ws.close()
    await asyncio.wait_for(_until(lambda: not handoff_of(there).customer_present(cid)), WAIT_S)
    await reply("r2", "Refunded.")

    emails = await shared_store.due_emails(float("inf"), 10)
    assert [(e.recipient, e.conversation_id) for e in emails] == [("mina@example.com", cid)]
    assert "Refunded." in emails[0].body and "Looking into it." not in emails[0].body


async def test_a_lost_customer_notice_is_made_good_by_the_next_heartbeat(
    make_desk_node: Node,
) -> None:
    here, there = await make_desk_node(), await make_desk_node()
    customer = await Customer.join(here)
    await customer.say("m1", "talk to a human")
    cid = customer.ready["conversation"]
    await asyncio.wait_for(_until(lambda: handoff_of(there).customer_present(cid)), WAIT_S)

    handoff_of(there).sync.customers_at.clear()  # as if the notice had never arrived
    assert not handoff_of(there).customer_present(cid)
    clock = handoff_of(here).clock
    assert isinstance(clock, Clock)
    clock.advance(2 * HEARTBEAT_TICKS * QUEUE["tick_s"])  # type: ignore[operator]

    await asyncio.wait_for(_until(lambda: handoff_of(there).customer_present(cid)), WAIT_S)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_a_row_read_before_this_node_committed_never_overwrites_the_newer_one(
    make_desk_node: Node, shared_store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another node's notice makes this node re-read a row; the read leaves before this
    # node's own claim commits and comes back after the claim's row is on the board.
    node = await make_desk_node()
    agent, _ = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    service = handoff_of(node)
    customer = await Customer.join(node)
    cid = customer.ready["conversation"]
    await customer.say("m1", "talk to a human")
    await wait_for(node, lambda s: cid in s.board.rows)
    read_store = service.store.handoff
    reads: list[str] = []

    async def claim_lands_during_the_read(conversation_id: str) -> Any:
        stale = await read_store(conversation_id)
        if not reads:
            won = await shared_store.claim(conversation_id, agent.id, 1.0, any_state=True)
            assert won is not None
            service.board.put(won.handoff)  # what accept does right after its commit
        reads.append(stale.state if stale else "gone")
        return stale

    monkeypatch.setattr(service.store, "handoff", claim_lands_during_the_read)
    await service.sync.refresh_conversation(cid)

    row = service.board.rows[cid]
    assert reads[0] != "assigned" and reads[-1] == "assigned"
    assert (row.state, row.agent_id) == ("assigned", agent.id)


async def test_an_offer_whose_notice_was_lost_still_expires_and_moves_on(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    # A node that offered the conversation died between its commit and its notice: the
    # node left thinks the conversation still waits, until its own offer finds it taken.
    node = await make_desk_node()
    service = handoff_of(node)
    gone, _ = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    chan, chan_token = await make_agent(shared_store, "Chan")  # type: ignore[arg-type]
    customer = await Customer.join(node)
    cid = customer.ready["conversation"]
    await customer.say("m1", "talk to a human")
    await wait_for(node, lambda s: getattr(s.board.rows.get(cid), "state", "") == "waiting")
    assert await shared_store.offer(cid, gone.id, service.clock()) is not None  # no notice

    console = await AgentClient.join(node, chan_token)
    await wait_for(node, lambda s: getattr(s.board.rows.get(cid), "agent_id", "") == gone.id)
    service.clock.advance(QUEUE["accept_timeout_s"])  # type: ignore[attr-defined]

    offer = await within(console.next_of("conversation.offered"))
    row = await shared_store.handoff(cid)
    assert offer["conversation"] == cid
    assert row is not None and (row.state, row.agent_id, row.passed) == (
        "offered",
        chan.id,
        (gone.id,),
    )


def desk_rules(tmp_path: Path, accept_timeout_s: float, presence_grace_s: float = 60.0) -> Path:
    """The repo's bot_rules, open around the clock, offers expiring after accept_timeout_s,
    a dropped console offline after presence_grace_s."""
    rules = tmp_path / "bot_rules"
    shutil.copytree(REPO / "bot_rules", rules)
    path = rules / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config.pop("business_hours", None)
    config["queue"] = {
        **config["queue"], "accept_timeout_s": accept_timeout_s, "tick_s": 0.1,
        "presence_grace_s": presence_grace_s,
    }  # fmt: skip
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return rules


async def _agent_ws(
    session: aiohttp.ClientSession, url: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(f"{url}/ws/agent", headers={"Authorization": f"Bearer {token}"})


async def _console(
    session: aiohttp.ClientSession, url: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    """An agent's console, once the server said it is ready."""
    ws = await _agent_ws(session, url, token)
    await _frame(ws, "agent.ready")
    return ws


async def _frame(ws: aiohttp.ClientWebSocketResponse, frame_type: str) -> dict[str, Any]:
    """The next frame of this type within PROCESS_WAIT_S in all (snapshots keep coming)."""
    async with asyncio.timeout(PROCESS_WAIT_S):
        while True:
            frame: dict[str, Any] = await ws.receive_json()
            if frame["type"] == frame_type:
                return frame


async def test_an_offer_held_by_a_killed_node_expires_and_goes_to_another_agent(
    database_url: str, redis_server: str, shared_store: PostgresStore, tmp_path: Path
) -> None:
    first, first_token = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    second, second_token = await make_agent(shared_store, "Chan")  # type: ignore[arg-type]
    rules = desk_rules(tmp_path, accept_timeout_s=1.0)
    async with (
        two_processes(database_url, redis_server, tmp_path, rules) as (doomed, survivor),
        aiohttp.ClientSession() as session,
    ):
        held = await _console(session, doomed.url, first_token)
        customer, ready = await _hello(session, doomed.url, None, 0)
        await customer.send_json({"type": "message.new", "id": "m1", "text": "talk to a human"})
        first_offer = await _frame(held, "conversation.offered")
        await doomed.kill()

        taker = await _agent_ws(session, survivor.url, second_token)
        second_offer = await _frame(taker, "conversation.offered")
        await taker.send_json(
            {"type": "conversation.accept", "conversation": ready["conversation"]}
        )
        assigned = await _frame(taker, "conversation.assigned")

    assert first_offer["conversation"] == second_offer["conversation"] == ready["conversation"]
    assert assigned["conversation"] == ready["conversation"]


async def _presence(store: PostgresStore, agent_id: str) -> str:
    return next((p.status for p in await store.presences() if p.agent_id == agent_id), "offline")


async def test_agents_of_a_killed_node_go_offline_and_the_survivors_stay_online(
    database_url: str, redis_server: str, shared_store: PostgresStore, tmp_path: Path
) -> None:
    # heartbeats every 0.5 s (5 ticks of 0.1 s), a node unheard for 1.5 s is gone, then the
    # 1 s grace a dropped console gets anywhere
    first, first_token = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    second, second_token = await make_agent(shared_store, "Chan")  # type: ignore[arg-type]
    rules = desk_rules(tmp_path, accept_timeout_s=30.0, presence_grace_s=1.0)
    async with (
        two_processes(database_url, redis_server, tmp_path, rules) as (doomed, survivor),
        aiohttp.ClientSession() as session,
    ):
        # both consoles stay referenced: a socket nothing refers to may be closed
        consoles = [
            await _console(session, doomed.url, first_token),
            await _console(session, survivor.url, second_token),
        ]
        await doomed.kill()

        async with asyncio.timeout(PROCESS_WAIT_S):
            while await _presence(shared_store, first.id) != "offline":
                await asyncio.sleep(0.1)
        still = await _presence(shared_store, second.id)

    assert still == "online" and not consoles[1].closed


async def test_an_agent_on_a_live_node_is_never_counted_gone_by_another(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_desk_node(), await make_desk_node()
    agent, token = await make_agent(shared_store, "Bora")  # type: ignore[arg-type]
    await AgentClient.join(here, token)
    await online_everywhere([there], agent.id)
    far = handoff_of(there)
    near_node = handoff_of(here).sync.node

    far.clock.advance(1000.0)  # type: ignore[attr-defined]  # long past every timeout
    now = far.clock()

    def heard_since_the_jump(service: Any) -> bool:
        heard = service.sync.nodes.get(near_node)
        return heard is not None and heard[0] == now and not service.board.in_grace(agent.id)

    await wait_for(there, heard_since_the_jump)
    assert far.sync.held_elsewhere(agent.id, now) is True
    assert far.board.presence[agent.id] == "online"


async def test_a_conversation_leaving_the_line_on_one_node_moves_places_told_on_another(
    make_desk_node: Node, shared_store: PostgresStore
) -> None:
    here, there = await make_desk_node(), await make_desk_node()
    agent, token = await make_agent(shared_store, "Bora", capacity=1)  # type: ignore[arg-type]
    console = await AgentClient.join(here, token)
    await online_everywhere([here, there], agent.id)
    first, second = await Customer.join(there), await Customer.join(there)
    await first.say("m1", "talk to a human")
    offer = await within(console.next_of("conversation.offered"))
    clock = handoff_of(there).clock
    assert isinstance(clock, Clock)  # every node's: a second later, behind the first
    clock.advance(1.0)
    await second.say("m1", "talk to a human")
    await within(second.next_of("queue.position", position=2))  # behind the offered one

    await console.accept(offer["conversation"])  # on the other node: the first leaves the line

    moved = await within(second.next_of("queue.position", position=1))
    assert moved["agents_online"] == 1
