"""The bus contract: publish a frame to a topic, subscribe to a topic's frames."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

Frame = Mapping[str, Any]


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


class Subscription(Protocol):
    async def get(self) -> Frame:
        """The next frame; raises BusOverflowError if this subscriber fell too far behind."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class PushSubscription(Subscription, Protocol):
    """A subscription that says when frames come, so its holder needs no task waiting in
    get() (an idle customer socket: bench/idle_sockets.py)."""

    def get_nowait(self) -> Frame | None:
        """The next frame if one is here, else None; BusOverflowError as get()."""
        ...

    def notify(self, wake: Callable[[], None]) -> None:
        """Call wake() whenever a frame comes (or the subscriber fell behind)."""
        ...


class Bus(Protocol):
    async def publish(self, topic: str, frame: Frame) -> None:
        """Deliver frame to every current subscriber of topic (at most once, in order)."""
        ...

    async def subscribe(self, topic: str) -> Subscription:
        """Frames published from now on; close the subscription when done."""
        ...

    async def ping(self) -> None:
        """Return once the bus's backend answered; BusUnavailableError if it cannot."""
        ...

    async def close(self) -> None: ...
