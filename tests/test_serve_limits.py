"""A real `helpline serve` against slow-header clients and descriptor exhaustion: the
limits that only the process as a whole has (its listening socket, its RLIMIT_NOFILE)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import resource
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "tests" / "browser" / "rules"  # small: the server starts in a second or two
START_TIMEOUT_S = 30.0
WAIT_S = 5.0
HELLO = {"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"}


class Server:
    """`helpline serve` on a free port with these extra arguments (and descriptor limit)."""

    def __init__(self, database: Path, args: list[str], nofile: int | None = None) -> None:
        self.database, self.args, self.nofile = database, args, nofile
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""
        self.port = 0

    def _limit(self) -> Callable[[], None] | None:
        if self.nofile is None:
            return None
        nofile = self.nofile
        return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "helpline", "serve", "--port", "0",
            "--rules", str(RULES), "--db", str(self.database),
            *self.args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=self._limit(),
        )  # fmt: skip
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), START_TIMEOUT_S)
        found = re.search(rb"running at (http://\S+?):(\d+)/? ", line)
        assert found, line
        self.port = int(found.group(2))
        self.url = f"{found.group(1).decode()}:{self.port}"

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), WAIT_S * 2)


@contextlib.asynccontextmanager
async def running(tmp_path: Path, *args: str, nofile: int | None = None) -> AsyncIterator[Server]:
    server = Server(tmp_path / "helpline.db", list(args), nofile)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def health(http: aiohttp.ClientSession, server: Server) -> tuple[int, dict[str, object]]:
    async with http.get(f"{server.url}/healthz") as response:
        return response.status, await response.json()


def opened_below(health: tuple[int, dict[str, object]], count: int) -> bool:
    descriptors = health[1]["descriptors"]
    assert isinstance(descriptors, dict)
    return health[0] == 200 and descriptors["open"] < count


async def test_a_client_that_never_finishes_its_headers_is_closed_after_the_header_timeout(
    tmp_path: Path,
) -> None:
    async with running(tmp_path, "--header-timeout", "1") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        opened = time.monotonic()

        async def dribble() -> None:  # one header byte at a time, never the blank line
            with contextlib.suppress(ConnectionError):
                while True:
                    writer.write(b"X")
                    await writer.drain()
                    await asyncio.sleep(0.2)  # the client's pace, not a wait for the server

        dribbling = asyncio.create_task(dribble())
        try:
            answer = await asyncio.wait_for(reader.read(), WAIT_S)
        finally:
            dribbling.cancel()
            writer.close()
        held_s = time.monotonic() - opened

    assert answer == b""  # closed without a response: no request was ever complete
    assert 0.8 <= held_s < 4.0


async def test_a_complete_request_is_answered_under_a_short_header_timeout(
    tmp_path: Path,
) -> None:
    async with (
        running(tmp_path, "--header-timeout", "1") as server,
        aiohttp.ClientSession() as http,
    ):
        status, body = await health(http, server)

    assert status == 200 and body["status"] == "ok"


async def test_a_websocket_outlives_the_header_timeout(tmp_path: Path) -> None:
    async with (
        running(tmp_path, "--header-timeout", "0.5") as server,
        aiohttp.ClientSession() as http,
    ):
        customer = await http.ws_connect(f"{server.url}/ws/customer")
        await customer.send_str(json.dumps(HELLO))
        ready = await asyncio.wait_for(customer.receive_json(), WAIT_S)
        await asyncio.sleep(1.5)  # three header timeouts pass while the socket is open
        await customer.send_str(json.dumps({"type": "ping"}))
        frames = [await asyncio.wait_for(customer.receive_json(), WAIT_S) for _ in range(2)]
        await customer.close()

    assert ready["type"] == "session.ready"
    assert "pong" in [f["type"] for f in frames]  # after the greeting, the ping's answer


async def test_sockets_past_the_descriptor_head_room_get_503_and_the_node_recovers(
    tmp_path: Path,
) -> None:
    args = ("--fd-reserve", "40", "--max-sockets-per-address", "1000")
    async with running(tmp_path, *args, nofile=160) as server:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            held: list[aiohttp.ClientWebSocketResponse] = []
            refusal = None
            for _ in range(160):  # more than the node's whole limit
                try:
                    held.append(await http.ws_connect(f"{server.url}/ws/customer"))
                except aiohttp.WSServerHandshakeError as exc:
                    refusal = exc
                    break
            during = await health(http, server)
            for socket in held:
                await socket.close()
            async with asyncio.timeout(WAIT_S):
                after = await health(http, server)
                while not opened_below(after, 100):  # until the node has closed its ends
                    after = await health(http, server)
            customer = await http.ws_connect(f"{server.url}/ws/customer")
            await customer.send_str(json.dumps(HELLO))
            ready = await asyncio.wait_for(customer.receive_json(), WAIT_S)
            await customer.close()
        assert server.process is not None and server.process.returncode is None

    assert refusal is not None and refusal.status == 503
    assert 60 <= len(held) < 120  # 160 - 40 kept free, less what the node itself has open
    status, body = during
    descriptors = body["descriptors"]
    assert status == 503 and body["status"] == "degraded"
    assert isinstance(descriptors, dict) and descriptors["refusing"] is True
    assert descriptors["limit"] == 160 and descriptors["reserve"] == 40
    assert descriptors["open"] >= 115  # refused at the line, not well before it
    assert after[0] == 200 and ready["type"] == "session.ready"


async def test_connections_that_send_nothing_cannot_use_up_the_descriptor_reserve(
    tmp_path: Path,
) -> None:
    args = ("--fd-reserve", "40", "--header-timeout", "60")
    async with running(tmp_path, *args, nofile=160) as server:
        silent: list[asyncio.StreamWriter] = []
        answer = b""
        for _ in range(160):  # more than the node's whole limit, none ever sends a request
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            silent.append(writer)
            with contextlib.suppress(TimeoutError):  # a taken connection answers nothing
                answer = await asyncio.wait_for(reader.read(200), 0.05)
            if answer:
                break
        try:
            async with aiohttp.ClientSession() as http:
                during = await health(http, server)
                for writer in silent:
                    writer.close()
                after = None
                async with asyncio.timeout(WAIT_S):
                    while after is None or after[0] != 200:  # until the node closed its ends
                        after = await health(http, server)
        finally:
            for writer in silent:
                writer.close()
        assert server.process is not None and server.process.returncode is None

    assert answer.startswith(b"HTTP/1.1 503 ")
    assert 60 <= len(silent) < 125  # as above: the line, less what the node has open
    assert during[0] == 503 and during[1]["status"] == "degraded"
    assert after[1]["status"] == "ok"


async def test_a_reserve_above_the_descriptor_limit_stops_the_start_naming_the_setting(
    tmp_path: Path,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--rules", str(RULES),
        "--db", str(tmp_path / "helpline.db"), "--fd-reserve", "500",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256)),
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT_S)

    assert process.returncode != 0
    assert b"connections.fd_reserve" in err and b"256" in err


@pytest.mark.parametrize("flag", ["--max-sockets-per-address", "--fd-reserve"])
async def test_a_zero_limit_on_the_command_line_exits_2_naming_it(
    tmp_path: Path, flag: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--rules", str(RULES),
        "--db", str(tmp_path / "helpline.db"), flag, "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT_S)

    assert process.returncode == 2
    assert b"must be positive" in err
