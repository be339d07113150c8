"""The bus of the workers of one machine: each worker's own subscribers get its frames
directly, other workers through Redis, every conversation's frames in lock order."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from helpline.bus.peer_map import PeerMap, stripe
from helpline.bus.worker_bus import WorkerBus
from helpline.errors import BusOverflowError

WAIT_S = 5.0
TOPIC = "conversation:c1"


async def next_frame(subscription: Any) -> Any:
    return await asyncio.wait_for(subscription.get(), WAIT_S)


@pytest.fixture
async def workers(
    tmp_path: Path, redis_server: str, redis_prefix: str
) -> AsyncIterator[list[WorkerBus]]:
    """Two workers' buses on one Redis and one peer map."""
    buses = [WorkerBus(redis_server, PeerMap(tmp_path / "node.peers"), prefix=redis_prefix)
             for _ in range(2)]  # fmt: skip
    for bus in buses:
        await bus.open()
    yield buses
    for bus in buses:
        await bus.close()


@pytest.fixture
async def redis_listener(redis_server: str, redis_prefix: str) -> AsyncIterator[Any]:
    """A plain Redis subscriber to TOPIC's channel: it hears what goes through Redis."""
    client = Redis.from_url(redis_server)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(redis_prefix + TOPIC)
    yield pubsub
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await client.aclose()


async def heard_through_redis(pubsub: Any) -> bytes:
    while True:
        message = await asyncio.wait_for(pubsub.get_message(timeout=WAIT_S), WAIT_S)
        if message is not None:
            return bytes(message["data"])


def test_two_maps_of_one_file_claim_two_slots_and_a_closed_one_is_claimed_again(
    tmp_path: Path,
) -> None:
    first, second = PeerMap(tmp_path / "p"), PeerMap(tmp_path / "p")
    assert (first.slot, second.slot) == (0, 1)
    first.close()
    again = PeerMap(tmp_path / "p")
    assert again.slot == 0
    again.close()
    second.close()


def test_a_map_sees_what_the_other_workers_listen_to_not_its_own(tmp_path: Path) -> None:
    mine, theirs = PeerMap(tmp_path / "p"), PeerMap(tmp_path / "p")
    mine.listen(stripe(TOPIC))
    assert (mine.others_listen(stripe(TOPIC)), theirs.others_listen(stripe(TOPIC))) == (
        False, True,
    )  # fmt: skip
    mine.unlisten(stripe(TOPIC))
    assert not theirs.others_listen(stripe(TOPIC))
    mine.close()
    theirs.close()


def test_a_killed_workers_slot_is_claimed_again_with_its_listening_cleared_and_counts_kept(
    tmp_path: Path,
) -> None:
    path, here = tmp_path / "p", stripe(TOPIC)
    code = (
        "import sys; from helpline.bus.peer_map import PeerMap\n"
        f"m = PeerMap({str(path)!r}); m.listen({here}); m.count_sent({here})\n"
        "print(m.slot, flush=True); sys.stdin.read()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env={**os.environ})  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "0"
    other = PeerMap(path)
    assert other.slot == 1 and other.others_listen(here)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=WAIT_S)
    child.stdout.close()
    assert child.stdin is not None
    child.stdin.close()

    successor = PeerMap(path)

    assert successor.slot == 0
    assert not other.others_listen(here)
    assert other.sent(here) == {0: 1}
    successor.close()
    other.close()


async def test_a_frame_on_one_worker_reaches_subscribers_on_both(
    workers: list[WorkerBus],
) -> None:
    here, there = workers
    subscriptions = [await bus.subscribe(TOPIC) for bus in (here, there)]
    await here.publish(TOPIC, {"type": "message.new", "seq": 7, "text": "안녕"})
    for subscription in subscriptions:
        assert await next_frame(subscription) == {"type": "message.new", "seq": 7, "text": "안녕"}


async def test_a_frame_only_its_own_worker_listens_to_does_not_go_through_redis(
    workers: list[WorkerBus], redis_listener: Any
) -> None:
    here, there = workers
    mine = await here.subscribe(TOPIC)
    await here.publish(TOPIC, {"seq": 1})
    assert await next_frame(mine) == {"seq": 1}
    await there.subscribe(TOPIC)  # now another worker listens: Redis carries the next one
    await here.publish(TOPIC, {"seq": 2})

    assert b'{"seq": 2}' in await heard_through_redis(redis_listener)
    assert await next_frame(mine) == {"seq": 2}


async def test_a_worker_delivers_its_own_frame_once_when_another_listens_too(
    workers: list[WorkerBus],
) -> None:
    here, there = workers
    mine = await here.subscribe(TOPIC)
    theirs = await there.subscribe(TOPIC)
    for seq in (1, 2):
        await here.publish(TOPIC, {"seq": seq})
    await there.publish(TOPIC, {"seq": 3})

    assert [(await next_frame(mine))["seq"] for _ in range(3)] == [1, 2, 3]
    assert [(await next_frame(theirs))["seq"] for _ in range(3)] == [1, 2, 3]


async def test_turns_taken_in_turn_on_two_workers_are_seen_in_that_order_on_both(
    workers: list[WorkerBus],
) -> None:
    subscriptions = [await bus.subscribe(TOPIC) for bus in workers]
    turns = 40
    for seq in range(turns):  # each returns once Redis has it, as under the lock
        await workers[seq % 2].publish(TOPIC, {"seq": seq})

    for subscription in subscriptions:
        assert [(await next_frame(subscription))["seq"] for _ in range(turns)] == list(
            range(turns)
        )


async def test_a_workers_frame_does_not_overtake_one_redis_took_from_another_before(
    tmp_path: Path, redis_server: str, redis_prefix: str
) -> None:
    """Another worker's turn published and returned (Redis has its frames) while this
    worker's loop was busy and read none of them; this worker's next turn, delivered to
    its own socket at once, must come after them."""
    there = WorkerBus(redis_server, PeerMap(tmp_path / "node.peers"), prefix=redis_prefix)
    await there.open()
    theirs = await there.subscribe(TOPIC)

    async def other_workers_turn() -> None:
        here = WorkerBus(redis_server, PeerMap(tmp_path / "node.peers"), prefix=redis_prefix)
        await here.open()
        try:
            for seq in range(3):
                await here.publish(TOPIC, {"seq": seq})
        finally:
            await here.close()

    # on a thread with a loop of its own, joined from this loop: this one stands still
    other = threading.Thread(target=asyncio.run, args=(other_workers_turn(),))
    other.start()
    other.join(WAIT_S)
    await there.publish(TOPIC, {"seq": 3})

    try:
        assert [(await next_frame(theirs))["seq"] for _ in range(4)] == [0, 1, 2, 3]
    finally:
        await there.close()


async def test_subscriptions_are_told_frames_may_be_lost_when_the_link_to_redis_breaks(
    workers: list[WorkerBus], redis_server: str
) -> None:
    here, there = workers
    mine = await here.subscribe(TOPIC)
    await there.subscribe(TOPIC)
    await there.publish(TOPIC, {"seq": 1})
    assert await next_frame(mine) == {"seq": 1}
    client = Redis.from_url(redis_server)
    try:
        await client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    finally:
        await client.aclose()

    with pytest.raises(BusOverflowError):
        await next_frame(mine)
    again = await here.subscribe("conversation:c2")
    await here.publish("conversation:c2", {"seq": 1})
    assert await next_frame(again) == {"seq": 1}
