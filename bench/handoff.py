"""Live-agent queue figures: escalation-to-agent latency, and queue operations at scale.

1. Escalation to notification: N customers (default 200), one after another, each asks for a
   person over a real websocket; the time from sending that message until the agent's socket
   receives conversation.offered for it. Real app, real SQLite file, one node.
2. Queue operations with W customers waiting (default 1,000) and A agents online (50), on the
   service and a real SQLite file: enqueue (store + board), one position recompute after a
   change (with how many customers it had to tell), and one offer (assignment). Medians.

Usage: .venv/bin/python bench/handoff.py [ESCALATIONS] [WAITING] [AGENTS]
"""

from __future__ import annotations

import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from helpline.bus import MemoryBus
from helpline.bus.locks import LockRegistry
from helpline.routing import QueueSettings
from helpline.rules.model import Config, Intent, Rulebook
from helpline.service.handoff import entry
from helpline.service.handoff.service import HandoffService
from helpline.service.rules_holder import RulesHolder
from helpline.settings import ConnectionLimits, Limits, Settings
from helpline.store import SQLiteStore
from helpline.store.base import TurnRecord
from helpline.store.handoff import Escalation
from helpline.web.app import create_app
from helpline.web.auth import token_hash


def rulebook() -> Rulebook:
    texts = {k: {"en": k} for k in ("greeting", "fallback", "clarify", "handoff", "queued_wait")}
    human = Intent("talk_to_agent", "general", {"en": ("talk to a human",)}, {"en": "ok"})
    config = Config(
        languages=("en",), default_language="en", texts=texts,
        queue=QueueSettings(fallback_team="general", tick_s=3600.0),  # no sweep mid-measure
    )  # fmt: skip
    return Rulebook(config, (human,))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def add_agent(store: SQLiteStore, n: int, capacity: int) -> tuple[str, str]:
    agent = await store.create_agent(
        email=f"agent{n}@bench.test", name=f"Agent {n}", teams=("general",), role="agent",
        capacity=capacity, password_hash="-", now=time.time(),
    )  # fmt: skip
    token = secrets.token_urlsafe(32)
    await store.create_session(agent.id, token_hash(token), time.time() + 3600)
    return agent.id, token


async def escalation_latency(root: Path, count: int) -> list[float]:
    store = SQLiteStore(root / "latency.db")
    await store.open()
    _, token = await add_agent(store, 0, capacity=count + 1)
    settings = Settings(
        rules_dir=root / "none", database_url=str(root / "latency.db"), reload_interval_s=0,
        limits=Limits(burst=10_000, rate_per_s=10_000.0),
        # every simulated customer comes from 127.0.0.1
        connections=ConnectionLimits(sockets_per_address=10**6, new_conversations_per_minute=10**9),
    )  # fmt: skip
    client = TestClient(TestServer(create_app(settings, store=store, rulebook=rulebook())))
    await client.start_server()
    agent = await client.ws_connect("/ws/agent", headers={"Authorization": f"Bearer {token}"})
    took = []
    try:
        for n in range(count):
            took.append(await one_escalation(client, agent, n))
    finally:
        await agent.close()
        await client.close()
        await store.close()
    return took


async def one_escalation(
    client: TestClient, agent: aiohttp.ClientWebSocketResponse, n: int
) -> float:
    customer = await client.ws_connect("/ws/customer")
    await customer.send_json({"type": "session.hello", "token": None, "last_seq": 0})
    conversation = (await _until(customer, "session.ready"))["conversation"]
    started = time.perf_counter()
    await customer.send_json({"type": "message.new", "id": f"m{n}", "text": "talk to a human"})
    await _until(agent, "conversation.offered", conversation=conversation)
    took = time.perf_counter() - started
    await customer.close()
    return took


async def _until(ws: aiohttp.ClientWebSocketResponse, kind: str, **fields: Any) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
        if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
            return frame


class CountingBus(MemoryBus):
    def __init__(self) -> None:
        super().__init__()
        self.published = 0

    async def publish(self, topic: str, frame: Mapping[str, Any]) -> None:
        self.published += 1
        await super().publish(topic, frame)


async def queue_operations(root: Path, waiting: int, agents: int) -> dict[str, Any]:
    store = SQLiteStore(root / "queue.db")
    await store.open()
    bus = CountingBus()
    service = HandoffService(store, bus, RulesHolder(rulebook()), time.time, LockRegistry())
    await service.start()
    figures: dict[str, Any] = {}
    try:
        enqueue = [await enqueue_one(store, service, n) for n in range(waiting)]
        figures["enqueue_ms"] = statistics.median(enqueue[-100:]) * 1000
        await service.changed()  # everyone told their first place
        for n in range(agents):
            agent_id, _ = await add_agent(store, n, capacity=1)
            service.board.know([await store.agent(agent_id)])  # type: ignore[list-item]
            service.board.set_presence(agent_id, "online")
        figures.update(await recompute(service, bus))
        figures.update(await assignment(service, agents))
    finally:
        await service.stop()
        await store.close()
    return figures


async def enqueue_one(store: SQLiteStore, service: HandoffService, n: int) -> float:
    conversation = await store.create_conversation(token=f"t{n}", language="en", now=time.time())
    record = TurnRecord(conversation.id, "queued", {"status": "queued"}, "en")
    started = time.perf_counter()
    escalation = Escalation("general", "normal", False, 0.0)
    _, ticket = await store.escalate(record, escalation, time.time())
    service.board.put(entry.new_row(conversation.id, ticket.id, escalation, time.time()))
    return time.perf_counter() - started


async def recompute(service: HandoffService, bus: CountingBus) -> dict[str, Any]:
    """A new customer at the end of the line (one frame), and the head leaving (all move)."""
    for cid, place in service.board.places("general").items():
        service.board.told(cid, place)
    tail, head = [], []
    told_tail = told_head = 0
    for _ in range(20):
        before = bus.published
        started = time.perf_counter()
        await service._tell_places()  # nothing moved: the recompute alone
        tail.append(time.perf_counter() - started)
        told_tail += bus.published - before
        first = service.board.line("general")[0]
        service.board.drop(first.conversation_id)
        before = bus.published
        started = time.perf_counter()
        await service._tell_places()
        head.append(time.perf_counter() - started)
        told_head += bus.published - before
    return {
        "recompute_unchanged_ms": statistics.median(tail) * 1000,
        "frames_when_unchanged": told_tail / 20,
        "recompute_head_left_ms": statistics.median(head) * 1000,
        "frames_when_head_left": told_head / 20,
    }


async def assignment(service: HandoffService, agents: int) -> dict[str, Any]:
    started = time.perf_counter()
    await service.assign()  # every agent has one free seat: `agents` offers
    took = time.perf_counter() - started
    offered = sum(1 for r in service.board.rows.values() if r.state == "offered")
    return {
        "assign_pass_ms": took * 1000,
        "offers": offered,
        "per_offer_ms": took * 1000 / max(offered, 1),
    }


async def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    waiting = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    agents = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    with tempfile.TemporaryDirectory() as tmp:
        took = await escalation_latency(Path(tmp), count)
        print(f"escalation -> agent notified, {count} escalations:")
        median, p99 = statistics.median(took) * 1000, pct(took, 0.99) * 1000
        print(f"  median {median:.2f} ms   p99 {p99:.2f} ms")
        figures = await queue_operations(Path(tmp), waiting, agents)
    print(f"queue operations, {waiting} waiting, {agents} agents online:")
    for name, value in figures.items():
        print(f"  {name:26s} {value:.3f}")


if __name__ == "__main__":
    asyncio.run(main())
