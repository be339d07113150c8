"""`helpline report` over a year of generated traffic, and what writing events costs.

Writes about 1,000,000 events (a year of conversations of five kinds: answered and rated,
clarified then answered, fallen back, escalated by their intent, handed to an agent who
replies, closes and is rated) into a fresh SQLite file, then times `helpline report` as a
user runs it (the CLI in this process, output discarded, after one untimed run): the last
week, the last week by day, the last 30 days, the whole year. Median of --runs runs each.

Then the cost of the events per message: a customer message stored and its turn committed
on a fresh SQLite store, with the turn's `bot.decision` event (as Helpline writes it)
against the same turn with none, alternating rounds; median microseconds per message.
Usage:
    .venv/bin/python bench/report.py [--events 1000000] [--runs 5] [--messages 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpline.cli import main
from helpline.store import SQLiteStore, sqlite_reports
from helpline.store.base import Outgoing, TurnRecord
from helpline.store.reports import REPORT_KINDS

YEAR_S = 365 * 86400
END = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
INTENTS = ("password_reset", "payment_failed", "refund", "cancel_plan", "playback_error")

Row = tuple[str, str, str, float]  # conversation, kind, data, created_at


def decision(kind: str, intent: str | None, reply_to: int | None, **extra: Any) -> str:
    data = {
        "decision": kind, "language": "en", "intent": intent, "score": 70.0,
        "candidates": [[intent, 70.0]] if intent else [], "mood": 0.0,
        "reasons": [], "action": None, "topic": intent, "reply_to": reply_to, **extra,
    }  # fmt: skip
    return json.dumps(data, separators=(",", ":"))


def conversation_events(n: int, cid: str, t: float) -> list[Row]:
    """One conversation's events, of kind n % 5, starting at t."""
    intent = INTENTS[n % len(INTENTS)]
    rows: list[Row] = [
        (cid, "conversation.started", '{"language":"en"}', t),
        (cid, "bot.decision", decision("greeting", None, None), t),
    ]

    def said(seq: int, kind: str, at: float, **extra: Any) -> None:
        rows.append((cid, "bot.decision", decision(kind, intent, seq, **extra), at))

    kind = n % 5
    if kind == 0:
        said(2, "answer", t + 5)
        said(4, "feedback", t + 20, reasons=["helpful"])
    elif kind == 1:
        said(2, "clarify", t + 5)
        said(4, "answer", t + 15)
    elif kind == 2:
        said(2, "fallback", t + 5)
        said(4, "fallback", t + 25)
    else:
        reasons = ["intent_escalates"] if kind == 3 else ["asked_for_human"]
        said(2, "handoff", t + 5, reasons=reasons)
        rows += ticket_events(cid, f"t_{n}", t + 5, agent=f"a{n % 7}", team="billing")
    return rows


def ticket_events(cid: str, ticket: str, t: float, agent: str, team: str) -> list[Row]:
    def data(**values: Any) -> str:
        return json.dumps({"ticket": ticket, **values}, separators=(",", ":"))

    return [
        (cid, "status.changed", '{"from":"bot","to":"queued"}', t),
        (cid, "ticket.opened", data(team=team, priority="normal", urgent=False), t),
        (cid, "queue.entered", json.dumps({"team": team, "frustration": 0.1}), t),
        (cid, "offer.made", json.dumps({"agent": agent}), t + 30),
        (cid, "ticket.assigned", data(agent=agent), t + 40),
        (cid, "status.changed", '{"from":"queued","to":"assigned"}', t + 40),
        (cid, "message.out", json.dumps({"seq": 5, "agent": agent}), t + 100),
        (cid, "ticket.first_response", data(agent=agent), t + 100),
        (cid, "ticket.status", data(**{"from": "open", "to": "pending"}), t + 100),
        (cid, "ticket.solved", data(agent=agent, tags=[]), t + 600),
        (cid, "status.changed", '{"from":"assigned","to":"closed"}', t + 600),
        (cid, "csat.submitted", data(rating=1 + hash(ticket) % 5, comment=None), t + 660),
    ]


def generate(path: Path, events: int) -> tuple[int, int]:
    """Fill the migrated database with about `events` events spread over the year."""
    per_conversation = 10  # the five kinds average 10 events
    conversations = events // per_conversation
    step = YEAR_S / conversations
    conn = sqlite3.connect(path)
    written = 0
    with conn:
        for n in range(conversations):
            cid, t = f"c_{n:08d}", END - YEAR_S + n * step
            conn.execute(
                "INSERT INTO conversations (id, token, status, language, created_at, updated_at)"
                " VALUES (?, ?, 'closed', 'en', ?, ?)",
                (cid, f"tok{n}", t, t),
            )
            rows = conversation_events(n, cid, t)
            conn.executemany(
                "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?,?,?,?)",
                rows,
            )
            written += len(rows)
    conn.close()
    return conversations, written


def rules_dir(root: Path) -> Path:
    """Rules with the example desk's hours (Seoul, weekdays 09-18): times in working time."""
    rules = root / "rules"
    (rules / "intents").mkdir(parents=True)
    (rules / "config.yaml").write_text(
        "languages: [en]\nbusiness_hours:\n  timezone: Asia/Seoul\n"
        "  weekdays: {mon: 09:00-18:00, tue: 09:00-18:00, wed: 09:00-18:00,"
        " thu: 09:00-18:00, fri: 09:00-18:00}\n"
    )
    (rules / "intents" / "a.yaml").write_text(
        "intents:\n  - name: hello\n    category: general\n"
        '    examples: {en: ["hello there"]}\n    answer: {en: "Hi."}\n'
    )
    return rules


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def time_rows(db: Path, runs: int, days: int) -> float:
    """The reference: median wall seconds to fetch the rows the report reads (its period and
    the one before) with sqlite3 alone, nothing parsed or counted."""
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        conn = sqlite3.connect(db)
        for since in (END - days * 86400, END - 2 * days * 86400):
            until = since + days * 86400
            conn.execute(sqlite_reports.EVENTS, (since, until, until, *REPORT_KINDS)).fetchall()
        conn.close()
        walls.append(time.perf_counter() - started)
    return statistics.median(walls)


def time_report(db: Path, rules: Path, runs: int, days: int, *extra: str) -> tuple[float, int]:
    """Median wall seconds of `helpline report` over the last `days`, and its conversations."""
    args = ["report", "--db", str(db), "--rules", str(rules), "--since", iso(END - days * 86400),
            "--until", iso(END), "--format", "json", *extra]  # fmt: skip
    walls, out = [], ""
    with contextlib.redirect_stdout(io.StringIO()):
        main(args)  # warm-up, untimed: imports, and the file into the OS's cache
    for _ in range(runs):
        buffer = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(buffer):
            main(args)
        walls.append(time.perf_counter() - started)
        out = buffer.getvalue()
    return statistics.median(walls), int(json.loads(out)["conversations"])


async def per_message_us(folder: Path, messages: int, with_event: bool) -> float:
    store = SQLiteStore(folder / f"write-{with_event}-{time.monotonic_ns()}.db")
    await store.open()
    try:
        conversation = await store.create_conversation(token="t", language="en", now=0.0)
        started = time.perf_counter()
        for seq in range(1, 2 * messages, 2):
            await store.append_customer_message(conversation.id, f"m{seq}", {"text": "hi"}, 1.0)
            events = [("bot.decision", json.loads(decision("answer", "refund", seq)))]
            record = TurnRecord(
                conversation.id, "bot", {"status": "bot"}, "en",
                messages=[Outgoing("bot", {"text": "Refunds take 3-5 days.", "kind": "answer"})],
                events=events if with_event else (), answers_seq=seq,
            )  # fmt: skip
            await store.commit_turn(record, 1.0)
        return (time.perf_counter() - started) / messages * 1e6
    finally:
        await store.close()


def rounds(folder: Path, messages: int, count: int = 5) -> Iterator[tuple[float, float]]:
    for _ in range(count):
        with_event = asyncio.run(per_message_us(folder, messages, True))
        without = asyncio.run(per_message_us(folder, messages, False))
        yield with_event, without


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "year.db"
        asyncio.run(_migrate(db))
        started = time.perf_counter()
        conversations, written = generate(db, args.events)
        print(f"generated {written:,} events of {conversations:,} conversations over a year "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        rules = rules_dir(folder)
        print(f"\n`helpline report`, median of {args.runs} runs, against fetching its rows alone:")
        for label, days, extra in (("last week", 7, ()), ("last week --by day", 7, ("--by", "day")),
                                   ("last 30 days", 30, ()), ("whole year", 365, ())):  # fmt: skip
            wall, counted = time_report(db, rules, args.runs, days, *extra)
            rows = time_rows(db, args.runs, days)
            print(f"  {label:<20} {wall * 1000:8.0f} ms  rows alone {rows * 1000:6.0f} ms "
                  f"(x{wall / rows:.1f})  {counted:,} conversations")  # fmt: skip
        measured = list(rounds(folder, args.messages))
        with_event = statistics.median(m[0] for m in measured)
        without = statistics.median(m[1] for m in measured)
        print(f"\nper message (append + commit_turn, {args.messages} messages, 5 rounds):")
        print(f"  with its bot.decision event  {with_event:7.0f} us (median)")
        print(f"  without                      {without:7.0f} us (median)")
        print(f"  the event adds               {with_event - without:7.0f} us "
              f"({with_event / without - 1:+.0%})")  # fmt: skip


async def _migrate(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=2000)
    run(parser.parse_args())
