"""Spike checks over a busy day of stored decisions, and what their index costs a message.

Writes --decisions bot.decision events (and as many other events, as turns write them)
spread over the day and five minutes before the check into a fresh SQLite file, then times
SpikeWatcher.check() as a node runs it (through SQLiteStore's worker, the store shared with
the turns): a node's first check, which reads the whole day (an hour per query), median of
--runs fresh watchers; then a running node's check a minute later, with a minute's more
decisions at the same rate written in between, median of --runs. The longest single read
is what the watcher holds the store's one connection for.

Then the cost of the partial index on decisions (events_decisions_by_time) per message: a
customer message stored and its turn committed with its bot.decision event, on a fresh
store with the index and on one with it dropped, alternating rounds; median microseconds.
Usage:
    .venv/bin/python bench/spike_check.py [--decisions 200000] [--runs 9] [--messages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from helpline.bus import MemoryBus
from helpline.rules.model import Config, Intent, Rulebook
from helpline.service.alert.watch import SpikeWatcher
from helpline.service.rules_holder import RulesHolder
from helpline.store import SQLiteStore
from helpline.store.base import Outgoing, TurnRecord

NOW = 1_796_300_000.0
SPAN_S = 86_400 + 300  # the baseline and the window
INTENTS = [f"intent_{n:02d}" for n in range(40)]  # a desk's worth, some far busier than others
KINDS = ("answer",) * 7 + ("clarify", "fallback", "handoff")


WEIGHTS = [1 / (n + 1) for n in range(len(INTENTS))]  # Zipf-like: a few intents dominate


def pick(rng: random.Random) -> str:
    return rng.choices(INTENTS, WEIGHTS)[0]


def decision(kind: str, intent: str) -> str:
    data = {
        "decision": kind, "language": "en", "intent": intent, "score": 70.0,
        "candidates": [[intent, 70.0]], "mood": 0.0, "reasons": [], "action": None,
        "topic": intent, "reply_to": 2,
    }  # fmt: skip
    return json.dumps(data, separators=(",", ":"))


def generate(path: Path, decisions: int) -> None:
    rng = random.Random(15)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO conversations (id, token, status, created_at, updated_at)"
            " VALUES ('c', 't', 'bot', ?, ?)",
            (NOW - SPAN_S, NOW),
        )
        rows = []
        for n in range(decisions):
            at = NOW - SPAN_S + n * SPAN_S / decisions
            rows.append(("c", "bot.decision", decision(rng.choice(KINDS), pick(rng)), at))
            rows.append(("c", "status.changed", '{"from":"bot","to":"bot"}', at))
        conn.executemany(
            "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?,?,?,?)", rows
        )
    conn.close()


def rulebook() -> Rulebook:
    intent = Intent("hello", "general", {"en": ("hello there",)}, {"en": "Hi."})
    return Rulebook(Config(languages=("en",), default_language="en"), (intent,))


async def time_checks(path: Path, runs: int, decisions: int) -> tuple[float, float]:
    """Median seconds of a first check and of a running node's next one."""
    store = SQLiteStore(path)
    await store.open()
    clock = Clock()
    try:
        first = []
        for _ in range(runs + 1):  # the first, untimed: the file into the OS's cache
            watcher = SpikeWatcher(store, MemoryBus(), RulesHolder(rulebook()), clock)
            started = time.perf_counter()
            await watcher.check()
            first.append(time.perf_counter() - started)
        later = []
        per_minute = round(decisions * 60 / SPAN_S)
        rng = random.Random(16)
        for _ in range(runs):
            write(path, [clock.now + (n + 1) * 60 / per_minute for n in range(per_minute)], rng)
            clock.now += 60
            started = time.perf_counter()
            await watcher.check()
            later.append(time.perf_counter() - started)
        return statistics.median(first[1:]), statistics.median(later)
    finally:
        await store.close()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def write(path: Path, times: list[float], rng: random.Random) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?,?,?,?)",
            [("c", "bot.decision", decision("answer", pick(rng)), t) for t in times],
        )
    conn.close()


async def per_message_us(path: Path, messages: int, indexed: bool) -> float:
    await _migrate(path)
    if not indexed:
        conn = sqlite3.connect(path)
        conn.execute("DROP INDEX events_decisions_by_time")
        conn.close()
    store = SQLiteStore(path)
    await store.open()
    try:
        conversation = await store.create_conversation(token="t", language="en", now=0.0)
        event = ("bot.decision", json.loads(decision("answer", "refund")))
        started = time.perf_counter()
        for seq in range(1, 2 * messages, 2):
            await store.append_customer_message(conversation.id, f"m{seq}", {"text": "hi"}, 1.0)
            record = TurnRecord(
                conversation.id, "bot", {"status": "bot"}, "en",
                messages=[Outgoing("bot", {"text": "Refunds take 3-5 days.", "kind": "answer"})],
                events=[event], answers_seq=seq,
            )  # fmt: skip
            await store.commit_turn(record, 1.0 + seq)
        return (time.perf_counter() - started) / messages * 1e6
    finally:
        await store.close()


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        day = folder / "day.db"
        asyncio.run(_migrate(day))
        generate(day, args.decisions)
        first, later = asyncio.run(time_checks(day, args.runs, args.decisions))
        print(
            f"spike checks over {args.decisions:,} decisions (a day and 5 min, {len(INTENTS)}"
            f" intents), median of {args.runs}:"
        )
        print(f"  a node's first check (the whole day, an hour a read)  {first * 1000:7.1f} ms")
        print(f"  a running node's check a minute later                 {later * 1000:7.1f} ms")
        measured = []
        for n in range(5):
            with_index = asyncio.run(per_message_us(folder / f"i{n}.db", args.messages, True))
            without = asyncio.run(per_message_us(folder / f"n{n}.db", args.messages, False))
            measured.append((with_index, without))
        with_index = statistics.median(m[0] for m in measured)
        without = statistics.median(m[1] for m in measured)
        print(f"per message (append + commit_turn, {args.messages} messages, 5 rounds):")
        print(f"  with the decisions index  {with_index:7.0f} us (median)")
        print(f"  without                   {without:7.0f} us (median)")
        print(f"  the index adds            {with_index - without:7.0f} us "
              f"({with_index / without - 1:+.1%})")  # fmt: skip


async def _migrate(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--messages", type=int, default=2000)
    run(parser.parse_args())
