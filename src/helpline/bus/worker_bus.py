"""The bus of the workers of one machine: a frame goes to this worker's own subscribers
directly, and through Redis only when another worker listens to its topic."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from pathlib import Path

from redis.exceptions import RedisError

from helpline.bus.base import Frame
from helpline.bus.peer_map import PeerMap, stripe
from helpline.bus.redis import CONFIRM_TIMEOUT_S, RedisBus
from helpline.errors import BusOverflowError

log = logging.getLogger(__name__)


class WorkerBus(RedisBus):
    """RedisBus for workers that share a PeerMap: what RedisBus guarantees, without the
    round trip through Redis for a worker's own subscribers.

    Through Redis every worker saw a topic's frames in Redis's one order. Delivered at
    once here, a worker's frames could overtake another worker's that Redis has taken but
    this worker not yet read: a conversation's turn on worker B, right after worker A's
    turn (which published under the lock and returned once Redis had the frames), would
    show its answer before A's. So before delivering here, publish() catches up: when the
    peer map says another worker sent frames on the topic's stripe that this one has not
    heard, it sends a PING on its listening connection and waits for the PONG, which
    Redis sends after every frame it took before. Frames sent to Redis carry their
    sender's slot and its count on the stripe; a worker drops its own when they come back.
    """

    def __init__(
        self, url: str, peers: PeerMap, *, prefix: str = "helpline:", queue_size: int = 1000
    ) -> None:
        super().__init__(url, prefix=prefix, queue_size=queue_size)
        self.peers = peers
        self._heard: dict[tuple[int, int], int] = {}  # (slot, stripe) -> its count heard
        self._pongs: dict[bytes, tuple[str, asyncio.Future[None]]] = {}  # token -> topic

    async def close(self) -> None:
        await super().close()
        self.peers.close()

    async def publish(self, topic: str, frame: Frame) -> None:
        topic_stripe = stripe(topic)
        if self.has_subscribers(topic):
            await self._catch_up(topic, topic_stripe)
            await self._local.publish(topic, frame)
        if not self.peers.others_listen(topic_stripe):
            return
        count = self.peers.count_sent(topic_stripe)
        body = json.dumps(frame, ensure_ascii=False)
        try:
            await self._send_later(topic, f"{self.peers.slot} {count} {body}")
        except (RedisError, OSError) as exc:
            # at most once, as on RedisBus: the other workers' sockets catch up from the
            # store on their next resume
            log.warning("could not publish to Redis (%s); delivered on this worker only", exc)

    async def _catch_up(self, topic: str, topic_stripe: int) -> None:
        """Return once every frame on topic's stripe that another worker had sent before
        now was heard here: at once when the peer map says none is missing."""
        sent = self.peers.sent(topic_stripe)
        heard = self._heard
        if all(heard.get((slot, topic_stripe), 0) >= n for slot, n in sent.items()):
            return
        token = uuid.uuid4().hex.encode()
        ponged = asyncio.get_running_loop().create_future()
        self._pongs[token] = (topic, ponged)
        try:
            await self._pubsub.ping(token)
            await asyncio.wait_for(ponged, CONFIRM_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError, BusOverflowError) as exc:
            # the order here cannot be known: this topic's sockets resume from the store
            log.warning("could not catch up on %s (%s); its sockets resume", topic, exc)
            for subscription in self._subscribers.get(topic, ()):
                subscription.lose()
            return
        finally:
            self._pongs.pop(token, None)
        for slot, n in sent.items():
            key = (slot, topic_stripe)
            heard[key] = max(heard.get(key, 0), n)

    async def _listen(self, topic: str) -> None:
        topic_stripe = stripe(topic)
        self.peers.listen(topic_stripe)  # before Redis confirms: no frame sent after is lost
        try:
            await super()._listen(topic)
        except BaseException:
            self.peers.unlisten(topic_stripe)
            raise

    async def _unlisten(self, topic: str) -> None:
        self.peers.unlisten(stripe(topic))
        await super()._unlisten(topic)

    async def _received(self, topic: str, data: bytes) -> None:
        try:
            slot, count, body = data.split(b" ", 2)
            sender, n = int(slot), int(count)
            if sender == self.peers.slot:
                return  # this worker's own, delivered here when it was published
            frame = json.loads(body)
        except ValueError:
            log.warning("dropped a frame on %s that is not a worker's", topic)
            return
        key = (sender, stripe(topic))
        if n > self._heard.get(key, 0):
            self._heard[key] = n
        await self._local.publish(topic, frame)

    def _ponged(self, data: bytes) -> None:
        _, ponged = self._pongs.get(data, ("", None))
        if ponged is not None and not ponged.done():
            ponged.set_result(None)

    def _lose_all(self) -> None:
        super()._lose_all()
        for topic, ponged in self._pongs.values():  # no PONG comes on a broken connection
            if not ponged.done():
                ponged.set_exception(BusOverflowError(topic))


def worker_bus(url: str, lock_file: Path, *, prefix: str = "helpline:") -> WorkerBus:
    """The bus of a worker whose conversation locks are on lock_file, with the peer map
    beside it; BusUnavailableError when every slot of that map is taken."""
    return WorkerBus(url, PeerMap(lock_file.with_suffix(".peers")), prefix=prefix)
