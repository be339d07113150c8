"""/metrics of `helpline serve --workers 2`: whichever worker a scrape reaches, it gives
the node's figures, and a worker killed with -9 keeps its counts but not its sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from prometheus_client.parser import text_string_to_metric_families

from conftest import Customer
from test_workers import WAIT_S, Node, Pinned, _until_restarted, node, pinned

__all__ = ["node"]  # the fixture, shared with test_workers.py

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
CUSTOMER_MESSAGES = ("helpline_messages_total", (("sender", "customer"),))
GREETINGS = ("helpline_decisions_total", (("decision", "greeting"),))
OPEN_SOCKETS = ("helpline_websockets_open", ())


async def scrape(worker: Pinned) -> Samples:
    async with worker.session.get(f"{worker.url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scraped_until(worker: Pinned, key: tuple[str, tuple[tuple[str, str], ...]],
                        value: float) -> Samples:  # fmt: skip
    """A scrape showing `value` for `key`: the other worker writes down its open sockets
    every second (web/metrics_route.py), so that figure may be a second behind."""
    deadline = time.monotonic() + WAIT_S
    while True:
        found = await scrape(worker)
        if found.get(key) == value or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.2)


async def answered_customers(node: Node, pid: int, count: int) -> list[Pinned]:
    """`count` customers on worker `pid` answered once each, their sockets left open
    (each pinned session's one connection is its customer's socket, kept by the session)."""
    sessions = []
    for number in range(count):
        sessions.append(session := await pinned(node, to=pid))
        customer = await Customer.join(session)  # type: ignore[arg-type]
        session.customer = customer
        await customer.next_of("message.new", kind="greeting")
        await customer.say(f"m{number}", "I forgot my password")
        await asyncio.wait_for(customer.bot_reply(), WAIT_S)
    return sessions


async def test_a_scrape_of_either_worker_adds_up_both(node: Node) -> None:
    first = await pinned(node)  # the sessions scraping each worker
    second = await pinned(node, avoid=first.pid)
    customers = [  # two customers on the first worker, three on the second
        *await answered_customers(node, first.pid, 2),
        *await answered_customers(node, second.pid, 3),
    ]
    try:
        from_first = await scraped_until(first, OPEN_SOCKETS, 5.0)
        from_second = await scraped_until(second, OPEN_SOCKETS, 5.0)
    finally:
        for session in (first, second, *customers):
            await session.close()

    for found in (from_first, from_second):
        assert found[CUSTOMER_MESSAGES] == 5.0
        assert found[GREETINGS] == 5.0
        assert found[OPEN_SOCKETS] == 5.0
        assert found[("helpline_decide_seconds_count", ())] == 5.0


async def test_a_killed_workers_counts_stay_and_its_sockets_go(node: Node) -> None:
    doomed = await pinned(node)
    survivor = await pinned(node, avoid=doomed.pid)  # scrapes the worker left
    customers = [
        *await answered_customers(node, doomed.pid, 2),
        *await answered_customers(node, survivor.pid, 1),
    ]
    try:
        before = await scraped_until(survivor, OPEN_SOCKETS, 3.0)
        os.kill(doomed.pid, signal.SIGKILL)
        await _until_restarted(node, doomed.pid)
        after = await scraped_until(survivor, OPEN_SOCKETS, 1.0)
    finally:
        for session in (doomed, survivor, *customers):
            await session.close()
    assert await node.stop() == 0

    assert (before[CUSTOMER_MESSAGES], before[OPEN_SOCKETS]) == (3.0, 3.0)
    assert (after[CUSTOMER_MESSAGES], after[OPEN_SOCKETS]) == (3.0, 1.0)
