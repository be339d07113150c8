"""Cross-site requests and the headers of every response, over real HTTP and websockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from helpline.password import HashParams, Passwords
from helpline.rules.model import Rulebook
from helpline.settings import DEFAULT_WIDGET_DIR, Settings
from helpline.store import SQLiteStore
from helpline.web.app import create_app
from helpline.web.auth_settings import AuthSettings
from helpline.web.keys import AUTH_SETTINGS

EMAIL, PASSWORD = "ann@example.com", "correct horse battery"
CHEAP = HashParams(time_cost=1, memory_kib=1024, parallelism=1)
FOREIGN = "http://127.0.0.1:1"  # another port of the same host: same site, another origin

Client = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_desk(
    store: SQLiteStore, aiohttp_client: Any, make_settings: Callable[..., Settings],
    rulebook: Rulebook,
) -> Client:  # fmt: skip
    """A client of an app with Ann's account and cheap hashing; server settings as given."""

    async def make(auth: AuthSettings | None = None, **settings: Any) -> TestClient:
        password_hash = await Passwords(CHEAP).hash(PASSWORD)
        await store.create_agent(
            email=EMAIL, name="Ann", teams=("billing",), role="agent", capacity=3,
            password_hash=password_hash, now=0.0,
        )  # fmt: skip
        settings.setdefault("widget_dir", DEFAULT_WIDGET_DIR)  # the real pages
        app = create_app(make_settings(**settings), store=store, rulebook=rulebook)
        app[AUTH_SETTINGS] = auth or AuthSettings(password=CHEAP, login_slowdown_s=0.01)
        client: TestClient = await aiohttp_client(app)
        return client

    return make


def own(client: TestClient) -> str:
    return f"http://{client.host}:{client.port}"


async def log_in(client: TestClient, password: str = PASSWORD, **kwargs: Any) -> int:
    body = {"email": EMAIL, "password": password}
    response = await client.post("/api/agent/login", json=body, **kwargs)
    return response.status


async def test_agent_socket_from_a_foreign_origin_is_refused_before_the_upgrade(
    make_desk: Client,
) -> None:
    client = await make_desk()
    assert await log_in(client) == 200  # the client keeps the cookie, as a browser would

    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws/agent", origin=FOREIGN)

    assert refused.value.status == 403


async def test_agent_socket_from_the_consoles_own_origin_opens(make_desk: Client) -> None:
    client = await make_desk()
    assert await log_in(client) == 200

    ws = await client.ws_connect("/ws/agent", origin=own(client))

    assert (await ws.receive_json())["type"] == "agent.ready"
    await ws.close()


async def test_an_allowed_origin_may_use_the_cookie(make_desk: Client) -> None:
    client = await make_desk(allowed_origins=("https://desk.example.com",))

    assert await log_in(client, headers={"Origin": "https://desk.example.com"}) == 200


async def test_login_from_a_foreign_origin_is_refused(make_desk: Client) -> None:
    client = await make_desk()

    assert await log_in(client, headers={"Origin": FOREIGN}) == 403


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_login_body_that_is_not_declared_json_gets_415(
    make_desk: Client, content_type: str
) -> None:
    client = await make_desk()
    body = f'{{"email": "{EMAIL}", "password": "{PASSWORD}"}}'

    response = await client.post(
        "/api/agent/login", data=body, headers={"Content-Type": content_type}
    )

    assert response.status == 415
    assert "Set-Cookie" not in response.headers


async def test_logout_from_a_foreign_origin_keeps_the_session(make_desk: Client) -> None:
    client = await make_desk()
    assert await log_in(client) == 200

    refused = await client.post("/api/agent/logout", headers={"Origin": FOREIGN})

    assert refused.status == 403
    assert (await client.get("/api/agent/me")).status == 200


async def test_correct_password_from_another_address_is_not_locked_out(
    make_desk: Client,
) -> None:
    client = await make_desk(trusted_proxies=("127.0.0.1",))  # the test client is the proxy
    attacker, owner = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "203.0.113.5"}
    for _ in range(10):
        await log_in(client, password="guess", headers=attacker)

    assert await log_in(client, password="guess", headers=attacker) == 429
    assert await log_in(client, headers=owner) == 200


async def test_session_cookie_is_secure_behind_a_trusted_tls_proxy(make_desk: Client) -> None:
    client = await make_desk(trusted_proxies=("127.0.0.1",))

    response = await client.post(
        "/api/agent/login",
        json={"email": EMAIL, "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )

    assert "Secure" in [part.strip() for part in response.headers["Set-Cookie"].split(";")]


async def test_forwarded_proto_from_an_untrusted_peer_is_ignored(make_desk: Client) -> None:
    client = await make_desk()

    response = await client.post(
        "/api/agent/login",
        json={"email": EMAIL, "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )

    assert "Secure" not in [part.strip() for part in response.headers["Set-Cookie"].split(";")]


@pytest.mark.parametrize("path", ["/", "/console", "/widget.js", "/api/agent/me", "/nowhere"])
async def test_every_response_says_nosniff_and_a_referrer_policy(
    make_desk: Client, path: str
) -> None:
    client = await make_desk()

    response = await client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_console_refuses_to_be_framed(make_desk: Client) -> None:
    client = await make_desk()

    response = await client.get("/console")

    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


async def test_widget_script_stays_embeddable_on_other_sites(make_desk: Client) -> None:
    client = await make_desk()

    response = await client.get("/widget.js", headers={"Origin": FOREIGN})

    assert "X-Frame-Options" not in response.headers
    assert "Cross-Origin-Resource-Policy" not in response.headers
    assert response.headers.get("Content-Security-Policy") is None
