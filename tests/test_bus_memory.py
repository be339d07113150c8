"""The in-process bus: frames waiting for a subscriber can be taken without waiting."""

from __future__ import annotations

import asyncio

import pytest

from helpline.bus import MemoryBus
from helpline.errors import BusOverflowError


async def test_waiting_frames_are_taken_in_order_without_waiting() -> None:
    bus = MemoryBus()
    subscription = await bus.subscribe("t")
    await bus.publish("t", {"n": 1})
    await bus.publish("t", {"n": 2})
    assert await subscription.get() == {"n": 1}
    assert subscription.get_nowait() == {"n": 2}


async def test_nothing_waiting_is_none() -> None:
    subscription = await MemoryBus().subscribe("t")
    assert subscription.get_nowait() is None


async def test_subscriber_that_fell_behind_is_told_without_waiting() -> None:
    bus = MemoryBus(queue_size=2)
    subscription = await bus.subscribe("t")
    for n in range(3):
        await bus.publish("t", {"n": n})
    with pytest.raises(BusOverflowError):
        while subscription.get_nowait() is not None:
            pass


async def test_waiting_subscriber_gets_the_frame_published_meanwhile() -> None:
    bus = MemoryBus()
    subscription = await bus.subscribe("t")
    waiting = asyncio.ensure_future(subscription.get())
    await asyncio.sleep(0)  # the get() is waiting now
    await bus.publish("t", {"n": 1})
    assert await asyncio.wait_for(waiting, 5) == {"n": 1}


async def test_waiting_subscriber_that_falls_behind_is_told() -> None:
    bus = MemoryBus(queue_size=1)
    subscription = await bus.subscribe("t")
    waiting = asyncio.ensure_future(subscription.get())
    await asyncio.sleep(0)
    subscription.offer({"n": 1})
    subscription.offer({"n": 2})  # over the bound before the waiting get() ran
    with pytest.raises(BusOverflowError):
        await asyncio.wait_for(waiting, 5)
