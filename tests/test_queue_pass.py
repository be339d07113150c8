"""The desk's pass after a change (HandoffService.changed) sends what changed and nothing
else: no frame, to customers or consoles, when nothing moved."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from handoff_kit import Clock, desk_rulebook
from helpline.bus import MemoryBus
from helpline.bus.base import conversation_topic
from helpline.bus.locks import LockRegistry
from helpline.errors import BusUnavailableError
from helpline.service.handoff import entry, topics
from helpline.service.handoff.service import HandoffService
from helpline.service.rules_holder import RulesHolder
from helpline.store import SQLiteStore
from helpline.store.agents import Agent
from helpline.store.base import TurnRecord
from helpline.store.handoff import Escalation


class RecordingBus(MemoryBus):
    """The in-process bus, noting every frame published."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, Mapping[str, Any]]] = []
        self.fail_next: str | None = None  # a topic whose next publish fails, as Redis's may

    async def publish(self, topic: str, frame: Mapping[str, Any]) -> None:
        if topic == self.fail_next:
            self.fail_next = None
            raise BusUnavailableError("publish", "connection lost")
        self.sent.append((topic, frame))
        await super().publish(topic, frame)


@pytest.fixture
async def desk(store: SQLiteStore) -> AsyncIterator[tuple[HandoffService, RecordingBus]]:
    bus = RecordingBus()
    service = HandoffService(store, bus, RulesHolder(desk_rulebook()), Clock(), LockRegistry())
    await service.start()
    try:
        yield service, bus
    finally:
        await service.stop()


async def wait_in_line(store: SQLiteStore, service: HandoffService, token: str) -> str:
    """A conversation handed over and waiting (stored, then on the board, as a handover),
    a second after the one before."""
    clock = service.clock
    assert isinstance(clock, Clock)
    clock.advance(1.0)
    now = clock()
    conversation = await store.create_conversation(token=token, language="en", now=now)
    record = TurnRecord(conversation.id, "queued", {"status": "queued"}, "en")
    escalation = Escalation("general", "normal", False, 0.0)
    _, ticket = await store.escalate(record, escalation, now)
    service.board.put(entry.new_row(conversation.id, ticket.id, escalation, now))
    return conversation.id


async def settled(service: HandoffService, bus: RecordingBus) -> list[tuple[str, Any]]:
    """A pass, its consoles' refresh included; what it published."""
    before = len(bus.sent)
    await service.changed()
    if service._flush is not None:
        await service._flush
    return bus.sent[before:]


async def test_a_pass_with_nothing_changed_sends_nothing(
    desk: tuple[HandoffService, RecordingBus], store: SQLiteStore
) -> None:
    service, bus = desk
    for n in range(5):
        await wait_in_line(store, service, f"t{n}")
    await settled(service, bus)

    assert await settled(service, bus) == []


async def test_a_conversation_joining_the_end_tells_only_its_own_customer(
    desk: tuple[HandoffService, RecordingBus], store: SQLiteStore
) -> None:
    service, bus = desk
    for n in range(5):
        await wait_in_line(store, service, f"t{n}")
    await settled(service, bus)

    last = await wait_in_line(store, service, "last")
    sent = await settled(service, bus)

    positions = [(topic, f["position"]) for topic, f in sent if f["type"] == "queue.position"]
    assert positions == [(conversation_topic(last), 6)]
    assert (topics.QUEUE, {"type": topics.QUEUE_CHANGED}) in sent


async def test_an_agent_given_a_team_has_the_consoles_refresh_their_views(
    desk: tuple[HandoffService, RecordingBus], store: SQLiteStore
) -> None:
    service, bus = desk
    agent = Agent("ann", "ann@desk.test", "Ann", ("billing",), "agent", 2, 0.0)
    service.board.know([agent])
    await settled(service, bus)

    service.board.know([replace(agent, teams=("billing", "general"))])

    assert await settled(service, bus) == [(topics.QUEUE, {"type": topics.QUEUE_CHANGED})]


async def test_a_place_that_could_not_be_sent_is_sent_at_the_next_pass(
    desk: tuple[HandoffService, RecordingBus], store: SQLiteStore
) -> None:
    service, bus = desk
    first = await wait_in_line(store, service, "first")
    bus.fail_next = conversation_topic(first)

    with pytest.raises(BusUnavailableError):
        await service.changed()
    sent = await settled(service, bus)

    assert [(t, f["position"]) for t, f in sent if f["type"] == "queue.position"] == [
        (conversation_topic(first), 1)
    ]
