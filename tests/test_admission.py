"""Per-address limits on open sockets and new conversations, from real client addresses:
sockets bound to 127.0.0.1 and 127.0.0.2, or addresses a trusted proxy forwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSCloseCode
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from helpline.errors import ConfigError
from helpline.settings import ConnectionLimits, Settings
from helpline.store import SQLiteStore
from helpline.store.base import Store
from helpline.web.descriptors import DescriptorBudget

HELLO = {"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"}
Client = Callable[..., Awaitable[TestClient]]
Sessions = Callable[[str], aiohttp.ClientSession]


@pytest.fixture
def limited(make_client: Client, make_settings: Callable[..., Settings]) -> Client:
    """A client of an app with these connection limits (others at their defaults)."""

    async def make(trusted_proxies: tuple[str, ...] = (), **limits: Any) -> TestClient:
        connections = ConnectionLimits(**limits)
        settings = make_settings(connections=connections, trusted_proxies=trusted_proxies)
        return await make_client(settings)

    return make


@pytest.fixture
async def from_address() -> AsyncIterator[Sessions]:
    """HTTP sessions whose connections leave from a given loopback address."""
    opened: list[aiohttp.ClientSession] = []

    def session(address: str) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(local_addr=(address, 0))
        opened.append(aiohttp.ClientSession(connector=connector))
        return opened[-1]

    yield session
    for one in opened:
        await one.close()


def ws_url(client: TestClient) -> str:
    return f"http://{client.host}:{client.port}/ws/customer"


async def hello(socket: aiohttp.ClientWebSocketResponse) -> Customer:
    customer = Customer(socket)
    await customer.send(HELLO)
    return customer


async def test_an_address_with_its_fill_of_sockets_gets_429_and_another_address_still_opens(
    limited: Client, from_address: Sessions
) -> None:
    client = await limited(sockets_per_address=3)
    first, second = from_address("127.0.0.1"), from_address("127.0.0.2")
    held = [await first.ws_connect(ws_url(client)) for _ in range(3)]

    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await first.ws_connect(ws_url(client))
    other = await hello(await second.ws_connect(ws_url(client)))

    assert refused.value.status == 429
    assert refused.value.headers is not None and refused.value.headers["Retry-After"] == "5"
    assert (await other.next_of("session.ready"))["resumed"] is False
    for socket in [*held, other.ws]:
        await socket.close()


async def test_a_closed_socket_gives_its_place_back(
    limited: Client, from_address: Sessions
) -> None:
    client = await limited(sockets_per_address=1)
    session = from_address("127.0.0.1")
    first = await session.ws_connect(ws_url(client))
    await first.close()

    again = await hello(await session.ws_connect(ws_url(client)))

    assert (await again.next_of("session.ready"))["status"] == "bot"
    await again.ws.close()


async def test_x_forwarded_for_from_a_peer_that_is_no_trusted_proxy_gives_no_fresh_limit(
    limited: Client,
) -> None:
    client = await limited(sockets_per_address=2)
    held = [
        await client.ws_connect("/ws/customer", headers={"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(2)
    ]

    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws/customer", headers={"X-Forwarded-For": "198.51.100.9"})

    assert refused.value.status == 429
    for socket in held:
        await socket.close()


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_sockets(
    limited: Client,
) -> None:
    client = await limited(sockets_per_address=1, trusted_proxies=("127.0.0.1",))
    office = {"X-Forwarded-For": "203.0.113.7"}
    held = await client.ws_connect("/ws/customer", headers=office)

    neighbour = await client.ws_connect("/ws/customer", headers={"X-Forwarded-For": "203.0.113.8"})
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws/customer", headers=office)

    assert refused.value.status == 429
    await held.close()
    await neighbour.close()


async def test_new_conversations_past_the_limit_get_rate_limited_and_a_1013_close(
    limited: Client,
) -> None:
    client = await limited(new_conversations_per_minute=2)
    started = [await Customer.join(client) for _ in range(2)]

    third = await hello(await client.ws_connect("/ws/customer"))
    error = await third.next_of("error")
    code = await third.closed()

    assert [c.ready["resumed"] for c in started] == [False, False]
    assert error["code"] == "rate_limited" and "new conversations" in error["message"]
    assert code == WSCloseCode.TRY_AGAIN_LATER


async def test_a_resume_is_served_when_the_address_has_started_its_fill(limited: Client) -> None:
    client = await limited(new_conversations_per_minute=1)
    first = await Customer.join(client)
    await first.ws.close()

    back = await Customer.join(client, token=first.ready["token"])

    assert back.ready["resumed"] is True
    assert back.ready["conversation"] == first.ready["conversation"]


async def test_another_address_starts_a_conversation_while_one_is_limited(
    limited: Client,
) -> None:
    client = await limited(new_conversations_per_minute=1, trusted_proxies=("127.0.0.1",))
    busy, quiet = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
    await hello(await client.ws_connect("/ws/customer", headers=busy))
    refused = await hello(await client.ws_connect("/ws/customer", headers=busy))

    served = await hello(await client.ws_connect("/ws/customer", headers=quiet))

    assert (await refused.next_of("error"))["code"] == "rate_limited"
    assert (await served.next_of("session.ready"))["resumed"] is False


async def test_rest_senders_past_the_limit_get_429_and_a_known_sender_is_still_answered(
    limited: Client, store: SQLiteStore
) -> None:
    client = await limited(new_conversations_per_minute=2)
    path = "/webhooks/rest/webhook"
    for sender in ("a", "b"):
        assert (await client.post(path, json={"sender": sender, "message": "hi"})).status == 200

    invented = await client.post(path, json={"sender": "c", "message": "hi"})
    known = await client.post(path, json={"sender": "a", "message": "i want a refund"})

    assert invented.status == 429
    assert (await invented.json())["code"] == "rate_limited"
    assert known.status == 200 and "Refunds" in (await known.json())[0]["text"]
    assert await store.conversation_by_token("rest:c") is None


@pytest.fixture(params=STORE_BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    async with open_backend(request, tmp_path) as opened:
        yield opened


async def test_healthz_is_503_and_names_the_store_when_it_fails(
    make_client: Client, make_settings: Callable[..., Settings], backend: Store
) -> None:
    client = await make_client(make_settings(), store=backend)
    before = await client.get("/healthz")
    await backend.close()  # the database gone from under the running node

    response = await client.get("/healthz")
    body = await response.json()

    assert before.status == 200
    assert response.status == 503
    assert (body["status"], body["store"], body["bus"]) == ("degraded", "failing", "ok")
    await backend.open()  # for the fixture's own close


@pytest.mark.parametrize(
    "field, value",
    [("sockets_per_address", 0), ("new_conversations_per_minute", 2.5), ("fd_reserve", True),
     ("header_timeout_s", float("inf"))],
)  # fmt: skip
def test_a_bad_connection_limit_is_named_at_start(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as bad:
        ConnectionLimits(**{field: value})

    assert bad.value.setting == f"connections.{field}"


def test_descriptors_are_listed_afresh_only_near_the_line_and_refused_at_it() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    opened, listings = [10], [0]

    def count() -> int:  # the process as the listing would find it
        listings[0] += 1
        return opened[0]

    budget = DescriptorBudget(reserve=soft - 300, count=count, clock=lambda: 0.0)  # line: 300
    refused_at = None
    for _ in range(400):
        if budget.refusing():
            refused_at = opened[0]
            break
        budget.admitted()
        opened[0] += 1

    assert refused_at == 300
    assert listings[0] < 100  # far from the line, admissions are added to the last listing


def test_a_refusing_budget_lists_again_after_the_near_interval_and_sees_closed_sockets() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    opened, listings, now = [300], [0], [0.0]

    def count() -> int:
        listings[0] += 1
        return opened[0]

    budget = DescriptorBudget(reserve=soft - 300, count=count, clock=lambda: now[0])
    refused = [budget.refusing() for _ in range(50)]  # a flood of connections at the line
    opened[0] = 200  # sockets closed meanwhile
    before_due = budget.refusing()
    now[0] += DescriptorBudget.NEAR_RECOUNT_S

    assert all(refused) and before_due is True  # one listing for the whole flood
    assert listings[0] == 1
    assert budget.refusing() is False and listings[0] == 2
