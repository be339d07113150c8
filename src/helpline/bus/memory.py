"""The in-process bus: one node, subscribers are bounded asyncio queues."""

from __future__ import annotations

import asyncio
import logging

from helpline.bus.base import Frame
from helpline.errors import BusOverflowError

log = logging.getLogger(__name__)

_OVERFLOW: Frame = {"type": "__overflow__"}


class MemorySubscription:
    def __init__(self, bus: MemoryBus, topic: str, maxsize: int) -> None:
        self._bus = bus
        self.topic = topic
        # Bounded so a stalled socket cannot grow memory without limit; it gets cut off
        # and resumes from its last seq instead.
        self._queue: asyncio.Queue[Frame] = asyncio.Queue(maxsize)
        self.overflowed = False

    def offer(self, frame: Frame) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.overflowed = True
            self._queue.get_nowait()  # make room for the marker that wakes a waiting get()
            self._queue.put_nowait(_OVERFLOW)

    async def get(self) -> Frame:
        if self.overflowed:
            raise BusOverflowError(self.topic)
        frame = await self._queue.get()
        if frame is _OVERFLOW:
            raise BusOverflowError(self.topic)
        return frame

    def get_nowait(self) -> Frame | None:
        """The next frame if one is already here (None if not), without waiting."""
        if self.overflowed:
            raise BusOverflowError(self.topic)
        if self._queue.empty():
            return None
        frame = self._queue.get_nowait()
        if frame is _OVERFLOW:
            raise BusOverflowError(self.topic)
        return frame

    async def close(self) -> None:
        self._bus.unsubscribe(self)


class MemoryBus:
    def __init__(self, queue_size: int = 1000) -> None:
        self._topics: dict[str, set[MemorySubscription]] = {}
        self._queue_size = queue_size

    async def publish(self, topic: str, frame: Frame) -> None:
        for subscription in tuple(self._topics.get(topic, ())):
            subscription.offer(frame)

    async def subscribe(self, topic: str) -> MemorySubscription:
        subscription = MemorySubscription(self, topic, self._queue_size)
        self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: MemorySubscription) -> None:
        subscribers = self._topics.get(subscription.topic)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._topics[subscription.topic]

    def subscriber_count(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    async def ping(self) -> None:
        """In-process: always there while the node is."""

    async def close(self) -> None:
        self._topics.clear()
