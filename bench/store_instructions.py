"""Instructions the SQLite store executes per customer message and bot turn, under valgrind.

CPU time on a shared machine moves by 10-20% between runs; an instruction count does not
(about 0.6% between runs here: the hold timer and fresh ids). The store alone, through
its public API, no service and no rules: `--conversations` conversations, each posting a
customer message (append_customer_message_early) and committing a bot turn shaped like
the service's (a reply whose body carries the decision, its bot.decision event, the bot
state; every tenth turn changes the status), `--concurrency` of them at once. Run once
with no rounds and once with `--rounds`; the difference, per message, is the figure (so
imports and opening the store cancel out). User-space instructions only: the kernel's
side of writing the WAL (pwrite) is not counted. Needs valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from helpline.store import SQLiteStore  # noqa: E402
from helpline.store.base import Outgoing, TurnRecord  # noqa: E402

TEXTS = ("i forgot my password", "my card was declined", "how do I cancel my subscription",
         "결제가 안 돼요", "비밀번호를 잊어버렸어요")  # fmt: skip
ANSWER = (
    "You can cancel any time under **Profile icon > Account > Membership > Cancel"
    " membership**. You keep watching until the end of the period you've paid for, and"
    " nothing more is charged. Your profiles and history are kept for 10 months."
)


def turn(cid: str, text: str, seq: int, status: str) -> TurnRecord:
    decision: dict[str, Any] = {
        "decision": "answer", "language": "en", "intent": "cancel_subscription",
        "score": 98.47, "candidates": [("cancel_subscription", 98.47), ("billing_date", 10.0)],
        "mood": 0.0, "reasons": [], "action": None, "topic": "cancel_subscription",
    }  # fmt: skip
    body = {"text": ANSWER, "buttons": [{"label": "Pause", "payload": "/pause_subscription"}],
            "kind": "answer", "intent": "cancel_subscription", "decision": decision}  # fmt: skip
    state = {"status": status, "language": "en", "fallbacks_in_row": 0, "frustration": 0.0,
             "frustration_at": 1796347710.7450104, "recent_texts": [text],
             "last_answered": "cancel_subscription", "slots": {}}  # fmt: skip
    events = [("bot.decision", {**decision, "reply_to": seq})]
    return TurnRecord(cid, status, state, "en", [Outgoing("bot", body)], events, seq)


async def post(store: SQLiteStore, cid: str, round_no: int, i: int) -> None:
    text = TEXTS[(i + round_no) % len(TEXTS)]
    now = 2.0 + round_no
    appended, durable = await store.append_customer_message_early(
        cid, f"m{round_no}-{i}", {"text": text}, now
    )
    status = "queued" if (round_no * 7 + i) % 10 == 0 else appended.conversation.status
    await store.commit_turn(turn(cid, text, appended.message.seq, status), now)
    await durable


async def drive(conversations: int, rounds: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(os.path.join(folder, "store.db"))
        await store.open()
        ids = [
            (await store.create_conversation(token=f"t{i}", language="en", now=1.0)).id
            for i in range(conversations)
        ]
        for round_no in range(rounds):
            for start in range(0, conversations, concurrency):
                chunk = enumerate(ids[start : start + concurrency], start)
                await asyncio.gather(*(post(store, cid, round_no, i) for i, cid in chunk))
        await store.close()


def instructions(conversations: int, rounds: int, concurrency: int) -> int:
    command = [
        "valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
        sys.executable, __file__, "--drive",
        "--conversations", str(conversations), "--rounds", str(rounds),
        "--concurrency", str(concurrency),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--drive", action="store_true", help="only run the load (under valgrind)")
    args = parser.parse_args()
    if args.drive:
        asyncio.run(drive(args.conversations, args.rounds, args.concurrency[0]))
        return
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    messages = args.conversations * args.rounds
    for concurrency in args.concurrency:
        idle = instructions(args.conversations, 0, concurrency)
        loaded = instructions(args.conversations, args.rounds, concurrency)
        per = (loaded - idle) / messages
        print(f"{concurrency:3d} at once: {per:,.0f} instructions per message and its turn")


if __name__ == "__main__":
    main()
