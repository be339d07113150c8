"""The in-process bus: one node, subscribers are bounded in-memory queues."""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable

from helpline.bus.base import Frame
from helpline.errors import BusOverflowError

log = logging.getLogger(__name__)

class MemorySubscription:
    """A topic's frames for one holder, in order, bounded.

    Frames wait in a deque made for the first one and dropped once it is drained, and a
    holder waiting for the next frame waits on one future: an idle subscription, one per
    greeted customer socket, holds neither. An asyncio.Queue kept per subscription was four
    deques, about 2.8 KiB of each idle socket's memory (bench/idle_sockets.py).
    """

    __slots__ = ("_bus", "_frames", "_maxsize", "_waiter", "_wake", "overflowed", "topic")

    def __init__(self, bus: MemoryBus, topic: str, maxsize: int) -> None:
        self._bus = bus
        self.topic = topic
        # Bounded so a stalled socket cannot grow memory without limit; it gets cut off
        # and resumes from its last seq instead.
        self._maxsize = maxsize
        self._frames: collections.deque[Frame] | None = None
        self._waiter: asyncio.Future[None] | None = None  # a get() waiting for a frame
        self._wake: Callable[[], None] | None = None  # or a holder told of every frame
        self.overflowed = False

    def notify(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def offer(self, frame: Frame) -> None:
        if self.overflowed:
            return
        frames = self._frames
        if frames is None:
            frames = self._frames = collections.deque()
        if len(frames) >= self._maxsize:
            self.overflowed = True
            self._frames = None  # the holder resumes from the store: the backlog is no use
        else:
            frames.append(frame)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        elif self._wake is not None:
            self._wake()

    async def get(self) -> Frame:
        while (frame := self.get_nowait()) is None:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return frame

    def get_nowait(self) -> Frame | None:
        """The next frame if one is already here (None if not), without waiting."""
        if self.overflowed:
            raise BusOverflowError(self.topic)
        frames = self._frames
        if not frames:
            return None
        frame = frames.popleft()
        if not frames:
            self._frames = None
        return frame

    async def close(self) -> None:
        self._bus.unsubscribe(self)


class MemoryBus:
    def __init__(self, queue_size: int = 1000) -> None:
        # a tuple per topic, replaced on each change: publish reads it without a copy, and
        # a conversation's one subscriber costs 48 bytes instead of a set's 216
        self._topics: dict[str, tuple[MemorySubscription, ...]] = {}
        self._queue_size = queue_size

    async def publish(self, topic: str, frame: Frame) -> None:
        for subscription in self._topics.get(topic, ()):
            subscription.offer(frame)

    async def subscribe(self, topic: str) -> MemorySubscription:
        subscription = MemorySubscription(self, topic, self._queue_size)
        self._topics[topic] = (*self._topics.get(topic, ()), subscription)
        return subscription

    def unsubscribe(self, subscription: MemorySubscription) -> None:
        subscribers = self._topics.get(subscription.topic)
        if subscribers is None:
            return
        left = tuple(held for held in subscribers if held is not subscription)
        if left:
            self._topics[subscription.topic] = left
        else:
            del self._topics[subscription.topic]

    def subscriber_count(self, topic: str) -> int:
        return len(self._topics.get(topic, ()))

    async def ping(self) -> None:
        """In-process: always there while the node is."""

    async def close(self) -> None:
        self._topics.clear()
