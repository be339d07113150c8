"""What the SQLite store writes for one customer message and its bot answer.

A real ConversationService with the repository's bot_rules (sentence encoders off, as in
open_loop.py: their BLAS threads made the process's CPU swing), the in-process bus and a
SQLite file, driven in process (no sockets): `--conversations` conversations are started,
then in each of `--rounds` rounds each posts a message, `--concurrency` of them at once
(1: one at a time, as under a light load; more: the group commit batches them, as under
a heavy one). Printed per message: statements as the writer's trace callback sees them
(BEGIN, COMMIT and savepoints included; a trigger's firing shows as its statement again),
write transactions, WAL frames (pages written) split by table or index, the CPU of the
store's writer (its group commits, on the loop), and the whole process's CPU. Checkpoints
are held off during the run so every frame stays in the WAL to be counted; then one
PASSIVE checkpoint of it is timed, per message.

The reference, in the same run: the same number of messages written as one plain INSERT
each into a table with no index, in transactions of the same sizes, on a connection of
the same settings: the floor of writing a row per message.

`--history N` first writes N older conversations (a hello and `--history-messages`
messages each) into a file every run starts from a copy of, so the measured messages land
in a database of a realistic size rather than an empty one. `--cache-kib K ...` sets the
writer connection's page cache (PRAGMA cache_size) to each size in turn, runs interleaved;
each size's pages read from the file per message (read system calls, /proc/self/io: one
per page the cache did not hold) is what a smaller cache costs.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from helpline.actions import ActionStep  # noqa: E402
from helpline.bus import MemoryBus  # noqa: E402
from helpline.rules import load_rulebook  # noqa: E402
from helpline.service.conversation import ConversationService  # noqa: E402
from helpline.service.frames import Hello, MessageNew  # noqa: E402
from helpline.service.rules_holder import RulesHolder  # noqa: E402
from helpline.store import SQLiteStore  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from open_loop import bench_rules  # noqa: E402
from ws_load import TEXTS  # noqa: E402

Variant = tuple[float | None, int | None]  # --hold-ms, --cache-kib; None: the store's own
WAL_HEADER = 32
FRAME_HEADER = 24


async def _discard(frame: Any) -> None:
    return None


def wal_pages(path: str, page_size: int) -> list[int]:
    """The page number of every frame in the WAL file, in order."""
    data = Path(f"{path}-wal").read_bytes()
    step = FRAME_HEADER + page_size
    return [int.from_bytes(data[at : at + 4], "big") for at in range(WAL_HEADER, len(data), step)]


def page_owners(path: str) -> dict[int, str]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT pageno, name FROM dbstat"))


class Counters:
    def __init__(self) -> None:
        self.statements = 0
        self.transactions = 0
        self.flush_s = 0.0
        self.batches: list[int] = []

    def trace(self, sql: str) -> None:
        self.statements += 1
        if sql.startswith("BEGIN IMMEDIATE"):
            self.transactions += 1


def reads() -> int:
    """Read system calls this process has made: SQLite reads a page it does not hold with one."""
    with open("/proc/self/io") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("syscr:"))


async def post(service: ConversationService, cid: str, client_id: str, text_no: int) -> None:
    frame = MessageNew(client_id, TEXTS[text_no % len(TEXTS)], None)
    await service.post_message(cid, frame, _discard)


async def write_history(args: argparse.Namespace, folder: str) -> None:
    """`--history` conversations of a hello and `--history-messages` messages each, in
    folder/history.db, which every run then starts from a copy of."""
    store = SQLiteStore(os.path.join(folder, "history.db"))
    await store.open()
    rules = RulesHolder(load_rulebook(bench_rules(REPO / "bot_rules", folder, False)))
    service = ConversationService(store, MemoryBus(), rules, time.time, actions=ActionStep())
    for start in range(0, args.history, 100):  # a hundred at once: batched commits
        hellos = [Hello(None, 0, "en", None)] * min(100, args.history - start)
        convs = [conv for conv, _ in await asyncio.gather(*map(service.start, hellos))]
        for n in range(args.history_messages):
            posts = (post(service, c.id, f"h{n}", i + n) for i, c in enumerate(convs))
            await asyncio.gather(*posts)
    await store.close()


async def measure(
    args: argparse.Namespace, folder: str, concurrency: int, variant: Variant
) -> dict[str, Any]:
    hold_ms, cache_kib = variant
    path = os.path.join(folder, "store.db")
    if args.history:
        shutil.copyfile(os.path.join(args.history_folder, "history.db"), path)
    held = {} if hold_ms is None else {"hold_s": hold_ms / 1000}  # None: the store's default
    store = SQLiteStore(path, checkpoint_interval_s=3600, wal_limit_bytes=1 << 40, **held)
    await store.open()
    rules = RulesHolder(load_rulebook(bench_rules(REPO / "bot_rules", folder, False)))
    service = ConversationService(store, MemoryBus(), rules, time.time, actions=ActionStep())
    if cache_kib is not None:  # None: the store's own setting
        await store._run(lambda conn: conn.execute(f"PRAGMA cache_size = -{cache_kib:d}"))
    ids = []
    for i in range(args.conversations):
        conv, _ = await service.start(Hello(None, 0, "en" if i % 2 else "ko", None))
        ids.append(conv.id)
    worker = store._worker
    assert worker is not None and worker._conn is not None
    conn = worker._conn
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    counters = Counters()
    flush = worker._flush

    def timed_flush() -> None:
        counters.batches.append(len(worker._pending))
        started = time.thread_time()
        flush()
        counters.flush_s += time.thread_time() - started

    worker._flush = timed_flush  # type: ignore[method-assign]
    frames_before = len(wal_pages(path, page_size))
    conn.set_trace_callback(counters.trace)
    reads_before = reads()
    cpu_started = time.process_time()
    n = 0
    for round_no in range(args.rounds):
        for start in range(0, len(ids), concurrency):
            posts = []
            for i, cid in enumerate(ids[start : start + concurrency], start):
                text = TEXTS[(i + round_no) % len(TEXTS)]
                frame = MessageNew(f"m{round_no}-{i}", text, None)
                posts.append(service.post_message(cid, frame, _discard))
            await asyncio.gather(*posts)
            n += len(posts)
    cpu = time.process_time() - cpu_started
    pages_read = reads() - reads_before
    conn.set_trace_callback(None)
    worker._flush = flush  # type: ignore[method-assign]
    pages = wal_pages(path, page_size)[frames_before:]
    owners = page_owners(path)
    by_table = collections.Counter(owners.get(p, "(freelist or new)") for p in pages)
    started = time.perf_counter()
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    checkpoint_s = time.perf_counter() - started
    batch_sizes = [b for b in counters.batches if b]
    await store.close()
    return {
        "messages": n,
        "statements": counters.statements / n,
        "transactions": counters.transactions / n,
        "frames": len(pages) / n,
        "pages_read": pages_read / n,
        "by_table": {k: v / n for k, v in by_table.most_common()},
        "store_us": counters.flush_s / n * 1e6,
        "cpu_us": cpu / n * 1e6,
        "checkpoint_us": checkpoint_s / n * 1e6,
        "batch_sizes": batch_sizes,
    }


def reference(folder: str, batch_sizes: list[int], messages: int) -> float:
    """CPU us per row of the floor: one plain INSERT per message, same transaction sizes."""
    conn = sqlite3.connect(os.path.join(folder, "floor.db"), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("CREATE TABLE t (conversation_id TEXT, seq INTEGER, body TEXT)")
    body = '{"text": "I forgot my password"}'
    started = time.process_time()
    written = 0
    for size in batch_sizes:
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(size):
            conn.execute("INSERT INTO t VALUES (?, ?, ?)", ("c", written, body))
            written += 1
        conn.execute("COMMIT")
    conn.close()
    return (time.process_time() - started) / max(written, 1) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 50],
        help="conversations posting at once (1: one message at a time, a light load)",
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="runs; medians printed")
    parser.add_argument(
        "--hold-ms", type=float, nargs="+", default=[None],
        help="how long a message's transaction waits for its turn (0: commits at once);"
        " several: each measured in turn, runs interleaved",
    )  # fmt: skip
    parser.add_argument(
        "--cache-kib", type=int, nargs="+", default=[None],
        help="the writer's page cache, KiB; several: each measured in turn, runs interleaved",
    )  # fmt: skip
    parser.add_argument("--history", type=int, default=0, help="older conversations first")
    parser.add_argument("--history-messages", type=int, default=3)
    args = parser.parse_args()
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory() as folder:
        args.history_folder = folder
        if args.history:
            started = time.perf_counter()
            asyncio.run(write_history(args, folder))
            size = os.path.getsize(os.path.join(folder, "history.db")) / 2**20
            print(f"history: {args.history} conversations, {size:.0f} MiB,"
                  f" written in {time.perf_counter() - started:.0f} s")  # fmt: skip
        for concurrency in args.concurrency:
            report(args, concurrency)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def report(args: argparse.Namespace, concurrency: int) -> None:
    variants = list(itertools.product(args.hold_ms, args.cache_kib))
    runs: dict[Variant, list[dict[str, Any]]] = {v: [] for v in variants}
    floors: dict[Variant, list[float]] = {v: [] for v in variants}
    for _ in range(args.repeat):
        for variant in variants:
            with tempfile.TemporaryDirectory() as folder:
                found = asyncio.run(measure(args, folder, concurrency, variant))
                floors[variant].append(reference(folder, found["batch_sizes"], found["messages"]))
                runs[variant].append(found)
    for hold, cache_kib in variants:
        held = "" if hold is None else f", hold {hold:g} ms"
        cached = "" if cache_kib is None else f", page cache {cache_kib:,d} KiB"
        print(
            f"\n{concurrency} conversation(s) posting at once{held}{cached};"
            f" {runs[hold, cache_kib][0]['messages']} messages a run, {args.repeat} runs;"
            " per message:"
        )
        show(runs[hold, cache_kib], floors[hold, cache_kib])


def show(runs: list[dict[str, Any]], floors: list[float]) -> None:
    first = runs[0]
    print(f"  statements on the writer's connection  {first['statements']:.2f}")
    print(f"  write transactions                     {first['transactions']:.3f}")
    print(f"  WAL frames (pages written)             {first['frames']:.2f}")
    for table, count in first["by_table"].items():
        print(f"      {table:34s} {count:.2f}")
    pages_read = statistics.median(r["pages_read"] for r in runs)
    print(f"  pages read from the file (median)      {pages_read:.2f}")
    store_us = statistics.median(r["store_us"] for r in runs)
    cpu_us = statistics.median(r["cpu_us"] for r in runs)
    floor_us = statistics.median(floors)
    checkpoint_us = statistics.median(r["checkpoint_us"] for r in runs)
    print(f"  store writer CPU on the loop (median)  {store_us:.0f} us")
    print(f"  process CPU, whole turn (median)       {cpu_us:.0f} us")
    print(f"  PASSIVE checkpoint of the run's WAL    {checkpoint_us:.0f} us")
    print(f"  floor: one plain INSERT a message      {floor_us:.1f} us")
    print(f"  store writer / floor                   {store_us / floor_us:.1f}x")


if __name__ == "__main__":
    main()
