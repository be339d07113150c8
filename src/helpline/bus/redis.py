"""The shared bus: Redis pub/sub between nodes, fanned out to each node's own subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from helpline.bus.base import Frame
from helpline.bus.memory import MemoryBus, MemorySubscription
from helpline.errors import BusOverflowError, BusUnavailableError

log = logging.getLogger(__name__)

CONFIRM_TIMEOUT_S = 10.0  # how long a subscribe may wait for Redis to confirm it
RETRY_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)  # between attempts to read after a failure
# Connections for commands (publish, the conversation locks). A command waits for a free
# one, up to POOL_WAIT_S: redis-py's default pool fails it at once past 100 in flight
# ("Too many connections"), and a node saturated at ~1,000 msg/s on 600 sockets got
# there, answering most messages with `unavailable`. Queued on 64, none failed.
POOL_SIZE = 64
POOL_WAIT_S = 10.0
_LOST: Frame = {"type": "__lost__"}  # wakes a waiting get() when frames may have been lost


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    password = urlsplit(url).password
    return url.replace(f":{password}@", ":***@", 1) if password else url


class RedisSubscription:
    """A topic's frames on this node. Raises BusOverflowError when it fell behind or when
    the link to Redis broke (frames may be missing): the holder resumes from the store.

    A PushSubscription, as the in-process bus's are: a customer socket then needs no task
    waiting in get(), and the frames of a turn that came together leave in one corked
    burst instead of one write each (each woke the waiting task for one frame)."""

    def __init__(self, bus: RedisBus, topic: str, local: MemorySubscription) -> None:
        self.topic = topic
        self._bus = bus
        self._local = local
        self._lost = False
        self._closed = False

    def lose(self) -> None:
        self._lost = True
        self._local.offer(_LOST)

    async def get(self) -> Frame:
        if self._lost:
            raise BusOverflowError(self.topic)
        frame = await self._local.get()
        if frame is _LOST:
            raise BusOverflowError(self.topic)
        return frame

    def get_nowait(self) -> Frame | None:
        if self._lost:
            raise BusOverflowError(self.topic)
        frame = self._local.get_nowait()
        if frame is _LOST:
            raise BusOverflowError(self.topic)
        return frame

    def notify(self, wake: Callable[[], None]) -> None:
        """wake() for every frame that comes, and when frames may have been lost."""
        self._local.notify(wake)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._local.close()
        await self._bus.release(self)


class RedisBus:
    """One connection per node listens (a Redis channel per topic with local subscribers,
    subscribed while it has any); a pool of connections publishes. Frames travel as JSON.

    publish() returns once Redis has the frame, so a node that publishes under a
    conversation's lock delivers in lock order everywhere. Channels are named
    prefix + topic, so several deployments (or tests) can share one Redis.
    """

    def __init__(self, url: str, *, prefix: str = "helpline:", queue_size: int = 1000) -> None:
        self.url = redacted(url)  # for messages; the password stays in the client
        self.prefix = prefix
        pool = BlockingConnectionPool.from_url(url, max_connections=POOL_SIZE, timeout=POOL_WAIT_S)
        self.client: Redis = Redis.from_pool(pool)  # shared with the node's cross-node locks
        self._pubsub = self.client.pubsub()
        self._local = MemoryBus(queue_size)
        self._subscribers: dict[str, set[RedisSubscription]] = {}
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._changing = asyncio.Lock()  # one subscribe/unsubscribe at a time, in order
        self._reader: asyncio.Task[None] | None = None
        # publishes waiting for the next pipeline: (channel, payload, settled once sent)
        self._outgoing: list[tuple[str, str, asyncio.Future[None]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connect and start listening; BusUnavailableError when Redis cannot be reached."""
        # a channel of the node's own keeps the listening connection subscribed (and read)
        # even while no socket is open
        own = f"{self.prefix}node:{uuid.uuid4().hex}"
        try:
            await self.client.ping()
            await self._pubsub.subscribe(own)
        except (RedisError, OSError) as exc:
            await self.client.aclose()
            raise BusUnavailableError(self.url, str(exc)) from exc
        assert self._pubsub.connection is not None
        self._pubsub.connection.register_connect_callback(self._reconnected)
        self._reader = asyncio.create_task(self._read(), name="helpline-redis-bus")

    async def close(self) -> None:
        if self._sender is not None:
            with contextlib.suppress(Exception):
                await self._sender
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.client.aclose()
        await self._local.close()

    async def ping(self) -> None:
        """Redis answers a PING (publish() falls back to this node alone, so it cannot say)."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as exc:
            raise BusUnavailableError(self.url, str(exc)) from exc

    async def publish(self, topic: str, frame: Frame) -> None:
        try:
            await self._send_later(topic, json.dumps(frame, ensure_ascii=False))
        except (RedisError, OSError) as exc:
            # at most once: sockets on other nodes miss it and catch up from the store on
            # their next resume; this node's own sockets still get it
            log.warning("could not publish to Redis (%s); delivering on this node only", exc)
            await self._local.publish(topic, frame)

    def _send_later(self, topic: str, payload: str) -> asyncio.Future[None]:
        """payload on topic's channel in the next pipeline; settled once Redis has it (a
        caller cancelled meanwhile leaves its frame in the batch)."""
        sent = asyncio.get_running_loop().create_future()
        self._outgoing.append((self.prefix + topic, payload, sent))
        if self._sender is None:
            self._sender = asyncio.create_task(self._send(), name="helpline-redis-publish")
        return sent

    async def _send(self) -> None:
        """What was published meanwhile, in order, one pipeline (one round trip) a batch.

        One PUBLISH per round trip cost about a quarter of a message's CPU with four frames
        a message (a pooled connection taken, a write, a read each); under load a batch
        carries the frames of every turn that published while the last one was out. One
        batch at a time keeps this node's frames in the order they were published."""
        try:
            while self._outgoing:
                batch, self._outgoing = self._outgoing, []
                try:
                    async with self.client.pipeline(transaction=False) as pipe:
                        for channel, payload, _ in batch:
                            pipe.publish(channel, payload)
                        await pipe.execute()
                except (RedisError, OSError) as exc:
                    _settle(batch, exc)
                else:
                    _settle(batch, None)
        finally:
            self._sender = None

    async def subscribe(self, topic: str) -> RedisSubscription:
        """Frames published from now on, on any node: returns once Redis confirmed."""
        if self._reader is None:
            raise BusUnavailableError(self.url, "the bus is not open")
        async with self._changing:
            if topic not in self._subscribers:
                await self._listen(topic)
                self._subscribers[topic] = set()
            subscription = RedisSubscription(self, topic, await self._local.subscribe(topic))
            self._subscribers[topic].add(subscription)
        return subscription

    async def release(self, subscription: RedisSubscription) -> None:
        async with self._changing:
            subscribers = self._subscribers.get(subscription.topic)
            if subscribers is None:
                return
            subscribers.discard(subscription)
            if subscribers:
                return
            del self._subscribers[subscription.topic]
            await self._unlisten(subscription.topic)

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    def has_subscribers(self, topic: str) -> bool:
        return topic in self._subscribers

    async def _listen(self, topic: str) -> None:
        channel = self.prefix + topic
        confirmed = asyncio.get_running_loop().create_future()
        self._confirmations[channel.encode()] = confirmed
        try:
            await self._pubsub.subscribe(channel)
            await asyncio.wait_for(confirmed, CONFIRM_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError) as exc:
            raise BusUnavailableError(self.url, f"cannot subscribe: {exc}") from exc
        finally:
            self._confirmations.pop(channel.encode(), None)

    async def _unlisten(self, topic: str) -> None:
        with contextlib.suppress(RedisError, OSError):  # gone with the connection anyway
            await self._pubsub.unsubscribe(self.prefix + topic)

    async def _read(self) -> None:
        failures = 0
        while True:
            try:
                message = await self._pubsub.get_message(timeout=None)
            except (RedisError, OSError) as exc:
                delay = RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S) - 1)]
                failures += 1
                log.warning("Redis bus connection failed (%s); retrying in %.1fs", exc, delay)
                self._lose_all()
                await asyncio.sleep(delay)  # back off: Redis is down, not a wait on a result
                continue
            failures = 0
            if message is not None:
                await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        channel: bytes = message["channel"]
        if message["type"] == "subscribe":
            confirmed = self._confirmations.get(channel)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            return
        if message["type"] == "pong":
            self._ponged(message["data"])
            return
        if message["type"] != "message":
            return
        await self._received(channel.decode()[len(self.prefix) :], message["data"])

    async def _received(self, topic: str, data: bytes) -> None:
        """A frame from Redis, to this node's subscribers of topic."""
        try:
            frame = json.loads(data)
        except ValueError:
            log.warning("dropped a frame on %s that is not JSON", topic)
            return
        await self._local.publish(topic, frame)

    def _ponged(self, data: bytes) -> None:
        """The answer to a PING sent on the listening connection (none here)."""

    async def _reconnected(self, connection: object) -> None:
        # redis-py reconnects and resubscribes by itself; what was published meanwhile is gone
        log.warning("Redis bus reconnected; open sockets resume from the store")
        self._lose_all()

    def _lose_all(self) -> None:
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription.lose()


def _settle(batch: list[tuple[str, str, asyncio.Future[None]]], exc: BaseException | None) -> None:
    for _, _, sent in batch:
        if sent.done():
            continue
        if exc is None:
            sent.set_result(None)
        else:
            sent.set_exception(exc)
