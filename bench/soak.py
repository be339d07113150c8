"""Soak: one healthy customer's reply time, alone and beside hostile clients, same run.

    .venv/bin/python bench/soak.py [--seconds 20] [--flooders 10] [--idlers 300]
                                   [--oversized 10] [--slow-headers 100] [--rules bot_rules]

A real `helpline serve` (default limits) runs on 127.0.0.1. The healthy customer connects
from 127.0.0.2 and asks a question every 0.25 s (inside the frame rate), timing each
message to the bot's answer. The attackers run in a subprocess of their own (so their CPU
is not the healthy client's), all from 127.0.0.1:

- flooders: hello, then messages as fast as the socket takes them (rate_limited, then the
  1008 flood close), then again with a new conversation (past the per-address limit the
  hello gets rate_limited and 1013);
- idlers: sockets that never say hello (closed by the hello timeout; past the per-address
  socket limit the upgrade gets 429), reopened at once;
- oversized: hello, then one frame over the 64 KiB limit (close 1009), again;
- slow headers: TCP connections that send a request line and then a header byte every
  half second, never the blank line (closed by the header timeout), reopened.

Phases: the healthy customer alone for --seconds, then with the attackers (after a few
seconds for them to build up) for --seconds. Printed: p50 / p99 / max of the reply time in
each phase and their ratio (the project's target: within 2x), and what the attackers were
answered. On the shared 2-core machine both phases move with other load: compare within
one run, not across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
HEALTHY_ADDRESS = "127.0.0.2"  # another client address than the attackers' 127.0.0.1
QUESTIONS = ("I forgot my password", "change my plan", "비밀번호를 잊어버렸어요", "요금제 변경")
PER_CONVERSATION = 8
PACE_S = 0.25  # the healthy customer's pause between questions: well inside 5 frames a second
RAMP_S = 3.0  # attackers build up before the measured phase starts
START_TIMEOUT_S = 300.0  # a cold sentence-encoder cache encodes every example first


def hello() -> str:
    return json.dumps({"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"})


# --- the healthy customer ------------------------------------------------------------


async def healthy(url: str, seconds: float) -> list[float]:
    """Reply times (s) of one customer asking question after question for `seconds`: short
    conversations of PER_CONVERSATION questions (a long one of repeated questions would end
    with a person), each question timed to the end of the bot's answer (its typing.stop)."""
    connector = aiohttp.TCPConnector(local_addr=(HEALTHY_ADDRESS, 0))
    times: list[float] = []
    end = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=connector) as http:
        while time.monotonic() < end:
            ws = await http.ws_connect(f"{url}/ws/customer")
            await ws.send_str(hello())
            await _until(ws, lambda f: f["type"] == "message.new" and f["sender"] == "bot")
            for n in range(PER_CONVERSATION):
                sent = time.monotonic()
                text = QUESTIONS[n % len(QUESTIONS)]
                frame = {"type": "message.new", "id": f"m{n}", "text": text}
                await ws.send_str(json.dumps(frame))
                await _until(ws, lambda f: f["type"] == "typing.stop")
                times.append(time.monotonic() - sent)
                await asyncio.sleep(PACE_S)
                if time.monotonic() >= end:
                    break
            await ws.close()
    return times


async def _until(ws: aiohttp.ClientWebSocketResponse, wanted: object) -> None:
    while True:
        msg = await asyncio.wait_for(ws.receive(), 30)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"the healthy customer's socket ended: {msg.type.name}")
        if wanted(json.loads(msg.data)):  # type: ignore[operator]
            return


# --- the attackers (a subprocess: `soak.py --attack URL ...`) -----------------------


async def attack(url: str, args: argparse.Namespace, seconds: float) -> Counter[str]:
    seen: Counter[str] = Counter()
    connector = aiohttp.TCPConnector(limit=0, local_addr=("127.0.0.1", 0))
    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = [
            *(_flooder(http, url, seen) for _ in range(args.flooders)),
            *(_idler(http, url, seen) for _ in range(args.idlers)),
            *(_oversized(http, url, seen) for _ in range(args.oversized)),
            *(_slow_headers(url, seen) for _ in range(args.slow_headers)),
        ]
        running = [asyncio.create_task(t) for t in tasks]
        await asyncio.sleep(seconds)  # the attack's length, decided by the parent
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    return seen


async def _socket(
    http: aiohttp.ClientSession, url: str, seen: Counter[str]
) -> aiohttp.ClientWebSocketResponse | None:
    try:
        return await http.ws_connect(f"{url}/ws/customer", max_msg_size=0)
    except aiohttp.WSServerHandshakeError as exc:
        seen[f"upgrade {exc.status}"] += 1
    except aiohttp.ClientError:
        seen["connect failed"] += 1
    await asyncio.sleep(1.0)  # refused: try again a little later, as a bot would
    return None


async def _drain(ws: aiohttp.ClientWebSocketResponse, seen: Counter[str]) -> None:
    """Read until the server closes; count its error codes and the close code."""
    async for msg in ws:
        if msg.type is aiohttp.WSMsgType.TEXT:
            frame = json.loads(msg.data)
            if frame.get("type") == "error":
                seen[f"error {frame['code']}"] += 1
    seen[f"closed {ws.close_code}"] += 1


async def _flooder(http: aiohttp.ClientSession, url: str, seen: Counter[str]) -> None:
    while True:
        ws = await _socket(http, url, seen)
        if ws is None:
            continue
        reader = asyncio.create_task(_drain(ws, seen))
        await ws.send_str(hello())
        n = 0
        with contextlib.suppress(ConnectionError, RuntimeError):
            while not ws.closed:
                n += 1
                await ws.send_str(json.dumps({"type": "message.new", "id": f"f{n}", "text": "x"}))
                await asyncio.sleep(0)  # as fast as the socket takes them
        await reader


async def _idler(http: aiohttp.ClientSession, url: str, seen: Counter[str]) -> None:
    while True:
        ws = await _socket(http, url, seen)
        if ws is not None:
            await _drain(ws, seen)  # never says hello: the server ends it


async def _oversized(http: aiohttp.ClientSession, url: str, seen: Counter[str]) -> None:
    big = json.dumps({"type": "message.new", "id": "big", "text": "x" * 100_000})
    while True:
        ws = await _socket(http, url, seen)
        if ws is None:
            continue
        reader = asyncio.create_task(_drain(ws, seen))
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(hello())
            await ws.send_str(big)
        await reader


async def _slow_headers(url: str, seen: Counter[str]) -> None:
    host, port = re.sub(r"^http://", "", url).split(":")
    while True:
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            seen["slow headers: connect failed"] += 1
            await asyncio.sleep(1.0)
            continue
        opened = time.monotonic()
        try:
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            while not reader.at_eof():
                writer.write(b"X")
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(reader.read(1024), 0.5)
        except ConnectionError:
            pass
        finally:
            writer.close()
        seen["slow headers: seconds held, the last"] = round(time.monotonic() - opened)


# --- the run ------------------------------------------------------------------------


async def start_server(rules: Path, database: Path) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--rules", str(rules),
        "--db", str(database), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)
    found = re.search(rb"running at (http://\S+?)/? ", line)
    if not found:
        raise RuntimeError(f"helpline serve did not start: {line!r}")
    return process, found.group(1).decode()


def summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"{name:<22} {len(ms):>6} {statistics.median(ms):>9.1f} {p99:>9.1f} {ms[-1]:>9.1f}"


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server, url = await start_server(Path(args.rules), Path(folder) / "soak.db")
        try:
            alone = await healthy(url, args.seconds)
            attackers = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--attack", url, "--seconds", str(args.seconds),
                "--flooders", str(args.flooders), "--idlers", str(args.idlers),
                "--oversized", str(args.oversized), "--slow-headers", str(args.slow_headers),
                stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            await asyncio.sleep(RAMP_S)
            beside = await healthy(url, args.seconds - RAMP_S)
            out, _ = await attackers.communicate()
            alive = server.returncode is None
        finally:
            server.terminate()
            await server.wait()
    print(f"helpline serve --rules {args.rules}, default limits; healthy customer from "
          f"{HEALTHY_ADDRESS}, attackers from 127.0.0.1: {args.flooders} flooders, "
          f"{args.idlers} idle sockets, {args.oversized} oversized-frame senders, "
          f"{args.slow_headers} slow-header connections")  # fmt: skip
    print(f"{'reply time (ms)':<22} {'n':>6} {'p50':>9} {'p99':>9} {'max':>9}")
    print(summary("alone", alone))
    print(summary("beside the attackers", beside))
    ratio = statistics.median(beside) / statistics.median(alone)
    p99 = sorted(beside)[int(len(beside) * 0.99)] / sorted(alone)[int(len(alone) * 0.99)]
    print(f"ratio beside/alone: p50 {ratio:.2f}x, p99 {p99:.2f}x (target: within 2x)")
    print("the server was " + ("still running" if alive else "DOWN") + " at the end")
    print("what the attackers were answered:")
    for what, count in sorted(json.loads(out or b"{}").items()):
        print(f"  {what:<32} {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase")
    parser.add_argument("--flooders", type=int, default=10)
    parser.add_argument("--idlers", type=int, default=300)
    parser.add_argument("--oversized", type=int, default=10)
    parser.add_argument("--slow-headers", type=int, default=100)
    parser.add_argument("--rules", default=str(REPO / "bot_rules"))
    parser.add_argument("--attack", metavar="URL", help=argparse.SUPPRESS)  # the subprocess
    args = parser.parse_args()
    if args.attack:
        seen = asyncio.run(attack(args.attack, args, args.seconds))
        print(json.dumps(dict(seen)))
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
