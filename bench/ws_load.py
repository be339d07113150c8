"""Websocket load: Helpline's round trip next to a bare aiohttp echo server, same run.

    .venv/bin/python bench/ws_load.py [--customers 50] [--seconds 10] [--idle 500]

Each server runs in its own subprocess (uvloop when installed), the simulated customers in
this process, all on loopback. A customer holds short conversations one after another
(connect, hello, 10 messages, close): it sends a message and waits for the end of the
answer (Helpline: the bot's `typing.stop`, after its reply; echo: the echoed frame), then
sends the next. Only message round trips are counted; connects and hellos are part of the
load for both servers. Helpline runs with the repo's bot_rules/ on a fresh SQLite file,
with the per-connection rate limit lifted (a real customer sends far below it; here each
customer sends as fast as it is answered). Then `--idle` sockets are opened, greeted and
left idle to measure the server's memory per connection (RSS from /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parents[1]
TEXTS = (
    "I forgot my password", "my card was declined", "how do I cancel my subscription",
    "video keeps buffering", "can I download movies", "비밀번호를 잊어버렸어요",
    "결제가 안돼요", "요금제 변경하고 싶어요", "how many screens can I watch on", "change my plan",
    "앱이 안 열려요", "add a profile for my kid", "why was I charged twice",
    "is there a student discount", "자막이 안 나와요", "log out of all devices",
)  # fmt: skip


# --- the servers (run as subprocesses of this script) ------------------------------


async def _echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(max_msg_size=64 * 1024)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws


def _echo_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/ws/customer", _echo)
    return app


def _helpline_app(database: str, rules: str) -> web.Application:
    from helpline.rules import load_rulebook
    from helpline.settings import Limits, Settings
    from helpline.web.app import create_app

    unlimited = Limits(rate_per_s=1e9, burst=10**9, flood_strikes=10**9)
    settings = Settings(
        rules_dir=Path(rules), database_url=database, limits=unlimited,
        reload_interval_s=0,
    )  # fmt: skip
    return create_app(settings, rulebook=load_rulebook(settings.rules_dir))


async def _serve(role: str, database: str, rules: str) -> None:
    app = _echo_app() if role == "echo" else _helpline_app(database, rules)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"PORT {port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until parent closes
    await runner.cleanup()


def _run(coro_factory: Callable[[], Any]) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro_factory())
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coro_factory())


# --- the customers ---------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: asyncio.subprocess.Process
    url: str

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 10)


async def start_server(role: str, database: str, rules: str) -> Server:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", role, "--db", database, "--rules", rules,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    if not line.startswith("PORT "):
        raise RuntimeError(f"{role} server did not start: {line!r}")
    return Server(role, process, f"http://127.0.0.1:{line.split()[1]}/ws/customer")


async def open_customer(
    session: aiohttp.ClientSession, server: Server
) -> aiohttp.ClientWebSocketResponse:
    """Connect and say hello; Helpline answers with session.ready and the greeting."""
    ws = await session.ws_connect(server.url, max_msg_size=0)
    hello = {"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"}
    await ws.send_str(json.dumps(hello))
    await read_until(ws, lambda f: server.name == "echo" or f.get("kind") == "greeting")
    return ws


async def read_until(
    ws: aiohttp.ClientWebSocketResponse, done: Callable[[dict[str, Any]], bool]
) -> None:
    while True:
        msg = await ws.receive()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket ended: {msg.type.name} {ws.close_code}")
        if done(json.loads(msg.data)):
            return


@dataclass
class Run:
    """One phase's clock and results, shared by its customers."""

    server: Server
    session: aiohttp.ClientSession
    warm_until: float
    until: float
    per_conversation: int
    rtts: list[float]
    conversations: int = 0

    def done(self, frame: dict[str, Any]) -> bool:
        return self.server.name == "echo" or frame.get("type") == "typing.stop"


async def customer(run: Run, number: int) -> None:
    """Short conversations, one after another: hello, a few messages, goodbye."""
    sent = 0
    while time.perf_counter() < run.until:
        ws = await open_customer(run.session, run.server)
        run.conversations += 1
        for _ in range(run.per_conversation):
            if (start := time.perf_counter()) >= run.until:
                break
            text = TEXTS[(number + sent) % len(TEXTS)]
            frame = {"type": "message.new", "id": f"c{number}-{sent}", "text": text}
            await ws.send_str(json.dumps(frame, ensure_ascii=False))
            await read_until(ws, run.done)
            if start >= run.warm_until:
                run.rtts.append(time.perf_counter() - start)
            sent += 1
        await ws.close()


async def load_phase(server: Server, args: argparse.Namespace) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        warm = 1.0
        run = Run(server, session, start + warm, start + warm + args.seconds,
                  args.per_conversation, [])  # fmt: skip
        await asyncio.gather(*(customer(run, n) for n in range(args.customers)))
    rtts = sorted(run.rtts)
    return {
        "messages_s": len(rtts) / args.seconds,
        "p50_ms": statistics.median(rtts) * 1000,
        "p99_ms": rtts[int(len(rtts) * 0.99)] * 1000,
        "count": len(rtts),
        "conversations": run.conversations,
    }


async def idle_phase(server: Server, sockets: int) -> float:
    """KiB of server RSS per idle connection (a Helpline one has said hello and been greeted)."""
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        before = server.rss_kib()
        opened = []
        for start in range(0, sockets, 50):  # in batches: the listen backlog is finite
            batch = min(50, sockets - start)
            opened += await asyncio.gather(*(open_customer(session, server) for _ in range(batch)))
        after = server.rss_kib()
        await asyncio.gather(*(ws.close() for ws in opened))
    return (after - before) / sockets


async def measure(role: str, args: argparse.Namespace, folder: str) -> dict[str, float]:
    server = await start_server(role, os.path.join(folder, f"{role}-load.db"), args.rules)
    try:
        figures = await load_phase(server, args)
    finally:
        await server.stop()
    server = await start_server(role, os.path.join(folder, f"{role}-idle.db"), args.rules)
    try:
        figures["idle_kib"] = await idle_phase(server, args.idle)
    finally:
        await server.stop()
    return figures


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as folder:
        results = {role: await measure(role, args, folder) for role in ("echo", "helpline")}
    print_table(results, args)


def print_table(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    print(f"\nwebsocket load: {args.customers} customers, {args.seconds:g} s per server "
          f"(+1 s warm-up), {args.per_conversation} messages per conversation, loopback, {loop}, "
          f"{os.cpu_count()} cores, rules {args.rules}")  # fmt: skip
    print(f"{'server':<10} {'round trips':>11} {'msgs/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'KiB/idle socket':>16}")  # fmt: skip
    for role, r in results.items():
        print(f"{role:<10} {int(r['count']):>11} {r['messages_s']:>9.0f} {r['p50_ms']:>8.2f} "
              f"{r['p99_ms']:>8.2f} {r['idle_kib']:>16.1f}")  # fmt: skip
    ratio = results["helpline"]["messages_s"] / results["echo"]["messages_s"]
    print(f"helpline / echo messages/s: {ratio:.3f}  (idle sockets measured: {args.idle})")
    figures = {role: {k: round(v, 3) for k, v in r.items()} for role, r in results.items()}
    print(json.dumps({"ratio": round(ratio, 4), **figures}))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--per-conversation", type=int, default=10, help="messages, then a new one")
    parser.add_argument("--idle", type=int, default=500, help="idle sockets for the memory figure")
    parser.add_argument("--rules", default=str(REPO / "bot_rules"), help="rules for Helpline")
    parser.add_argument("--serve", choices=("echo", "helpline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", default="", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve:
        _run(lambda: _serve(arguments.serve, arguments.db, arguments.rules))
    else:
        _run(lambda: main(arguments))
