"""Memory per idle socket: a Helpline node against a bare aiohttp echo server, same run.

    .venv/bin/python bench/idle_sockets.py [--sockets 10000] [--marks 500 2000 5000 10000]

Each server is `ws_load.py`'s (a subprocess on uvloop; Helpline with the repository's
bot_rules, a fresh SQLite file and the per-address limits lifted). The script opens
`--sockets` websockets to it in batches of 50; a Helpline socket says `session.hello` and
waits for its greeting, an echo socket sends one frame and waits for it back, then each
stays open and silent (its client still answers the server's heartbeat pings). At each
mark it reads the server's RSS from /proc. The first
mark is the reference: the sockets before it reuse memory the server freed at start-up
(and the first conversations warm caches), so the figure is the marginal cost past it,
(RSS at a mark - RSS at the first mark) / (sockets between them), in KiB. The last line is
the same figures as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ws_load import Server, _run, open_customer, start_server  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ROLES = ("echo", "helpline")
BATCH = 50  # sockets connected at once: the listen backlog is finite


async def keep_reading(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Read (nothing comes) so the client answers the server's heartbeat pings: a socket
    that does not is dropped as dead, and its memory with it."""
    while not ws.closed:
        try:
            await ws.receive()
        except ConnectionError:  # a pong raced the close at the end of the run
            return


async def rss_at_marks(server: Server, marks: list[int]) -> dict[int, int]:
    """Server RSS (KiB) after each mark's number of sockets were opened and greeted."""
    found: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        opened: list[aiohttp.ClientWebSocketResponse] = []
        readers: list[asyncio.Task[None]] = []
        for mark in marks:
            while len(opened) < mark:
                batch = min(BATCH, mark - len(opened))
                opened += await asyncio.gather(
                    *(open_customer(session, server) for _ in range(batch))
                )
            readers += [asyncio.create_task(keep_reading(ws)) for ws in opened[len(readers) :]]
            await asyncio.sleep(0.5)  # let the server finish what the last hellos started
            found[mark] = server.rss_kib()
            dropped = sum(ws.closed for ws in opened)
            if dropped:  # the figure would count memory freed by the drop: say so
                print(f"{server.name}: {dropped} of {mark} sockets closed by the server")
        await asyncio.gather(*(ws.close() for ws in opened))
        await asyncio.gather(*readers)
    return found


async def measure(role: str, marks: list[int], rules: str, folder: str) -> dict[int, int]:
    server = await start_server(role, os.path.join(folder, f"{role}.db"), rules)
    try:
        return await rss_at_marks(server, marks)
    finally:
        await server.stop()


def marginal_kib(rss: dict[int, int]) -> dict[int, float]:
    """KiB per socket from the first mark to each later one."""
    first = min(rss)
    return {mark: (kib - rss[first]) / (mark - first) for mark, kib in rss.items() if mark > first}


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    marks = sorted(set(args.marks) | {args.sockets})
    marks = [mark for mark in marks if mark <= args.sockets]
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as folder:
        rss = {role: await measure(role, marks, args.rules, folder) for role in ROLES}
    print(f"\n$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    elapsed_s = time.perf_counter() - began
    print(f"marginal KiB per idle socket past the first {marks[0]}; total {elapsed_s:.0f} s")
    print(
        f"{'sockets':>8} "
        + " ".join(f"{role + ' RSS MiB':>16} {role + ' KiB/sock':>16}" for role in ROLES)
    )
    per = {role: marginal_kib(rss[role]) for role in ROLES}
    for mark in marks:
        cells = []
        for role in ROLES:
            kib = per[role].get(mark)
            cells.append(
                f"{rss[role][mark] / 1024:16.1f} {'-' if kib is None else f'{kib:.1f}':>16}"
            )
        print(f"{mark:8d} " + " ".join(cells))
    print(json.dumps({"marks": marks, "rss_kib": rss, "kib_per_socket": per}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--marks", type=int, nargs="*", default=[500, 2000, 5000, 10_000])
    parser.add_argument("--rules", default=str(REPO / "bot_rules"))
    _run(lambda: main(parser.parse_args()))
