"""The bus contract on the in-process bus and on Redis; Redis between nodes; cross-node locks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from helpline.bus import Bus, MemoryBus, open_bus
from helpline.bus.base import PushSubscription
from helpline.bus.peer_map import PeerMap
from helpline.bus.redis import RedisBus
from helpline.bus.redis_lock import LockTimeoutError, RedisLockRegistry
from helpline.bus.worker_bus import WorkerBus
from helpline.errors import BusOverflowError, BusUnavailableError, ConfigError
from helpline.settings import Settings

WAIT_S = 5.0


async def next_frame(subscription: Any) -> Any:
    return await asyncio.wait_for(subscription.get(), WAIT_S)


@pytest.fixture(params=["memory", "redis", "worker"])
async def bus(
    request: pytest.FixtureRequest, redis_prefix: str, tmp_path: Path
) -> AsyncIterator[Bus]:
    if request.param == "memory":
        opened: Bus = MemoryBus(queue_size=8)
    elif request.param == "redis":
        opened = RedisBus(
            request.getfixturevalue("redis_server"), prefix=redis_prefix, queue_size=8
        )
        await opened.open()
    else:  # a worker of `serve --workers N`, alone on its machine
        opened = WorkerBus(
            request.getfixturevalue("redis_server"), PeerMap(tmp_path / "node.peers"),
            prefix=redis_prefix, queue_size=8,
        )  # fmt: skip
        await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def node_buses(redis_server: str, redis_prefix: str) -> AsyncIterator[list[RedisBus]]:
    """Two nodes' buses on one Redis."""
    buses = [RedisBus(redis_server, prefix=redis_prefix) for _ in range(2)]
    for b in buses:
        await b.open()
    yield buses
    for b in buses:
        await b.close()


@pytest.fixture
async def redis_client(redis_server: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server)
    yield client
    await client.aclose()


async def test_frame_reaches_every_subscriber_of_its_topic(bus: Bus) -> None:
    first, second = await bus.subscribe("conversation:c1"), await bus.subscribe("conversation:c1")
    await bus.publish("conversation:c1", {"type": "message.new", "seq": 1, "text": "안녕"})
    assert await next_frame(first) == await next_frame(second) == {
        "type": "message.new", "seq": 1, "text": "안녕",
    }  # fmt: skip


async def test_frames_arrive_in_the_order_they_were_published(bus: Bus) -> None:
    subscription = await bus.subscribe("t")
    for seq in range(1, 6):
        await bus.publish("t", {"seq": seq})
    assert [(await next_frame(subscription))["seq"] for _ in range(5)] == [1, 2, 3, 4, 5]


async def test_subscriber_gets_nothing_of_another_topic(bus: Bus) -> None:
    mine = await bus.subscribe("mine")
    await bus.subscribe("other")
    await bus.publish("other", {"n": "not for me"})
    await bus.publish("mine", {"n": "marker"})
    assert await next_frame(mine) == {"n": "marker"}


async def test_closed_subscription_is_forgotten(bus: Bus) -> None:
    subscription = await bus.subscribe("t")
    await subscription.close()
    assert bus.subscriber_count("t") == 0  # type: ignore[attr-defined]


async def test_subscriber_that_falls_behind_is_told_so(bus: Bus) -> None:
    subscription = await bus.subscribe("t")
    for seq in range(20):  # queue_size is 8
        await bus.publish("t", {"seq": seq})
    marker = await bus.subscribe("t")
    await bus.publish("t", {"seq": "marker"})
    while (await next_frame(marker))["seq"] != "marker":
        pass  # every frame before it has been handed out to `subscription` too
    with pytest.raises(BusOverflowError):
        while True:
            await next_frame(subscription)


async def test_subscriber_is_woken_for_frames_and_takes_them_without_waiting(bus: Bus) -> None:
    subscription = await bus.subscribe("t")
    assert isinstance(subscription, PushSubscription)  # a customer socket needs no task
    woken = asyncio.Event()
    subscription.notify(woken.set)
    assert subscription.get_nowait() is None
    for seq in (1, 2):
        await bus.publish("t", {"seq": seq})
    await asyncio.wait_for(woken.wait(), WAIT_S)
    taken = [subscription.get_nowait()]
    while len(taken) < 2:  # through Redis the second may come a moment later
        woken.clear()
        if (frame := subscription.get_nowait()) is None:
            await asyncio.wait_for(woken.wait(), WAIT_S)
            continue
        taken.append(frame)
    assert taken == [{"seq": 1}, {"seq": 2}]
    assert subscription.get_nowait() is None


async def test_frame_published_on_one_node_reaches_subscribers_on_both(
    node_buses: list[RedisBus],
) -> None:
    here, there = node_buses
    subscriptions = [await b.subscribe("conversation:c1") for b in (here, there)]
    await here.publish("conversation:c1", {"type": "message.new", "seq": 7})
    assert [await next_frame(s) for s in subscriptions] == [{"type": "message.new", "seq": 7}] * 2


async def test_buses_with_different_prefixes_do_not_hear_each_other(redis_server: str) -> None:
    blue, green = RedisBus(redis_server, prefix="blue:"), RedisBus(redis_server, prefix="green:")
    await blue.open()
    await green.open()
    try:
        heard = await green.subscribe("t")
        await blue.publish("t", {"n": "blue"})
        await green.publish("t", {"n": "green"})
        assert await next_frame(heard) == {"n": "green"}
    finally:
        await blue.close()
        await green.close()


async def test_unreachable_redis_fails_at_open_naming_it_without_its_password() -> None:
    bus = RedisBus("unix://:s3cret@/nonexistent-dir/redis.sock")
    with pytest.raises(BusUnavailableError) as info:
        await bus.open()
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "kind"),
    [("memory://", MemoryBus), ("", MemoryBus), ("redis://cache:6379/0", RedisBus),
     ("unix:///run/redis.sock", RedisBus)],
)  # fmt: skip
def test_open_bus_chooses_the_bus_its_url_names(url: str, kind: type) -> None:
    assert isinstance(open_bus(url), kind)


def test_open_bus_refuses_an_unknown_scheme_naming_the_setting() -> None:
    with pytest.raises(ConfigError) as info:
        open_bus("kafka://broker")
    assert info.value.setting == "redis_url"


async def test_subscriptions_are_told_frames_may_be_lost_when_the_link_to_redis_breaks(
    node_buses: list[RedisBus], redis_client: Redis
) -> None:
    bus = node_buses[0]
    subscription = await bus.subscribe("t")
    await redis_client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    with pytest.raises(BusOverflowError):
        await next_frame(subscription)
    again = await bus.subscribe("t2")
    await bus.publish("t2", {"n": 1})
    assert await next_frame(again) == {"n": 1}


async def test_a_pushed_subscription_is_woken_when_the_link_to_redis_breaks(
    node_buses: list[RedisBus], redis_client: Redis
) -> None:
    subscription = await node_buses[0].subscribe("t")
    woken = asyncio.Event()
    subscription.notify(woken.set)
    await redis_client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    await asyncio.wait_for(woken.wait(), WAIT_S)
    with pytest.raises(BusOverflowError):
        subscription.get_nowait()


async def test_nodes_holding_one_conversation_lock_never_overlap(
    redis_server: str, redis_prefix: str
) -> None:
    clients = [Redis.from_url(redis_server) for _ in range(2)]
    locks = [RedisLockRegistry(c, prefix=redis_prefix) for c in clients]
    trace: list[str] = []

    async def turn(n: int) -> None:
        async with locks[n % 2].hold("c1"):
            trace.append("in")
            await asyncio.sleep(0)  # let every other task run while this one holds it
            trace.append("out")

    try:
        await asyncio.gather(*(turn(n) for n in range(20)))
    finally:
        for c in clients:
            await c.aclose()
    assert trace == ["in", "out"] * 20


async def test_lock_left_by_a_dead_node_is_taken_once_it_expires(
    redis_client: Redis, redis_prefix: str
) -> None:
    await redis_client.set(f"{redis_prefix}lock:c1", "dead-node", px=200)
    locks = RedisLockRegistry(redis_client, prefix=redis_prefix, wait_s=WAIT_S)
    async with locks.hold("c1"):
        assert await redis_client.get(f"{redis_prefix}lock:c1") != b"dead-node"


async def test_lock_held_past_its_expiry_is_kept_from_other_nodes(
    redis_server: str, redis_prefix: str
) -> None:
    holder_client, other_client = Redis.from_url(redis_server), Redis.from_url(redis_server)
    holder = RedisLockRegistry(holder_client, prefix=redis_prefix, ttl_s=0.15)
    other = RedisLockRegistry(other_client, prefix=redis_prefix, wait_s=0.6)
    try:
        async with holder.hold("c1"):
            with pytest.raises(LockTimeoutError):
                async with other.hold("c1"):
                    pass
    finally:
        await holder_client.aclose()
        await other_client.aclose()


async def test_a_holder_past_its_expiry_does_not_free_the_next_holders_lock(
    redis_client: Redis, redis_prefix: str
) -> None:
    locks = RedisLockRegistry(redis_client, prefix=redis_prefix)
    name = f"{redis_prefix}lock:c1"
    async with locks.hold("c1"):
        await redis_client.set(name, "next-holder")  # ours expired; another node took it
    assert await redis_client.get(name) == b"next-holder"


@pytest.mark.parametrize("url", ["http://cache:6379", "localhost:6379", ""])
def test_settings_refuse_a_redis_url_that_is_not_one(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings(rules_dir=tmp_path, database_url="helpline.db", redis_url=url)
    assert info.value.setting == "redis_url"
