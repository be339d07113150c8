"""Agent login over HTTP with a real SQLite store: sessions, cookie, bearer, rate limit."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import ssl
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from helpline.password import HashParams, Passwords
from helpline.rules.model import Rulebook
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.store.agents import Agent
from helpline.web.app import create_app
from helpline.web.attempts import FailedAttempts
from helpline.web.auth_settings import AuthSettings
from helpline.web.keys import AUTH_SETTINGS

NOW = 1_700_000_000.0
TTL = 12 * 3600.0
EMAIL = "ann@example.com"
PASSWORD = "correct horse battery"
# argon2's cheapest settings: these tests are about the protocol, not the hash's cost
CHEAP = HashParams(time_cost=1, memory_kib=1024, parallelism=1)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def ann(store: SQLiteStore) -> Agent:
    return await store.create_agent(
        email=EMAIL,
        name="Ann",
        teams=("billing",),
        role="agent",
        capacity=3,
        password_hash=await Passwords(CHEAP).hash(PASSWORD),
        now=NOW,
    )


AuthClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_auth_client(
    store: SQLiteStore,
    ann: Agent,
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
    clock: Clock,
) -> AuthClient:
    """A client of an app with Ann's account, cheap hashing and the test's clock; `auth`
    and server settings as the test needs them."""

    async def make(auth: AuthSettings | None = None, **settings: Any) -> TestClient:
        app = create_app(make_settings(**settings), store=store, rulebook=rulebook, clock=clock)
        app[AUTH_SETTINGS] = auth or AuthSettings(password=CHEAP)
        test_client: TestClient = await aiohttp_client(app)
        return test_client

    return make


@pytest.fixture
async def client(make_auth_client: AuthClient) -> TestClient:
    return await make_auth_client()


async def log_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> Any:
    return await client.post("/api/agent/login", json={"email": email, "password": password})


async def token_of(client: TestClient) -> str:
    response = await log_in(client)
    assert response.status == 200
    token: str = (await response.json())["token"]
    client.session.cookie_jar.clear()  # from here on, only what the test sends
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_answers_token_expiry_and_agent(client: TestClient, ann: Agent) -> None:
    response = await log_in(client)

    assert response.status == 200
    body = await response.json()
    assert body["expires_at"] == NOW + TTL
    assert len(body["token"]) >= 43
    assert body["agent"] == {
        "id": ann.id,
        "name": "Ann",
        "email": EMAIL,
        "teams": ["billing"],
        "role": "agent",
        "capacity": 3,
    }


async def test_login_sets_an_httponly_strict_session_cookie(client: TestClient) -> None:
    response = await log_in(client)

    token = (await response.json())["token"]
    (cookie,) = response.headers.getall("Set-Cookie")
    attributes = [part.strip() for part in cookie.split(";")]
    assert attributes[0] == f"helpline_agent={token}"
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(attributes)
    assert "Secure" not in attributes  # served over plain http in this test
    assert not any(a.lower().startswith(("max-age", "expires")) for a in attributes)


@pytest.fixture
def tls(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context with a throwaway self-signed certificate."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_login_over_https_marks_the_cookie_secure(
    store: SQLiteStore,
    ann: Agent,
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
    tls: ssl.SSLContext,
) -> None:
    app = create_app(make_settings(), store=store, rulebook=rulebook)
    app[AUTH_SETTINGS] = AuthSettings(password=CHEAP)
    server = TestServer(app)
    await server.start_server(ssl=tls)  # the client fixture closes it
    client: TestClient = await aiohttp_client(server)
    assert client.make_url("/").scheme == "https"

    response = await client.post(
        "/api/agent/login", json={"email": EMAIL, "password": PASSWORD}, ssl=False
    )

    assert response.status == 200
    attributes = [part.strip() for part in response.headers["Set-Cookie"].split(";")]
    assert {"Secure", "HttpOnly", "SameSite=Strict"} <= set(attributes)


async def test_login_with_email_in_other_case_succeeds(client: TestClient) -> None:
    response = await log_in(client, email="ANN@Example.com")

    assert response.status == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [(EMAIL, "wrong password!"), ("nobody@example.com", PASSWORD)],
    ids=["wrong password", "unknown email"],
)
async def test_bad_credentials_get_401_without_saying_which_part_was_wrong(
    client: TestClient, email: str, password: str
) -> None:
    response = await log_in(client, email, password)

    assert response.status == 401
    assert await response.json() == {
        "error": "bad_credentials",
        "message": "wrong email or password",
    }
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "body",
    [{"email": EMAIL}, {"email": 3, "password": "x"}, ["a"], {"email": " ", "password": "x"}],
)
async def test_malformed_login_body_gets_400(client: TestClient, body: Any) -> None:
    response = await client.post("/api/agent/login", json=body)

    assert response.status == 400
    assert (await response.json())["error"] == "bad_request"


async def test_sixth_attempt_after_five_failures_gets_429_even_with_the_right_password(
    client: TestClient, clock: Clock
) -> None:
    for _ in range(5):
        assert (await log_in(client, password="guess")).status == 401
        clock.now += 10

    response = await log_in(client)  # at +50 s; the first failure leaves at +300 s

    assert response.status == 429
    assert await response.json() == {
        "error": "too_many_attempts",
        "message": "too many failed logins; try again in 250 s",
        "retry_after_s": 250,
    }
    assert response.headers["Retry-After"] == "250"


async def test_login_is_allowed_again_once_the_failures_leave_the_window(
    client: TestClient, clock: Clock
) -> None:
    for _ in range(5):
        await log_in(client, password="guess")
    assert (await log_in(client)).status == 429

    clock.now += 300

    assert (await log_in(client)).status == 200


async def test_failures_on_different_emails_from_one_address_are_limited(
    client: TestClient,
) -> None:
    for n in range(AuthSettings().max_failed_logins_per_address):
        assert (await log_in(client, email=f"user{n}@example.com")).status == 401

    response = await log_in(client, email="someone-else@example.com")

    assert response.status == 429


async def _proxied(client: TestClient, address: str, email: str) -> int:
    response = await client.post(
        "/api/agent/login",
        json={"email": email, "password": "wrong"},
        headers={"X-Forwarded-For": address},
    )
    return response.status


async def test_behind_a_trusted_proxy_failures_count_per_forwarded_client(
    make_auth_client: AuthClient,
) -> None:
    # the test client connects from 127.0.0.1: here that is the proxy
    client = await make_auth_client(trusted_proxies=("127.0.0.1",))
    for n in range(AuthSettings().max_failed_logins_per_address):
        assert await _proxied(client, "198.51.100.7", f"user{n}@example.com") == 401

    assert await _proxied(client, "198.51.100.7", "another@example.com") == 429
    assert await _proxied(client, "203.0.113.5", "another@example.com") == 401  # someone else


async def test_without_a_trusted_proxy_a_forwarded_header_does_not_escape_the_limit(
    client: TestClient,
) -> None:
    for n in range(AuthSettings().max_failed_logins_per_address):
        assert await _proxied(client, f"198.51.100.{n}", f"user{n}@example.com") == 401

    assert await _proxied(client, "203.0.113.5", "another@example.com") == 429


async def test_guesses_sent_at_once_cannot_pass_the_limit_together(client: TestClient) -> None:
    responses = await asyncio.gather(*(log_in(client, password=f"guess{n}") for n in range(12)))

    assert sorted(r.status for r in responses) == [401] * 5 + [429] * 7


async def test_me_answers_the_agent_of_the_login_cookie(client: TestClient, ann: Agent) -> None:
    await log_in(client)  # the client keeps the cookie, as a browser would

    response = await client.get("/api/agent/me")

    assert response.status == 200
    assert (await response.json())["id"] == ann.id


async def test_me_answers_the_agent_of_a_bearer_token(client: TestClient, ann: Agent) -> None:
    token = await token_of(client)

    response = await client.get("/api/agent/me", headers=bearer(token))

    assert response.status == 200
    assert (await response.json())["id"] == ann.id


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer("not-a-session"),
        {"Cookie": "helpline_agent=forged"},
        {"Authorization": "Basic x"},
    ],
    ids=["nothing", "unknown bearer", "unknown cookie", "other scheme"],
)
async def test_me_without_a_valid_session_gets_401_json(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = await client.get("/api/agent/me", headers=headers)

    assert response.status == 401
    assert (await response.json())["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_logout_revokes_the_session_and_clears_the_cookie(client: TestClient) -> None:
    token = await token_of(client)

    response = await client.post("/api/agent/logout", headers=bearer(token))

    assert response.status == 204
    assert response.headers["Set-Cookie"].startswith('helpline_agent=""')
    assert (await client.get("/api/agent/me", headers=bearer(token))).status == 401


async def test_logout_without_a_session_gets_401(client: TestClient) -> None:
    response = await client.post("/api/agent/logout")

    assert response.status == 401


async def test_session_is_refused_once_it_expires(client: TestClient, clock: Clock) -> None:
    token = await token_of(client)

    clock.now += TTL

    assert (await client.get("/api/agent/me", headers=bearer(token))).status == 401


async def test_using_a_session_keeps_it_alive_past_its_first_expiry(
    client: TestClient, clock: Clock
) -> None:
    token = await token_of(client)
    for _ in range(3):
        clock.now += TTL - 60
        assert (await client.get("/api/agent/me", headers=bearer(token))).status == 200


async def test_session_is_extended_at_most_once_a_minute(
    client: TestClient, store: SQLiteStore, clock: Clock
) -> None:
    token = await token_of(client)
    digest = hashlib.sha256(token.encode()).hexdigest()

    clock.now += 30
    await client.get("/api/agent/me", headers=bearer(token))
    unchanged = await store.session(digest, clock.now)
    clock.now += 30
    await client.get("/api/agent/me", headers=bearer(token))
    extended = await store.session(digest, clock.now)

    assert unchanged is not None and unchanged.expires_at == NOW + TTL
    assert extended is not None and extended.expires_at == NOW + 60 + TTL


async def test_only_the_sha256_of_the_token_is_stored(
    client: TestClient, store: SQLiteStore
) -> None:
    token = await token_of(client)

    with sqlite3.connect(store.path) as raw:
        stored = [row[0] for row in raw.execute("SELECT token_hash FROM agent_sessions")]

    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


@pytest.mark.parametrize("path", ["/api/agent/queue", "/api/agent/anything/else"])
async def test_every_agent_path_refuses_a_request_without_session(
    client: TestClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status == 401


async def test_agent_websocket_is_refused_before_the_upgrade_without_session(
    client: TestClient,
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws/agent")

    assert refused.value.status == 401


async def test_customer_paths_need_no_agent_session(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200


async def test_login_replaces_a_hash_made_with_other_parameters(
    client: TestClient, store: SQLiteStore, ann: Agent
) -> None:
    older = HashParams(time_cost=2, memory_kib=1024, parallelism=1)
    await store.update_password_hash(ann.id, await Passwords(older).hash(PASSWORD))

    assert (await log_in(client)).status == 200

    found = await store.agent_by_email(EMAIL)
    assert found is not None and "t=1," in found[1]
    assert (await Passwords(CHEAP).verify(found[1], PASSWORD)).rehash is False


class TestFailedAttempts:
    def make(self, clock: Clock) -> FailedAttempts:
        return FailedAttempts(limit=2, window_s=100, clock=clock, sweep_above=2)

    def test_a_key_under_the_limit_may_try(self, clock: Clock) -> None:
        attempts = self.make(clock)
        attempts.record("k")

        assert attempts.retry_after("k") is None

    def test_the_wait_runs_until_the_oldest_counted_failure_leaves(self, clock: Clock) -> None:
        attempts = self.make(clock)
        attempts.record("k")
        clock.now += 30
        attempts.record("k")
        clock.now += 10

        assert attempts.retry_after("k") == 60

    def test_clearing_a_key_lets_it_try_at_once(self, clock: Clock) -> None:
        attempts = self.make(clock)
        attempts.record("k", "other")
        attempts.record("k", "other")

        attempts.clear("k")

        assert attempts.retry_after("k") is None
        assert attempts.retry_after("other") == 100

    def test_forgiving_takes_back_one_failure(self, clock: Clock) -> None:
        attempts = self.make(clock)
        attempts.record("k")
        attempts.record("k")

        attempts.forgive("k")

        assert attempts.retry_after("k") is None

    def test_stale_keys_are_swept_when_many_are_kept(self, clock: Clock) -> None:
        attempts = self.make(clock)
        attempts.record("a", "b", "c")
        clock.now += 100

        attempts.record("d")

        assert len(attempts) == 1


async def test_an_open_console_is_closed_once_its_session_ends(
    make_auth_client: AuthClient, store: SQLiteStore, ann: Agent
) -> None:
    # a console re-checks its session every session_refresh_s
    client = await make_auth_client(AuthSettings(password=CHEAP, session_refresh_s=0.05))
    token = await token_of(client)
    ws = await client.ws_connect("/ws/agent", headers=bearer(token))
    first = await ws.receive_json()

    await store.set_password(ann.id, await Passwords(CHEAP).hash("a brand new secret"))
    frames = []
    async with asyncio.timeout(5.0):
        while (msg := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
            frames.append(msg.json())

    assert first["type"] == "agent.ready"
    assert frames[-1] == {
        "type": "error", "code": "session_ended", "message": "signed out: sign in again"
    }  # fmt: skip
    assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_an_open_console_keeps_its_session_alive(
    make_auth_client: AuthClient, store: SQLiteStore, clock: Clock
) -> None:
    client = await make_auth_client(
        AuthSettings(password=CHEAP, session_ttl_s=60.0, session_refresh_s=0.05)
    )
    token = await token_of(client)
    ws = await client.ws_connect("/ws/agent", headers=bearer(token))
    await ws.receive_json()
    digest = hashlib.sha256(token.encode()).hexdigest()
    before = await store.session(digest, clock.now)

    clock.now += 30.0  # the console stays open: its next check extends the session
    async with asyncio.timeout(5.0):
        while (found := await store.session(digest, clock.now)) is not None and (
            before is not None and found.expires_at == before.expires_at
        ):
            await asyncio.sleep(0.01)

    assert before is not None and found is not None
    assert found.expires_at == clock.now + 60.0
    assert not ws.closed
    await ws.close()
