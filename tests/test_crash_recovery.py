"""A real `helpline serve` killed with SIGKILL mid-conversation loses nothing acknowledged:
a node of one process, and a node of two workers (`--workers 2`) killed whole."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from helpline.store import SQLiteStore

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60.0  # two workers loading the rules at once on two loaded cores
WAIT_S = 5.0


class Server:
    """A `helpline serve` subprocess on a free port (it prints the URL once listening)."""

    def __init__(self, database: Path, workers: int = 1) -> None:
        self.database = database
        self.workers = workers
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "helpline", "serve", "--port", "0",
            "--rules", str(REPO / "bot_rules"), "--db", str(self.database),
            "--workers", str(self.workers),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT_S)
        found = re.search(rb"running at (http://\S+?)/? ", line)
        assert found, line
        self.url = found.group(1).decode()
        await self.wait_healthy()

    async def wait_healthy(self) -> None:
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(START_TIMEOUT_S):
                while True:
                    try:
                        async with session.get(f"{self.url}/healthz") as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientConnectionError:
                        pass
                    await asyncio.sleep(0.05)  # poll interval, bounded by the timeout above

    async def kill(self) -> None:
        """SIGKILL to the node's every process: with workers, the supervisor and then, before
        they could notice it gone and stop cleanly, each of its workers."""
        assert self.process is not None
        children = _children(self.process.pid)
        self.process.send_signal(signal.SIGKILL)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await asyncio.wait_for(self.process.wait(), WAIT_S)

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), WAIT_S)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(child) for child in children.read().split()]


class Tab:
    """A customer websocket, frames collected in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []

    async def next_of(self, frame_type: str, /, **fields: Any) -> dict[str, Any]:
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), WAIT_S)
            assert msg.type is aiohttp.WSMsgType.TEXT, msg
            frame: dict[str, Any] = json.loads(msg.data)
            self.frames.append(frame)
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in fields.items()):
                return frame

    async def say(self, client_id: str, text: str) -> None:
        await self.ws.send_str(json.dumps({"type": "message.new", "id": client_id, "text": text}))

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if f["type"] == "message.new"]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture(params=[1, 2], ids=["one process", "two workers"])
async def server(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Server]:
    started = Server(tmp_path / "crash.db", request.param)
    await started.start()
    yield started
    if started.process and started.process.returncode is None:
        started.process.kill()
        await started.process.wait()


async def connect(
    session: aiohttp.ClientSession, server: Server, token: str | None, last_seq: int
) -> tuple[Tab, dict[str, Any]]:
    tab = Tab(await session.ws_connect(f"{server.url}/ws/customer"))
    hello = {"type": "session.hello", "token": token, "last_seq": last_seq, "lang": "en"}
    await tab.ws.send_str(json.dumps(hello))
    return tab, await tab.next_of("session.ready")


async def test_kill_9_after_an_ack_loses_nothing_and_a_resend_is_not_doubled(
    server: Server, session: aiohttp.ClientSession
) -> None:
    tab, ready = await connect(session, server, None, 0)
    await tab.say("m1", "I forgot my password")
    await tab.next_of("message.new", sender="bot", kind="answer")
    await tab.say("m2", "my card was declined")
    ack = await tab.next_of("message.ack", id="m2")
    before = tab.seqs()
    await server.kill()  # right after the ack: the answer to m2 may or may not exist yet

    await server.start()
    back, again = await connect(session, server, ready["token"], before[-1])
    await back.say("m2", "my card was declined")
    resent = await back.next_of("message.ack", id="m2")
    await back.say("m3", "thanks")
    m3_ack = await back.next_of("message.ack", id="m3")
    await back.next_of("message.new", sender="bot", kind="answer")
    await back.ws.close()
    full, _ = await connect(session, server, ready["token"], 0)
    # the answer to m3 (m2's answer is stored before or after the kill: seqs differ)
    await full.next_of("message.new", seq=m3_ack["seq"] + 1)
    await full.ws.close()

    assert again["resumed"] is True and again["conversation"] == ready["conversation"]
    assert (resent["seq"], resent["duplicate"]) == (ack["seq"], True)
    transcript = [f for f in full.frames if f["type"] == "message.new"]
    assert [f["seq"] for f in transcript] == list(range(1, len(transcript) + 1))
    customer_ids = [f["client_id"] for f in transcript if f["sender"] == "customer"]
    assert customer_ids == ["m1", "m2", "m3"]
    m3_seq = next(f["seq"] for f in transcript if f["client_id"] == "m3")
    between = [f["sender"] for f in transcript if ack["seq"] < f["seq"] < m3_seq]
    assert between == ["bot"]  # m2 was answered exactly once, before or after the crash
    assert await server.stop() == 0


async def test_message_stored_but_unanswered_at_the_kill_is_answered_on_reconnect(
    server: Server, session: aiohttp.ClientSession
) -> None:
    tab, ready = await connect(session, server, None, 0)
    await tab.next_of("message.new", kind="greeting")
    await server.kill()
    # What a crash between "stored and acknowledged" and "answered" leaves behind:
    store = SQLiteStore(server.database)
    await store.open()
    stored = await store.append_customer_message(
        ready["conversation"], "m1", {"text": "how do I cancel my subscription"}, time.time()
    )
    await store.close()

    await server.start()
    back, _ = await connect(session, server, ready["token"], stored.message.seq)
    answer = await back.next_of("message.new", sender="bot")
    await back.ws.close()

    assert answer["seq"] == stored.message.seq + 1
    assert answer["kind"] != "greeting"
    assert await server.stop() == 0


async def test_sigterm_closes_open_sockets_with_going_away(
    server: Server, session: aiohttp.ClientSession
) -> None:
    tab, _ = await connect(session, server, None, 0)

    assert server.process is not None
    os.kill(server.process.pid, signal.SIGTERM)
    while True:
        msg = await asyncio.wait_for(tab.ws.receive(), WAIT_S)
        if msg.type is aiohttp.WSMsgType.CLOSE:
            break

    assert msg.data == aiohttp.WSCloseCode.GOING_AWAY
    assert await asyncio.wait_for(server.process.wait(), WAIT_S) == 0
