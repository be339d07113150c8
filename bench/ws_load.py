"""Websocket load: Helpline's round trip next to a bare aiohttp echo server, same run.

    .venv/bin/python bench/ws_load.py [--customers 50] [--seconds 8] [--rounds 3] [--idle 500]

Each server runs in its own subprocess (uvloop when installed; each server reports its
loop), the simulated customers in this process, all on loopback. A customer holds short
conversations one after another (connect, hello, 10 messages, close): it sends a message
and waits for the end of the answer (Helpline: the bot's `typing.stop`, after its reply;
echo: the echoed frame), then sends the next. Only message round trips are counted;
connects and hellos are part of the load for both servers. Helpline runs with the repo's
bot_rules/ on a fresh SQLite file, with the per-connection rate limit lifted (a real
customer sends far below it; here each customer sends as fast as it is answered).

A noisy machine moves both servers' figures from one second to the next, so the phases
alternate (echo, Helpline, echo, Helpline, ...) for `--rounds` rounds and the table gives
each round and the medians; the ratio is taken per round, then its median. Server CPU per
round trip (whole process, and its event-loop thread alone) comes from /proc and is the
figure least moved by other load; the load generator's own CPU per trip is shown too (on
2 cores it competes with the server). Then `--idle` sockets are opened on fresh servers,
greeted and left idle to measure the server's memory per connection (RSS from /proc).
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
    from helpline.settings import ConnectionLimits, Limits, Settings
    from helpline.web.app import create_app

    unlimited = Limits(rate_per_s=1e9, burst=10**9, flood_strikes=10**9)
    # every simulated customer comes from 127.0.0.1: lift the per-address limits too
    one_address = ConnectionLimits(sockets_per_address=10**6, new_conversations_per_minute=10**9)
    settings = Settings(
        rules_dir=Path(rules), database_url=database, limits=unlimited,
        connections=one_address, reload_interval_s=0,
    )  # fmt: skip
    return create_app(settings, rulebook=load_rulebook(settings.rules_dir))


async def _serve(role: str, database: str, rules: str) -> None:
    app = _echo_app() if role == "echo" else _helpline_app(database, rules)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    print(f"PORT {port} {loop}", flush=True)
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
    loop: str

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_s(self) -> tuple[float, float]:
        """CPU seconds used so far: (whole process, its main thread, i.e. the event loop)."""
        pid = self.process.pid
        return _stat_cpu_s(f"/proc/{pid}/stat"), _stat_cpu_s(f"/proc/{pid}/task/{pid}/stat")

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        await asyncio.wait_for(self.process.wait(), 10)


def _stat_cpu_s(path: str) -> float:
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


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
    _, port, loop = line.split()
    return Server(role, process, f"http://127.0.0.1:{port}/ws/customer", loop)


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
    ws: aiohttp.ClientWebSocketResponse,
    done: Callable[[dict[str, Any]], bool],
    hint: str = "",  # text the awaited frame contains: other frames are not parsed
) -> None:
    """Read until done(frame); the client shares the machine, so it parses no more than it
    must (the figure is the server's)."""
    while True:
        msg = await ws.receive()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket ended: {msg.type.name} {ws.close_code}")
        if hint in msg.data and done(json.loads(msg.data)):
            return


ROLES = ("echo", "helpline")
WARM_S = 1.0  # untimed start of each phase: connections opened, caches warm
Rounds = dict[str, list[dict[str, float]]]  # role -> one row of figures per round


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

    @property
    def hint(self) -> str:
        return "" if self.server.name == "echo" else '"typing.stop"'


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
            await read_until(ws, run.done, run.hint)
            if start >= run.warm_until:
                run.rtts.append(time.perf_counter() - start)
            sent += 1
        await ws.close()


async def load_phase(server: Server, args: argparse.Namespace) -> dict[str, float]:
    """One timed phase against one server; CPU is read at the window's two ends."""
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        run = Run(server, session, start + WARM_S, start + WARM_S + args.seconds,
                  args.per_conversation, [])  # fmt: skip
        cpu: list[tuple[float, float, float]] = []
        for at in (run.warm_until, run.until):
            loop.call_later(at - start, lambda: cpu.append((*server.cpu_s(), time.process_time())))
        await asyncio.gather(*(customer(run, n) for n in range(args.customers)))
    rtts = sorted(run.rtts)
    (process_0, main_0, client_0), (process_1, main_1, client_1) = cpu
    return {
        "messages_s": len(rtts) / args.seconds,
        "p50_ms": statistics.median(rtts) * 1000,
        "p99_ms": rtts[int(len(rtts) * 0.99)] * 1000,
        "count": len(rtts),
        "conversations": run.conversations,
        "cpu_ms": (process_1 - process_0) * 1000 / len(rtts),
        "loop_cpu_ms": (main_1 - main_0) * 1000 / len(rtts),
        "client_cpu_ms": (client_1 - client_0) * 1000 / len(rtts),
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


async def measure_idle(role: str, args: argparse.Namespace, folder: str) -> float:
    server = await start_server(role, os.path.join(folder, f"{role}-idle.db"), args.rules)
    try:
        return await idle_phase(server, args.idle)
    finally:
        await server.stop()


async def measure_load(args: argparse.Namespace, folder: str) -> tuple[Rounds, dict[str, str]]:
    """Alternating phases, servers kept up between rounds (their warm-up is paid once)."""
    servers = {
        role: await start_server(role, os.path.join(folder, f"{role}-load.db"), args.rules)
        for role in ROLES
    }
    rounds: Rounds = {role: [] for role in ROLES}
    try:
        for _ in range(args.rounds):
            for role in ROLES:
                rounds[role].append(await load_phase(servers[role], args))
    finally:
        for server in servers.values():
            await server.stop()
    return rounds, {role: server.loop for role, server in servers.items()}


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as folder:
        rounds, loops = await measure_load(args, folder)
        idle = {role: await measure_idle(role, args, folder) for role in ROLES}
    print_table(rounds, idle, loops, args, time.perf_counter() - began)


def _median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def print_table(
    rounds: Rounds,
    idle: dict[str, float],
    loops: dict[str, str],
    args: argparse.Namespace,
    elapsed_s: float,
) -> None:
    print(f"\n$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"websocket load: {args.customers} customers, {args.rounds} rounds of {args.seconds:g} s "
          f"per server (+{WARM_S:g} s warm-up each), {args.per_conversation} messages per "
          f"conversation, loopback, {os.cpu_count()} cores, server loops "
          f"{', '.join(f'{r}={loop}' for r, loop in loops.items())}")  # fmt: skip
    print(f"{'server':<9} {'round':>5} {'trips':>7} {'msgs/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'cpu ms/trip':>11} {'loop ms/trip':>12} {'client ms/trip':>14}")  # fmt: skip
    for role in ROLES:
        rows = rounds[role]
        labelled = [(str(n), row) for n, row in enumerate(rows, 1)]
        median = {k: _median(rows, k) for k in rows[0]}
        for label, r in [*labelled, ("med", median)]:
            print(f"{role:<9} {label:>5} {int(r['count']):>7} {r['messages_s']:>7.0f} "
                  f"{r['p50_ms']:>7.2f} {r['p99_ms']:>7.2f} {r['cpu_ms']:>11.3f} "
                  f"{r['loop_cpu_ms']:>12.3f} {r['client_cpu_ms']:>14.3f}")  # fmt: skip
    ratios = [h["messages_s"] / e["messages_s"] for e, h in zip(*rounds.values(), strict=True)]
    cpu_ratio = _median(rounds["echo"], "cpu_ms") / _median(rounds["helpline"], "cpu_ms")
    print(f"helpline / echo messages/s: median {statistics.median(ratios):.3f} "
          f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)}); "
          f"echo / helpline CPU per trip: {cpu_ratio:.3f}")  # fmt: skip
    print(
        f"KiB per idle socket ({args.idle} sockets): "
        f"{', '.join(f'{r} {kib:.1f}' for r, kib in idle.items())}; total {elapsed_s:.0f} s"
    )
    summary = {
        "ratio": round(statistics.median(ratios), 4),
        "cpu_ratio": round(cpu_ratio, 4),
        **{r: {k: round(_median(rows, k), 3) for k in rows[0]} for r, rows in rounds.items()},
        "idle_kib": {r: round(kib, 1) for r, kib in idle.items()},
    }
    print(json.dumps(summary))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=8.0, help="timed load per phase")
    parser.add_argument("--rounds", type=int, default=3, help="echo/Helpline phase pairs")
    parser.add_argument("--per-conversation", type=int, default=10, help="messages, then a new one")
    parser.add_argument("--idle", type=int, default=500, help="idle sockets for the memory figure")
    parser.add_argument("--rules", default=str(REPO / "bot_rules"), help="rules for Helpline")
    parser.add_argument("--serve", choices=("echo", "helpline"), help=argparse.SUPPRESS)
    parser.add_argument("--db", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.idle < 1:  # the figure is RSS growth per socket: none opened is no figure
        parser.error("--idle must be 1 or more (bench/idle_sockets.py measures memory at scale)")
    return args


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve:
        _run(lambda: _serve(arguments.serve, arguments.db, arguments.rules))
    else:
        _run(lambda: main(arguments))
