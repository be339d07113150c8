"""What a long live-agent queue costs the bot: CPU per customer message, and one position
recompute, with 0, 1,000 and 2,600 conversations waiting and no agent online.

    .venv/bin/python bench/queue_depth.py [--depths 0 1000 2600] [--conversations 40] [--repeat 40]

For each depth: a fresh SQLite file, the repository's bot_rules/, the conversation service
and the live-agent desk wired as `helpline serve` wires them (in-process bus), and `depth`
conversations put in the line first (stored as escalated, told nobody is there, as a
handover with no agent online leaves them). Then `--conversations` customers each send 9
ordinary questions and one "talk to a human" (a handover: the queue grows during the run),
one message at a time (two such customers first, untimed), and the process's CPU time
(every thread: the store's too) is taken around each message: answered by the bot (bot_ms),
a handover (handover_ms: one of the questions escalates, or the last message does), or
written while in line (in_line_ms). Last, with nothing moving, the desk's pass after a
change (offers, places, agents' views: what every handover, every desk notice from another
node and every sweep tick runs) is timed `--repeat` times (desk_pass_ms), and the position
recompute inside it alone (recompute_ms).

The clock is fixed on a weekday at noon in the rules' time zone so that the desk is open and
the only reason nobody can take a conversation is that no agent is online. Figures are
medians (CPU per message also as the mean over every message); compare depths of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpline.actions import ActionStep
from helpline.bus import MemoryBus
from helpline.rules import load_rulebook
from helpline.service.conversation import ConversationService
from helpline.service.frames import Hello, MessageNew
from helpline.service.handoff import entry
from helpline.service.handoff.service import HandoffService
from helpline.service.rules_holder import RulesHolder
from helpline.store import SQLiteStore
from helpline.store.base import TurnRecord
from helpline.store.handoff import Escalation

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = (
    "I forgot my password", "my card was declined", "how do I cancel my subscription",
    "video keeps buffering", "can I download movies", "how many screens can I watch on",
    "change my plan", "add a profile for my kid", "why was I charged twice",
)  # fmt: skip
HANDOVER = "talk to a human"
# Wednesday 2 December 2026, 12:00 in Seoul: bot_rules' business hours are open
NOON_SEOUL = datetime(2026, 12, 2, 3, 0, tzinfo=UTC).timestamp()


def fixed_clock() -> Callable[[], float]:
    started = time.monotonic()
    return lambda: NOON_SEOUL + (time.monotonic() - started)


async def _ignore(frame: Mapping[str, Any]) -> None:
    pass


async def fill(store: SQLiteStore, desk: HandoffService, depth: int, now: float) -> None:
    """`depth` conversations in the line as a handover with nobody online leaves them."""
    for n in range(depth):
        conversation = await store.create_conversation(token=f"w{n}", language="en", now=now)
        record = TurnRecord(conversation.id, "offline", {"status": "offline"}, "en")
        escalation = Escalation("general", ("normal", "high", "low")[n % 3], False, 0.0)
        _, ticket = await store.escalate(record, escalation, now + n * 0.001)
        row = entry.new_row(conversation.id, ticket.id, escalation, now + n * 0.001)
        desk.board.put(row)
        desk.board.mark_offline(conversation.id)
    await desk.changed()


async def bot_turns(
    conversations: ConversationService, desk: HandoffService, count: int
) -> dict[str, list[float]]:
    """CPU seconds of each message, by what it was: answered by the bot, a handover, or
    written while in line."""
    took: dict[str, list[float]] = {"bot": [], "handover": [], "in_line": []}
    for _ in range(count):
        started, _resumed = await conversations.start(Hello(None, 0, "en", None))
        for k, text in enumerate((*QUESTIONS, HANDOVER)):
            in_line, lined = started.id in desk.board.rows, len(desk.board.rows)
            before = time.process_time()
            await conversations.post_message(started.id, MessageNew(f"m{k}", text, None), _ignore)
            spent = time.process_time() - before
            kind = "in_line" if in_line else "handover" if len(desk.board.rows) > lined else "bot"
            took[kind].append(spent)
    return took


async def recompute(desk: HandoffService, repeat: int) -> tuple[float, float]:
    """Median CPU seconds of the desk's pass after a change, and of the position recompute
    inside it, with nothing moved."""
    passes, places = [], []
    for _ in range(repeat):
        before = time.process_time()
        await desk.changed()
        passes.append(time.process_time() - before)
        before = time.process_time()
        await desk._tell_places()
        places.append(time.process_time() - before)
        await asyncio.sleep(0)  # the agents' view refresh the pass scheduled
    return statistics.median(passes), statistics.median(places)


async def one_depth(root: Path, depth: int, count: int, repeat: int) -> dict[str, float]:
    store = SQLiteStore(root / f"depth{depth}.db")
    await store.open()
    clock, bus = fixed_clock(), MemoryBus()
    rules = RulesHolder(load_rulebook(REPO / "bot_rules"))
    conversations = ConversationService(store, bus, rules, clock, actions=ActionStep())
    desk = HandoffService(store, bus, rules, clock, conversations.locks)
    await desk.start()
    conversations.handoff = desk
    try:
        await fill(store, desk, depth, clock())
        await bot_turns(conversations, desk, 2)  # untimed: first-use costs of the matcher
        took = await bot_turns(conversations, desk, count)
        pass_s, places_s = await recompute(desk, repeat)
    finally:
        await desk.stop()
        await store.close()
    every = [spent for kind in took.values() for spent in kind]
    return {
        "waiting": depth,
        "cpu_ms_per_msg": sum(every) / len(every) * 1000,
        **{f"{kind}_ms": statistics.median(spent) * 1000 for kind, spent in took.items()},
        "desk_pass_ms": pass_s * 1000,
        "recompute_ms": places_s * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[0, 1000, 2600])
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    print(f"bench/queue_depth.py --depths {' '.join(map(str, args.depths))}"
          f" --conversations {args.conversations} --repeat {args.repeat}")  # fmt: skip
    columns = ("waiting", "cpu_ms_per_msg", "bot_ms", "handover_ms", "in_line_ms",
               "desk_pass_ms", "recompute_ms")  # fmt: skip
    print("  ".join(f"{c:>14s}" for c in columns))
    with tempfile.TemporaryDirectory() as tmp:
        for depth in args.depths:
            row = asyncio.run(one_depth(Path(tmp), depth, args.conversations, args.repeat))
            print("  ".join(f"{row[c]:14.3f}" for c in columns))
    print("(CPU ms: per message the mean over every message; the others medians)")


if __name__ == "__main__":
    main()
