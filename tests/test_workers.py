"""`helpline serve --workers 2` as real processes on SQLite: both workers serve the one
port, a handoff crosses workers, a worker killed with -9 loses nothing and comes back."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from conftest import Customer
from handoff_kit import AgentClient, make_agent
from helpline.cli import build_parser
from helpline.cli.workers import RestartPolicy, worker_command
from helpline.store import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90.0  # two workers loading the rules at once on two loaded cores
# a turn of a worker killed holding a conversation's lock keeps that conversation's next
# turn waiting until the lock expires (bus/redis_lock.py: 10 s)
WAIT_S = 30.0
PINNING_TRIES = 100  # fresh connections tried to reach a given worker (each is 1 in 2)


def node_rules(folder: Path) -> Path:
    """The repository's rules, always open (no business hours: an agent can take over at
    any time of day) and on words alone (two workers loading the encoders slow the start)."""
    rules = folder / "rules"
    shutil.copytree(REPO / "bot_rules", rules)
    config = rules / "config.yaml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^business_hours:.*?\n(?=\S)", "", text)
    text = re.sub(r"(?m)^(\s+)(encoder|korean_encoder):\s*\S+", r"\1\2: none", text)
    config.write_text(text, encoding="utf-8")
    return rules


class Node:
    """`helpline serve --workers 2` on a free port; its log kept in a file for a failure."""

    def __init__(self, folder: Path, rules: Path, workers: int = 2) -> None:
        self.database = folder / "node.db"
        self.log = folder / "node.log"
        self.args = [
            sys.executable, "-m", "helpline", "serve", "--workers", str(workers), "--port", "0",
            "--rules", str(rules), "--db", str(self.database),
        ]  # fmt: skip
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.args, stdout=asyncio.subprocess.PIPE, stderr=log
            )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT_S)
        found = re.search(rb"running at (http://\S+?)/? \(2 workers", line)
        assert found, (line, self.log.read_text())
        self.url = found.group(1).decode()

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def answering_pids(self, connections: int = 24) -> set[int]:
        """The processes that answered /healthz, each over a connection of its own."""
        pids = set()
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session:
            for _ in range(connections):
                async with session.get(f"{self.url}/healthz") as response:
                    assert response.status == 200
                    pids.add((await response.json())["pid"])
        return pids

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), WAIT_S)


class Pinned:
    """An HTTP session on one known worker: its websockets reuse the one keep-alive
    connection over which that worker answered /healthz (TCPConnector(limit=1))."""

    def __init__(self, session: aiohttp.ClientSession, url: str, connections: list[str]) -> None:
        self.session = session
        self.url = url
        self.connections = connections  # "new" / "reuse", as the session's trace saw them
        self.pid = 0
        self.customer: Customer | None = None  # a socket on it, kept as long as the session

    async def ws_connect(self, path: str, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
        ws = await self.session.ws_connect(f"{self.url}{path}", **kwargs)
        assert self.connections == ["new", "reuse"], "the socket is not on the pinned worker"
        return ws

    async def close(self) -> None:
        await self.session.close()


async def pinned(node: Node, to: int | None = None, avoid: int | None = None) -> Pinned:
    """A session on worker `to` (a pid), or on any worker but `avoid`, or on any worker."""
    for _ in range(PINNING_TRIES):
        connections: list[str] = []
        trace = aiohttp.TraceConfig()
        trace.on_connection_create_end.append(_noted(connections, "new"))
        trace.on_connection_reuseconn.append(_noted(connections, "reuse"))
        connector = aiohttp.TCPConnector(limit=1)
        session = aiohttp.ClientSession(connector=connector, trace_configs=[trace])
        candidate = Pinned(session, node.url, connections)
        async with session.get(f"{node.url}/healthz") as response:
            candidate.pid = (await response.json())["pid"]
        if (to is None or candidate.pid == to) and candidate.pid != avoid:
            return candidate
        await session.close()
    raise AssertionError(f"no connection reached the worker asked for in {PINNING_TRIES} tries")


def _noted(connections: list[str], what: str) -> Any:
    async def note(*_: Any) -> None:
        connections.append(what)

    return note


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    """Running (not gone, and not a zombie waiting for its parent to read its status)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[Node]:
    started = Node(tmp_path, node_rules(tmp_path))
    await started.start()
    yield started
    if started.process is not None and started.process.returncode is None:
        started.process.kill()
        await started.process.wait()


# --- the supervisor's decisions -----------------------------------------------------


def test_a_worker_dying_now_and_then_is_always_started_again() -> None:
    policy = RestartPolicy(max_restarts=5, window_s=60.0)
    deaths = [0.0, 61.0, 122.0, 183.0, 244.0, 305.0, 366.0]

    assert not policy.gives_up(deaths, 366.0)


def test_a_worker_dying_more_than_max_restarts_times_in_the_window_stops_the_node() -> None:
    policy = RestartPolicy(max_restarts=5, window_s=60.0)

    assert not policy.gives_up([1.0, 2.0, 3.0, 4.0, 5.0], 5.0)
    assert policy.gives_up([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 6.0)


def test_restart_delay_doubles_with_recent_deaths_up_to_its_cap() -> None:
    policy = RestartPolicy(first_delay_s=0.1, max_delay_s=1.0, window_s=60.0)

    delays = [policy.delay_s([0.0] * n, 1.0) for n in range(1, 7)]

    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_a_worker_gets_every_serve_option_but_the_supervisors_own() -> None:
    given = [
        "serve", "--workers", "2", "--port", "0", "--db", "x.db", "--host", "0.0.0.0",
        "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "192.168.0.0/16",
        "--allowed-origin", "https://desk.example.com", "--header-timeout", "7.5",
    ]  # fmt: skip
    args = build_parser().parse_args(given)

    command = worker_command(
        args, args.func.keywords["parser"], 41000, "unix:///r.sock", Path("/run/c.lock")
    )
    assert command[:3] == [sys.executable, "-m", "helpline"]
    again = build_parser().parse_args([*command[3:], "--supervisor-fd", "9"])

    decided = {"workers", "port", "redis", "supervisor_fd", "lock_file", "func"}
    assert {k: v for k, v in vars(again).items() if k not in decided} == {
        k: v for k, v in vars(args).items() if k not in decided
    }
    assert (again.workers, again.port, again.redis) == (1, 41000, "unix:///r.sock")
    assert again.lock_file == "/run/c.lock"


# --- the real thing -----------------------------------------------------------------


async def test_connections_to_the_one_port_are_dealt_to_both_workers(node: Node) -> None:
    pids = await node.answering_pids()

    assert len(pids) == 2
    assert {parent_of(pid) for pid in pids} == {node.pid}


async def test_customers_on_many_sockets_are_answered_by_both_workers(node: Node) -> None:
    sessions = [await pinned(node) for _ in range(12)]
    try:
        customers = [await Customer.join(s) for s in sessions]  # type: ignore[arg-type]
        for number, customer in enumerate(customers):
            await customer.next_of("message.new", kind="greeting")
            await customer.say(f"m{number}", "I forgot my password")
        answers = [await asyncio.wait_for(c.bot_reply(), WAIT_S) for c in customers]
    finally:
        for session in sessions:
            await session.close()

    assert {s.pid for s in sessions} == await node.answering_pids()
    assert all(answer["kind"] == "answer" for answer in answers)


async def test_an_agent_on_one_worker_takes_over_a_customer_on_the_other(
    tmp_path: Path,
) -> None:
    rules = node_rules(tmp_path)
    store = SQLiteStore(tmp_path / "node.db")
    await store.open()
    agent, token = await make_agent(store, "Bora")
    await store.close()
    node = Node(tmp_path, rules)
    await node.start()
    agents_worker = await pinned(node)
    customers_worker = await pinned(node, avoid=agents_worker.pid)
    try:
        console = await AgentClient.join(agents_worker, token)  # type: ignore[arg-type]
        customer = await Customer.join(customers_worker)  # type: ignore[arg-type]
        await customer.say("m1", "talk to a human")
        offer = await asyncio.wait_for(console.next_of("conversation.offered"), WAIT_S)
        await asyncio.wait_for(console.accept(offer["conversation"]), WAIT_S)
        await console.send({"type": "message.new", "conversation": offer["conversation"],
                            "id": "r1", "text": "Hello, I'm Bora."})  # fmt: skip
        reply = await asyncio.wait_for(customer.next_of("message.new", sender="agent"), WAIT_S)
    finally:
        await agents_worker.close()
        await customers_worker.close()
        assert await node.stop() == 0

    assert agents_worker.pid != customers_worker.pid
    assert offer["conversation"] == customer.ready["conversation"]
    assert reply["text"] == "Hello, I'm Bora."


async def test_a_worker_killed_mid_conversation_loses_nothing_and_is_started_again(
    node: Node,
) -> None:
    doomed = await pinned(node)
    try:
        tab = await Customer.join(doomed)  # type: ignore[arg-type]
        await tab.next_of("message.new", kind="greeting")
        await tab.say("m1", "I forgot my password")
        await asyncio.wait_for(tab.bot_reply(), WAIT_S)
        await tab.say("m2", "my card was declined")
        ack = await tab.next_of("message.ack", id="m2")
        os.kill(doomed.pid, signal.SIGKILL)  # right after the ack: m2's answer may not exist
    finally:
        await doomed.close()
    workers = await _until_restarted(node, doomed.pid)

    async with aiohttp.ClientSession() as session:
        back = await _rejoin(session, node, tab.ready["token"], ack["seq"])
        await back.say("m2", "my card was declined")
        resent = await asyncio.wait_for(back.next_of("message.ack", id="m2"), WAIT_S)
        await back.say("m3", "thanks")
        m3_ack = await asyncio.wait_for(back.next_of("message.ack", id="m3"), WAIT_S)
        await asyncio.wait_for(back.next_of("message.new", seq=m3_ack["seq"] + 1), WAIT_S)
        full = await _rejoin(session, node, tab.ready["token"], 0)
        await asyncio.wait_for(full.next_of("message.new", seq=m3_ack["seq"] + 1), WAIT_S)

    assert len(workers) == 2 and doomed.pid not in workers
    assert (resent["seq"], resent["duplicate"]) == (ack["seq"], True)
    transcript = [f for f in full.seen if f["type"] == "message.new"]
    assert [f["seq"] for f in transcript] == list(range(1, len(transcript) + 1))
    assert [f["client_id"] for f in transcript if f["sender"] == "customer"] == ["m1", "m2", "m3"]
    m3_seq = next(f["seq"] for f in transcript if f["client_id"] == "m3")
    between = [f["sender"] for f in transcript if ack["seq"] < f["seq"] < m3_seq]
    assert between == ["bot"]  # m2 answered exactly once, by one worker or the other
    assert await node.stop() == 0


async def _until_restarted(node: Node, dead: int) -> set[int]:
    """The two workers answering once the supervisor has replaced the dead one."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            pids = await node.answering_pids(8)
        except aiohttp.ClientError:  # a connection dealt to the dead worker's queue
            continue
        if len(pids) == 2 and dead not in pids:
            return pids
        await asyncio.sleep(0.2)  # the restart takes seconds; bounded by the deadline
    raise AssertionError("the killed worker was not replaced")


async def _rejoin(
    session: aiohttp.ClientSession, node: Node, token: str, last_seq: int
) -> Customer:
    tab = Customer(await session.ws_connect(f"{node.url}/ws/customer"))
    await tab.send({"type": "session.hello", "token": token, "last_seq": last_seq, "lang": "en"})
    tab.ready = await tab.next_of("session.ready")
    assert tab.ready["resumed"] is True
    return tab


async def test_sigterm_stops_every_worker_closing_sockets_with_going_away(node: Node) -> None:
    workers = await node.answering_pids()
    async with aiohttp.ClientSession() as session:
        tab = await _customer(session, node)
        os.kill(node.pid, signal.SIGTERM)
        code = await tab.closed()
        status = await node.stop()

    assert code == aiohttp.WSCloseCode.GOING_AWAY and status == 0
    assert not [pid for pid in workers if alive(pid)]


async def _customer(session: aiohttp.ClientSession, node: Node) -> Customer:
    tab = Customer(await session.ws_connect(f"{node.url}/ws/customer"))
    await tab.send({"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"})
    tab.ready = await tab.next_of("session.ready")
    return tab


async def test_workers_that_cannot_start_stop_the_node_with_their_status(tmp_path: Path) -> None:
    rules = node_rules(tmp_path)
    (rules / "intents" / "broken.yaml").write_text("intents: [ {name: \n", encoding="utf-8")
    node = Node(tmp_path, rules)
    with node.log.open("ab") as log:
        process = await asyncio.create_subprocess_exec(*node.args, stderr=log)
    status = await asyncio.wait_for(process.wait(), START_TIMEOUT_S)

    assert status == 1
    assert "broken.yaml" in node.log.read_text()


async def test_killing_the_supervisor_stops_its_workers(node: Node) -> None:
    workers = await node.answering_pids()
    assert node.process is not None

    node.process.kill()
    await node.process.wait()
    deadline = time.monotonic() + WAIT_S
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # each worker stops gracefully, seeing its link close

    assert not [pid for pid in workers if alive(pid)]


def test_serve_refuses_fewer_than_one_worker(capsys: pytest.CaptureFixture[str]) -> None:
    from helpline.cli import main

    assert main(["serve", "--workers", "0"]) == 2
    assert "'--workers': must be 1 or more, not 0" in capsys.readouterr().err


def test_serve_refuses_more_workers_than_their_own_redis_can_map(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from helpline.cli import main

    assert main(["serve", "--workers", "17", "--port", "0"]) == 2
    assert "--workers: at most 16 with the workers' own Redis" in capsys.readouterr().err
