"""The alert webhook against a real local HTTP server the test runs: a spike is POSTed as
JSON with Slack's `text`, a failing receiver is retried, and the watcher never waits."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from conftest import WAIT_S, Customer
from handoff_kit import desk_rulebook
from helpline.settings import Settings
from helpline.web.alert_webhook import WebhookSender
from helpline.web.keys import SPIKES

Client = Callable[..., Awaitable[TestClient]]


class Receiver:
    """A webhook receiver: answers the first `failures` posts with 500, keeps the rest."""

    def __init__(self, failures: int = 0, delay_s: float = 0.0) -> None:
        self.failures, self.delay_s = failures, delay_s
        self.attempts = 0
        self.bodies: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.tried: asyncio.Queue[int] = asyncio.Queue()  # each attempt's number, as it comes

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        self.tried.put_nowait(self.attempts)
        await asyncio.sleep(self.delay_s)
        if self.attempts <= self.failures:
            return web.Response(status=500)
        self.bodies.append(await request.json())
        self.arrived.set()
        return web.Response(text="ok")

    async def serve(self, aiohttp_server: Any) -> str:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        server: TestServer = await aiohttp_server(app)
        return str(server.make_url("/hook"))


async def test_a_spike_is_posted_to_the_webhook_with_slack_text(
    make_client: Client, make_settings: Callable[..., Settings], aiohttp_server: Any
) -> None:
    receiver = Receiver()
    settings = make_settings(alert_webhook_url=await receiver.serve(aiohttp_server))
    desk = await make_client(settings, rulebook=desk_rulebook())
    for n in range(6):
        customer = await Customer.join(desk)
        await customer.say(f"m{n}", "my card was declined")
        await customer.next_of("message.new", kind="answer")
        await customer.ws.close()
    await desk.server.app[SPIKES].check()
    await asyncio.wait_for(receiver.arrived.wait(), WAIT_S)
    (body,) = receiver.bodies
    assert body["event"] == "alert.raised"
    assert (body["alert"]["intent"], body["alert"]["count"]) == ("payment_failed", 6)
    ko, en = body["text"].split("\n")
    assert en.startswith("Spike: `payment_failed` 6 in the last 5 min, usually 0.0035 (since ")
    assert ko.startswith("급증: `payment_failed` 최근 5분 동안 6건")


async def test_a_failing_receiver_is_retried_until_it_takes_the_alert(aiohttp_server: Any) -> None:
    receiver = Receiver(failures=2)
    sender = WebhookSender(await receiver.serve(aiohttp_server), first_retry_s=0.01)
    await sender.start()
    try:
        sender.send({"text": "Spike", "alert": {"id": 1}})
        await asyncio.wait_for(receiver.arrived.wait(), WAIT_S)
    finally:
        await sender.close()
    assert receiver.attempts == 3 and receiver.bodies == [{"text": "Spike", "alert": {"id": 1}}]


async def test_a_receiver_that_never_takes_it_is_given_up_after_three_attempts(
    aiohttp_server: Any, caplog: Any
) -> None:
    receiver = Receiver(failures=99)
    sender = WebhookSender(await receiver.serve(aiohttp_server), first_retry_s=0.01)
    await sender.start()
    try:
        sender.send({"text": "Spike", "alert": {"id": 7}})
        sender.send({"text": "Later", "alert": {"id": 8}})  # queued behind, tried after
        for _ in range(6):  # three for each
            await asyncio.wait_for(receiver.tried.get(), WAIT_S)
    finally:
        await sender.close()
    assert receiver.attempts == 6 and receiver.bodies == []
    assert "gave up on alert 7" in caplog.text  # before the second one's first attempt


async def test_sending_never_waits_for_a_slow_receiver(aiohttp_server: Any) -> None:
    receiver = Receiver(delay_s=1.0)
    sender = WebhookSender(await receiver.serve(aiohttp_server))
    await sender.start()
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for n in range(10):
            sender.send({"text": "Spike", "alert": {"id": n}})
        assert loop.time() - started < 0.05
    finally:
        await sender.close()
