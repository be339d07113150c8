"""Open-loop websocket load: `helpline serve` and a bare aiohttp echo server, same run.

Messages leave at Poisson times at a fixed offered rate, whatever the answers: a slow
answer does not delay the next message, and each latency is measured from the message's
*scheduled* send time to the end of its answer (Helpline's `typing.stop`, or an error frame
such as `rate_limited`; echo: the echoed frame). A closed loop hides a stall as fewer
messages sent ("coordinated omission"); here a stall shows as the latency its customers saw.

The arrivals are one Poisson stream dealt round-robin to `--sockets` open sockets (so each
socket sends about rate/sockets a second, under the per-connection frame rate a real
customer is held to), each message one of a fixed list of English and Korean support
questions. Helpline runs as a real `helpline serve` subprocess with the repository's
bot_rules copied to a temporary folder, the sentence encoders set to `none` unless
`--encoders` (the figure is the server's, not the models'), a fresh SQLite file, and the
per-address socket and new-conversation limits lifted (every simulated customer comes from
127.0.0.1). The echo server is `ws_load.py`'s. Each offered rate runs echo then Helpline,
on fresh sockets, one untimed warm-up second then `--seconds` timed; messages still
unanswered `--drain` seconds after the window count with the latency they had by then (a
lower bound) and are reported as unanswered. Server CPU per message is the server
process's user + system time from /proc over the window, per answer in the window. A
socket refused, or closed or reset by the server (a flood's 1008), is counted as "closed"
and what was scheduled on it stays unanswered: an overloaded server's figures, no crash.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_load import TEXTS, Server, _run  # noqa: E402
from ws_load import start_server as start_echo  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEVELS = (150, 300, 600, 1000)
WARM_S = 1.0
ROLES = ("echo", "helpline")
RUNNING = re.compile(r"running at http://[^:]+:(\d+)/")


# --- the servers -------------------------------------------------------------------


def bench_rules(source: Path, folder: str, encoders: bool) -> Path:
    """A copy of the rules with the sentence encoders off, unless asked to keep them."""
    rules = Path(folder) / "rules"
    shutil.copytree(source, rules)
    if not encoders:
        config = rules / "config.yaml"
        text = re.sub(r"(?m)^(\s+)(encoder|korean_encoder):\s*\S+", r"\1\2: none",
                      config.read_text(encoding="utf-8"))  # fmt: skip
        config.write_text(text, encoding="utf-8")
    return rules


async def start_helpline(rules: Path, database: str) -> Server:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--rules", str(rules),
        "--db", database, "--max-sockets-per-address", "1000000",
        "--max-new-conversations-per-minute", "1000000000",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 120)).decode()
        if not line:
            raise RuntimeError("helpline serve ended before it listened")
        if found := RUNNING.search(line):
            break
    return Server("helpline", process, f"http://127.0.0.1:{found[1]}/ws/customer", "uvloop")


async def stop_helpline(server: Server) -> None:
    server.process.terminate()
    await asyncio.wait_for(server.process.wait(), 30)


async def settle(server: Server, quiet_s: float = 0.5, limit_s: float = 30.0) -> None:
    """Wait until the server has used no CPU for `quiet_s` (the last level's backlog done)."""
    deadline = time.perf_counter() + limit_s
    last = server.cpu_s()[0]
    while time.perf_counter() < deadline:
        await asyncio.sleep(quiet_s)
        now = server.cpu_s()[0]
        if now - last < 0.02:
            return
        last = now


# --- the customers -----------------------------------------------------------------


@dataclass
class Level:
    """One offered rate against one server: the schedule's clock and what came back."""

    server: Server
    window: tuple[float, float]  # timed part, perf_counter seconds
    latencies: list[float] = field(default_factory=list)
    answered_in_window: int = 0
    refused: int = 0
    outstanding: int = 0
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    # answered in the window, per socket (to split them by the process that served each)
    by_socket: list[int] = field(default_factory=list)
    closed: int = 0  # sockets the server closed or reset before the level's end
    unsent: int = 0  # messages scheduled on such a socket: counted unanswered

    def answered(self, slot: int, scheduled: float, frame: str) -> None:
        now = time.perf_counter()
        start, end = self.window
        if start <= now < end:
            self.answered_in_window += 1
            self.by_socket[slot] += 1
        if start <= scheduled < end:
            self.latencies.append(now - scheduled)
            if '"type":"error"' in frame:
                self.refused += 1
        self.outstanding -= 1
        if self.outstanding == 0:
            self.idle.set()


def ends_answer(server: Server, frame: str) -> bool:
    if server.name == "echo":
        return True
    return '"typing.stop"' in frame or '"type":"error"' in frame


async def open_socket(
    session: aiohttp.ClientSession, server: Server
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(server.url, max_msg_size=0)
    hello = {"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"}
    await ws.send_str(json.dumps(hello))
    while True:  # Helpline greets (session.ready, then the greeting); echo sends hello back
        msg = await ws.receive()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket ended before the greeting: {msg.type.name}")
        if server.name == "echo" or '"greeting"' in msg.data:
            break
    return ws


async def read_answers(
    ws: aiohttp.ClientWebSocketResponse,
    slot: int,
    pending: collections.deque[float],
    level: Level,
) -> None:
    """A socket's answers come in the order its messages went: each ends the oldest one."""
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT and ends_answer(level.server, msg.data):
            level.answered(slot, pending.popleft(), msg.data)
    level.closed += 1  # before the level closed it: the server did (a flood, no pong)


async def send_schedule(
    sockets: list[aiohttp.ClientWebSocketResponse],
    queues: list[collections.deque[float]],
    level: Level,
    rate: float,
    rng: random.Random,
    distinct: bool,
) -> int:
    """Poisson arrivals from now to the window's end; a late send keeps its scheduled time."""
    scheduled, number = time.perf_counter(), 0
    while True:
        scheduled += rng.expovariate(rate)
        if scheduled >= level.window[1]:
            return number
        if (wait := scheduled - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        slot = number % len(sockets)
        text = TEXTS[(number // len(sockets) + slot) % len(TEXTS)]
        if distinct:  # spaces the matching ignores, and no cache of recent texts will hit
            text = " " * (number // 40 % 40) + text + " " * (number % 40)
        queues[slot].append(scheduled)
        level.outstanding += 1
        level.idle.clear()
        frame = {"type": "message.new", "id": f"m{number}", "text": text}
        number += 1
        if sockets[slot].closed:  # the server closed it: the message stays unanswered
            level.unsent += 1
            continue
        try:
            await sockets[slot].send_str(json.dumps(frame, ensure_ascii=False))
        except ConnectionError:  # reset under the writer (ClientConnectionResetError)
            level.unsent += 1


# Split: the client ports of the sockets in, a label each out (bench/workers.py: the worker
# holding its other end). Probe: named CPU counters (s), read at the window's ends.
Split = Callable[[list[int]], list[str]]
Probe = Callable[[], dict[str, float]]


async def open_sockets(
    session: aiohttp.ClientSession, server: Server, count: int
) -> tuple[list[aiohttp.ClientWebSocketResponse], int]:
    """The sockets that opened and were greeted, and how many did not (refused, reset):
    counted, not fatal, as at a rate the server or the listen backlog cannot keep up with."""
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    failed = 0
    for start in range(0, count, 50):  # in batches: the listen backlog is finite
        batch = min(50, count - start)
        opened = await asyncio.gather(*(open_socket(session, server) for _ in range(batch)),
                                      return_exceptions=True)  # fmt: skip
        for ws in opened:  # refused, reset, timed out (an OSError too): counted
            if not isinstance(ws, (aiohttp.ClientWebSocketResponse, OSError, aiohttp.ClientError)):
                raise ws  # a bug, or cancelled
        failed += sum(isinstance(ws, (OSError, aiohttp.ClientError)) for ws in opened)
        sockets += [ws for ws in opened if isinstance(ws, aiohttp.ClientWebSocketResponse)]
    if not sockets:
        raise ConnectionError(f"no socket to {server.url} opened ({failed} tried)")
    return sockets, failed


async def run_level(
    server: Server, rate: float, args: argparse.Namespace, *,
    split: Split | None = None, probe: Probe | None = None,
) -> dict[str, float]:  # fmt: skip
    await settle(server)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        sockets, refused_sockets = await open_sockets(session, server, args.sockets)
        labels = split([ws.get_extra_info("sockname")[1] for ws in sockets]) if split else []
        queues: list[collections.deque[float]] = [collections.deque() for _ in sockets]
        begin = time.perf_counter() + WARM_S
        level = Level(server, (begin, begin + args.seconds), by_socket=[0] * len(sockets))
        level.idle.set()
        readers = [asyncio.create_task(read_answers(ws, slot, q, level))
                   for slot, (ws, q) in enumerate(zip(sockets, queues, strict=True))]  # fmt: skip
        cpu: list[tuple[float, float]] = []
        probed: list[dict[str, float]] = []
        loop = asyncio.get_running_loop()

        def read_cpu() -> None:
            cpu.append((server.cpu_s()[0], time.process_time()))
            if probe is not None:
                probed.append(probe())

        for at in level.window:
            loop.call_at(loop.time() + at - time.perf_counter(), read_cpu)
        rng = random.Random(args.seed)
        sent = await send_schedule(sockets, queues, level, rate, rng, args.distinct)
        # at low rates the last arrival may come before the window's end: its CPU reading
        await asyncio.sleep(max(0.0, level.window[1] - time.perf_counter()) + 0.01)
        with contextlib.suppress(TimeoutError):  # what is still unanswered is counted below
            await asyncio.wait_for(level.idle.wait(), args.drain)
        cut = time.perf_counter()
        unanswered = [cut - t for q in queues for t in q if level.window[0] <= t]
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    row = summarise(level, cpu, sent, unanswered, args.seconds)
    row["closed"] = level.closed + refused_sockets
    return row | split_figures(level, labels, probed, args.seconds)


def split_figures(
    level: Level, labels: list[str], probed: list[dict[str, float]], seconds: float
) -> dict[str, float]:
    """Per label: sockets and answered/s; per probed counter: its seconds in the window."""
    row: dict[str, float] = {}
    for label, answered in zip(labels, level.by_socket if labels else [], strict=True):
        row[f"sockets:{label}"] = row.get(f"sockets:{label}", 0) + 1
        row[f"answered_s:{label}"] = row.get(f"answered_s:{label}", 0) + answered / seconds
    if len(probed) == 2:
        before, after = probed
        row |= {f"cpu_s:{name}": after[name] - before.get(name, 0.0) for name in after}
    return row


def summarise(
    level: Level,
    cpu: list[tuple[float, float]],
    sent: int,
    unanswered: list[float],
    seconds: float,
) -> dict[str, float]:
    latencies = sorted(level.latencies + unanswered)
    (server_0, client_0), (server_1, client_1) = cpu
    answers = max(level.answered_in_window, 1)
    return {
        "offered": sent,
        "answered_s": level.answered_in_window / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "cpu_ms": (server_1 - server_0) * 1000 / answers,
        "client_cpu_ms": (client_1 - client_0) * 1000 / answers,
        "unanswered": len(unanswered),
        "refused": level.refused,
    }


# --- the run -----------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    results: dict[int, dict[str, list[dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory(prefix="helpline-open-loop-") as folder:
        rules = bench_rules(Path(args.rules), folder, args.encoders)
        echo = await start_echo("echo", os.path.join(folder, "echo.db"), str(rules))
        helpline = await start_helpline(rules, os.path.join(folder, "helpline.db"))
        print(f"helpline serve pid {helpline.process.pid}", file=sys.stderr, flush=True)
        try:
            for rate in args.levels:
                results[rate] = {role: [] for role in ROLES}
                for _ in range(args.rounds):
                    for server in (echo, helpline):
                        row = await run_level(server, rate, args)
                        results[rate][server.name].append(row)
        finally:
            await echo.stop()
            await stop_helpline(helpline)
    print_table(results, args, time.perf_counter() - began)


def _medians(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def print_table(
    results: dict[int, dict[str, list[dict[str, float]]]],
    args: argparse.Namespace,
    elapsed_s: float,
) -> None:
    print(f"\n$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    texts = "distinct" if args.distinct else "repeated"
    print(f"open loop: Poisson arrivals over {args.sockets} sockets, {args.seconds:g} s timed "
          f"per level (+{WARM_S:g} s warm-up), {args.rounds} round(s), medians; encoders "
          f"{'on' if args.encoders else 'off'}; texts {texts}; {os.cpu_count()} cores; "
          f"total {elapsed_s:.0f} s")  # fmt: skip
    print(f"{'offered/s':>9} {'server':<9} {'answered/s':>10} {'p50 ms':>8} {'p99 ms':>9} "
          f"{'cpu ms/msg':>10} {'client ms':>9} {'unans.':>6} {'refused':>7} "
          f"{'closed':>6}")  # fmt: skip
    summary: dict[str, Any] = {"sockets": args.sockets, "seconds": args.seconds, "levels": {}}
    for rate, by_role in results.items():
        medians = {role: _medians(rows) for role, rows in by_role.items()}
        for role, r in medians.items():
            print(f"{rate:>9} {role:<9} {r['answered_s']:>10.0f} {r['p50_ms']:>8.2f} "
                  f"{r['p99_ms']:>9.2f} {r['cpu_ms']:>10.3f} {r['client_cpu_ms']:>9.3f} "
                  f"{int(r['unanswered']):>6} {int(r['refused']):>7} "
                  f"{int(r['closed']):>6}")  # fmt: skip
        echo, helpline = medians["echo"], medians["helpline"]
        ratios = {
            "answered": helpline["answered_s"] / max(echo["answered_s"], 1e-9),
            "cpu_per_msg": helpline["cpu_ms"] / max(echo["cpu_ms"], 1e-9),
        }
        print(f"{'':>9} {'ratio':<9} {ratios['answered']:>10.3f} {'':>8} {'':>9} "
              f"{ratios['cpu_per_msg']:>9.1f}x")  # fmt: skip
        summary["levels"][str(rate)] = {
            role: {k: round(v, 3) for k, v in r.items()} for role, r in medians.items()
        } | {"helpline_over_echo": {k: round(v, 3) for k, v in ratios.items()}}
    print(json.dumps(summary))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=8.0, help="timed part of each level")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS),
                        help="offered messages per second")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=1, help="echo/Helpline pairs per level")
    parser.add_argument("--drain", type=float, default=5.0,
                        help="seconds after the window to wait for the last answers")  # fmt: skip
    parser.add_argument("--rules", default=str(REPO / "bot_rules"), help="rules for Helpline")
    parser.add_argument("--encoders", action="store_true", help="keep the rules' sentence encoders")
    parser.add_argument("--distinct", action="store_true",
                        help="every message's text unique (padded with spaces)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=18, help="the arrival times' random seed")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    _run(lambda: main(arguments))
