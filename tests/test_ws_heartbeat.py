"""The node's socket watch: heartbeats drop dead peers, read deadlines, no idle task."""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType

from conftest import WAIT_S, Customer
from helpline.settings import Limits
from helpline.web.keys import SOCKETS
from helpline.web.socket_watch import MAX_TICK_S, SocketWatch


async def test_a_peer_that_answers_no_ping_is_dropped(make_client: Any, make_settings: Any) -> None:
    limits = Limits(heartbeat_s=0.2, hello_timeout_s=60.0)
    client = await make_client(make_settings(limits=limits))
    ws = await client.ws_connect("/ws/customer", autoping=False)  # hears pings, never answers

    ping = await asyncio.wait_for(ws.receive(), WAIT_S)
    ended = await asyncio.wait_for(ws.receive(), WAIT_S)

    assert ping.type is WSMsgType.PING
    assert ended.type in (WSMsgType.CLOSED, WSMsgType.ERROR)  # dropped: no close handshake


async def test_a_peer_that_answers_pings_stays_connected_past_many_heartbeats(
    make_client: Any, make_settings: Any
) -> None:
    limits = Limits(heartbeat_s=0.1)
    client = await make_client(make_settings(limits=limits))
    ws = await client.ws_connect("/ws/customer", autoping=False)  # answers by hand, to count
    hello = {"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"}
    await ws.send_json(hello)
    pings, answers = 0, 0

    while pings < 5 or answers < 2:  # the greeting, then the answer to the message
        msg = await asyncio.wait_for(ws.receive(), WAIT_S)
        if msg.type is WSMsgType.PING:
            pings += 1
            await ws.pong(msg.data)
            if pings == 5:
                await ws.send_json({"type": "message.new", "id": "m1", "text": "i want a refund"})
            continue
        assert msg.type is WSMsgType.TEXT
        frame = json.loads(msg.data)
        answers += frame["type"] == "message.new" and frame["sender"] == "bot"

    assert not ws.closed
    await ws.close()


async def test_pongs_do_not_hold_an_idle_socket_open(make_client: Any, make_settings: Any) -> None:
    limits = Limits(heartbeat_s=0.1, idle_timeout_s=0.6)
    customer = await Customer.join(await make_client(make_settings(limits=limits)))

    code = await customer.closed()  # receive() answers the pings meanwhile

    assert code == WSCloseCode.GOING_AWAY
    assert [f["code"] for f in customer.seen if f["type"] == "error"] == ["idle"]


async def test_an_idle_greeted_socket_keeps_no_task_of_its_own(make_client: Any) -> None:
    client = await make_client()
    first = await Customer.join(client)
    await first.bot_reply()
    before = asyncio.all_tasks()

    others = [await Customer.join(client) for _ in range(3)]
    for other in others:
        await other.bot_reply()

    # aiohttp's two per connection (its protocol, the request handler reading the socket)
    # and nothing else: no relay, ping or timer task waits per socket
    added = [task.get_coro().__qualname__ for task in asyncio.all_tasks() - before]
    assert sorted(added) == ["RequestHandler._handle_request"] * 3 + ["RequestHandler.start"] * 3


async def test_frames_published_to_an_idle_socket_reach_it_in_order(make_client: Any) -> None:
    client = await make_client()
    customer = await Customer.join(client)
    await customer.bot_reply()

    await customer.say("m1", "i want a refund")
    await customer.say("m2", "how do I cancel")

    answers = [await customer.bot_reply(), await customer.bot_reply()]
    assert [a["seq"] for a in answers] == sorted(a["seq"] for a in answers)


# --- the sweep itself, on stand-ins, with the clock passed in --------------------------


@dataclass(eq=False)  # hashed by identity, as the watch holds sessions
class Session:
    ws: Any = None
    read_by: float = math.inf
    heard_at: float = 0.0
    pinged_at: float = 0.0
    expired: list[bool] = field(default_factory=list)

    def expire(self, *, dead: bool = False) -> None:
        self.expired.append(dead)


def watch_of(*sessions: Session, **limits: float) -> SocketWatch:
    watch = SocketWatch(Limits(**limits))  # type: ignore[arg-type]
    watch._sessions.update(sessions)  # type: ignore[arg-type]  # noqa: SLF001
    return watch


def test_a_read_past_its_deadline_is_ended_and_one_before_it_is_not() -> None:
    late, early = Session(read_by=10.0), Session(read_by=10.5)
    watch = watch_of(late, early, heartbeat_s=30.0)

    watch.sweep(10.2)

    assert late.expired == [False] and early.expired == []


def test_a_ping_unanswered_for_half_the_heartbeat_ends_the_read_as_dead() -> None:
    waiting, not_yet_late = Session(pinged_at=100.0), Session(pinged_at=100.0)
    watch = watch_of(waiting, heartbeat_s=30.0)
    watch_of(not_yet_late, heartbeat_s=30.0).sweep(114.9)

    watch.sweep(115.0)

    assert waiting.expired == [True] and not_yet_late.expired == []


def test_the_sweep_runs_several_times_within_the_shortest_limit_and_at_most_each_second() -> None:
    quick = SocketWatch(Limits(hello_timeout_s=0.4, heartbeat_s=30.0))
    default = SocketWatch(Limits())

    assert quick.tick_s == 0.1
    assert default.tick_s == MAX_TICK_S


async def test_the_sweep_pings_a_quiet_peer_once(make_client: Any, make_settings: Any) -> None:
    client = await make_client(make_settings(limits=Limits(heartbeat_s=60.0)))
    ws = await client.ws_connect("/ws/customer", autoping=False)
    sockets = client.app[SOCKETS]
    session = next(iter(sockets._sessions))  # noqa: SLF001
    session.heard_at -= 61.0  # quiet for longer than the heartbeat, by the loop's clock

    now = asyncio.get_running_loop().time()
    sockets.sweep(now)
    sockets.sweep(now)  # a ping is out: no second one

    assert (await asyncio.wait_for(ws.receive(), WAIT_S)).type is WSMsgType.PING
    assert session.pinged_at == now
    assert sockets._pings == set()  # noqa: SLF001  # the ping task is done and forgotten
    await ws.close()
