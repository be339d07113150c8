"""What the conversations view's ?sla= filter costs before its query: the ticket desk
working out every unsolved ticket's SLA timers now, as GET /api/tickets and the breach
check do.

Opens --tickets unsolved tickets (handed to a team at times spread over the last --hours
hours, so some are ok, some amber, some breached) in a fresh SQLite store, with the
repository's bot_rules/ (its SLA policies and business hours), then times
TicketDesk.conversations_in_sla_state(("breached",)) and, for comparison in the same run,
the store's read of the same tickets alone (ticket_list). Median of --runs runs each.
Usage:
    .venv/bin/python bench/sla_filter.py [--tickets 5000] [--hours 12] [--runs 9]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from helpline.rules.loader import load_rulebook
from helpline.service.rules_holder import RulesHolder
from helpline.service.sla.tickets import MAX_CHECKED, TicketDesk
from helpline.store import SQLiteStore
from helpline.store.base import TurnRecord
from helpline.store.handoff import Escalation
from helpline.store.tickets import UNSOLVED

RULES = Path(__file__).resolve().parent.parent / "bot_rules"
TEAMS = ("general", "billing", "account", "tech")


async def opened(store: SQLiteStore, count: int, now: float, hours: float) -> None:
    for n in range(count):
        at = now - hours * 3600 * (n + 1) / count
        made = await store.create_conversation(token=f"t{n}", language="en", now=at)
        record = TurnRecord(made.id, "queued", {}, "en", messages=[])
        await store.escalate(record, Escalation(TEAMS[n % len(TEAMS)], "normal", False, 0.0), at)


async def median_ms(action: Callable[[], Awaitable[Any]], runs: int) -> float:
    await action()  # untimed: caches warm
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        spent.append((time.perf_counter() - started) * 1000)
    return statistics.median(spent)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=MAX_CHECKED)
    parser.add_argument("--hours", type=float, default=12.0)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    now = time.time()
    holder = RulesHolder(load_rulebook(RULES))
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "sla.db")
        await store.open()
        try:
            started = time.perf_counter()
            await opened(store, args.tickets, now, args.hours)
            spent = time.perf_counter() - started
            print(f"{args.tickets} unsolved tickets opened in {spent:.1f} s")
            # the desk's other parts (the live queue) are not used by this read
            desk = TicketDesk(store, holder, lambda: now, desk=None)  # type: ignore[arg-type]
            breaching = await desk.conversations_in_sla_state(("breached",))
            read = await median_ms(
                lambda: store.ticket_list(UNSOLVED, None, MAX_CHECKED), args.runs
            )
            timed = await median_ms(
                lambda: desk.conversations_in_sla_state(("breached",)), args.runs
            )
        finally:
            await store.close()
    print(f"breaching now: {len(breaching)} of {args.tickets}")
    print(f"median ms over {args.runs} runs: read only {read:.1f}, read + timers {timed:.1f}"
          f" ({timed / read:.1f}x the read)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
