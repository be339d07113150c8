"""The customer directory on every backend: attributes through a real signed hello, the
list and profile over HTTP, notes about a customer, and who may read which customer."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import make_agent
from helpline.identity import sign_attributed_identity, sign_identity
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.web.auth import COOKIE
from search_kit import Said, conversation, handled

SECRET = "host-site-secret"
PLAN = {"plan": "premium", "country": "KR", "seats": 4, "trial": False}


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
async def client(
    make_client: Callable[..., Awaitable[TestClient]], make_settings: Callable[..., Settings]
) -> TestClient:
    return await make_client(make_settings(identity_secret=SECRET))


async def cookie(
    store: SQLiteStore, name: str, teams: tuple[str, ...], role: str = "agent"
) -> dict[str, str]:
    _, token = await make_agent(store, name, teams, role=role)
    return {"Cookie": f"{COOKIE}={token}"}


async def hello(client: TestClient, identity: dict[str, Any]) -> Customer:
    customer = Customer(await client.ws_connect("/ws/customer"))
    frame = {"type": "session.hello", "token": None, "last_seq": 0, "lang": "ko"}
    await customer.send({**frame, "identity": identity})
    return customer


async def got(client: TestClient, path: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await client.get(path, headers=headers)
    assert response.status == status, await response.text()
    return await response.json()


async def test_attributes_of_a_signed_hello_reach_the_profile(
    client: TestClient, store: SQLiteStore
) -> None:
    signature = sign_attributed_identity(SECRET, "u-7", "민아", "mina@example.com", PLAN)
    claim = {"id": "u-7", "name": "민아", "email": "mina@example.com", "attributes": PLAN,
             "signature": signature}  # fmt: skip
    customer = await hello(client, claim)
    await customer.next_of("session.ready")
    boss = await cookie(store, "Boss", (), role="supervisor")

    profile = await got(client, "/api/customers/u-7", boss)

    assert (profile["name"], profile["email"], profile["attributes"]) == (
        "민아", "mina@example.com", PLAN,
    )  # fmt: skip
    assert profile["conversations"] == 1 and len(profile["conversations_listed"]) == 1


async def test_attributes_signed_in_the_order_the_page_gives_them_are_accepted(
    client: TestClient, store: SQLiteStore
) -> None:
    given = {"plan": "basic", "country": "US"}  # not sorted: JSON.stringify keeps this order
    payload = json.dumps(["u-8", None, None, given], separators=(",", ":")).encode()
    signature = hmac.new(SECRET.encode(), payload, hashlib.sha256).hexdigest()
    customer = await hello(client, {"id": "u-8", "attributes": given, "signature": signature})
    await customer.next_of("session.ready")

    profile = await got(client, "/api/customers/u-8", await cookie(store, "B", (), "supervisor"))
    assert profile["attributes"] == given


async def test_the_old_signature_without_attributes_is_still_accepted(
    client: TestClient, store: SQLiteStore
) -> None:
    signature = sign_identity(SECRET, "u-9", "Joe", None)
    customer = await hello(client, {"id": "u-9", "name": "Joe", "signature": signature})
    await customer.next_of("session.ready")

    profile = await got(client, "/api/customers/u-9", await cookie(store, "B", (), "supervisor"))
    assert (profile["name"], profile["attributes"]) == ("Joe", {})


async def test_attributes_added_to_an_old_signature_make_the_customer_anonymous(
    client: TestClient, store: SQLiteStore
) -> None:
    signature = sign_identity(SECRET, "u-10", None, None)  # does not cover the attributes
    customer = await hello(client, {"id": "u-10", "attributes": PLAN, "signature": signature})
    ready = await customer.next_of("session.ready")

    stored = await store.conversation(ready["conversation"])
    assert stored is not None and stored.customer_id is None
    await got(client, "/api/customers/u-10", await cookie(store, "B", (), "supervisor"), 404)


@pytest.mark.parametrize(
    ("attributes", "says"),
    [
        ({"notes": "x" * 201}, "identity.attributes.notes: longer than 200 characters"),
        ({f"k{n}": n for n in range(21)}, "more than 20 attributes"),
        ({f"key{n}": "가" * 150 for n in range(10)}, "more than 2048"),
        ({"address": {"city": "Seoul"}}, "not a string, an integer, true, false or null"),
        ({"bad key": 1}, "is not a name of 1 to 40 letters"),
        ({"ratio": 0.5}, "not a string, an integer"),
    ],
)
async def test_attributes_too_large_or_of_the_wrong_shape_are_refused_with_a_clear_error(
    client: TestClient, store: SQLiteStore, attributes: dict[str, Any], says: str
) -> None:
    claim = {"id": "u-11", "attributes": attributes, "signature": "0" * 64}
    customer = await hello(client, claim)

    error = await customer.next_of("error")

    assert error["code"] == "bad_attributes" and says in error["message"]
    assert await store.customer("u-11") is None
    # the socket stays open: a corrected hello is answered
    signature = sign_identity(SECRET, "u-11", None, None)
    await customer.send({"type": "session.hello", "token": None, "last_seq": 0, "lang": "en",
                         "identity": {"id": "u-11", "signature": signature}})  # fmt: skip
    await customer.next_of("session.ready")


@pytest.fixture
async def desk(store: SQLiteStore) -> dict[str, Any]:
    """Mina: a billing conversation (rated 2) and a tech one; Joe: a tech one only."""
    billing, _ = await make_agent(store, "Kim", ("billing",))
    tech, _ = await make_agent(store, "Lee", ("tech",))
    await store.remember_customer("u-1", name="Mina", email="mina@example.com",
                                  attributes={"plan": "premium"}, now=5.0)  # fmt: skip
    await store.remember_customer("u-2", name="Joe", email=None, attributes={}, now=6.0)
    paid = await conversation(store, [Said("환불 언제 되나요")], now=10.0, customer=("u-1", "Mina"))
    await handled(store, paid, billing.id, team="billing", reply="처리했습니다", rating=2, now=11.0)
    video = await conversation(store, [Said("buffering")], now=20.0, customer=("u-1", "Mina"))
    await handled(store, video, tech.id, team="tech", reply="Try again", rating=5, now=21.0)
    joes = await conversation(store, [Said("no sound")], now=30.0, customer=("u-2", "Joe"))
    await handled(store, joes, tech.id, team="tech", reply="Check volume", now=31.0)
    return {
        "paid": paid.id, "video": video.id,
        "boss": await cookie(store, "Boss", (), role="supervisor"),
        "billing": await cookie(store, "Park", ("billing",)),
        "tech": await cookie(store, "Choi", ("tech",)),
        "sales": await cookie(store, "Han", ("sales",)),
    }  # fmt: skip


async def test_the_list_shows_each_customer_with_counts_and_average_rating(
    client: TestClient, desk: dict[str, Any]
) -> None:
    body = await got(client, "/api/customers", desk["boss"])

    mina = next(c for c in body["customers"] if c["id"] == "u-1")
    assert (mina["name"], mina["email"], mina["conversations"], mina["average_csat"]) == (
        "Mina", "mina@example.com", 2, 3.5,
    )  # fmt: skip
    assert mina["last_seen_at"] == 5.0 and body["next_cursor"] is None


async def test_the_list_finds_customers_by_part_of_a_name_email_or_id(
    client: TestClient, desk: dict[str, Any]
) -> None:
    for q in ("min", "EXAMPLE.com", "u-2"):
        body = await got(client, f"/api/customers?q={q}", desk["boss"])
        assert [c["id"] for c in body["customers"]] == ["u-2" if q == "u-2" else "u-1"]


async def test_the_list_pages_follow_the_cursor(client: TestClient, desk: dict[str, Any]) -> None:
    first = await got(client, "/api/customers?limit=1", desk["boss"])
    second = await got(
        client, f"/api/customers?limit=1&cursor={first['next_cursor']}", desk["boss"]
    )

    assert [c["id"] for c in first["customers"] + second["customers"]] == ["u-2", "u-1"]
    assert second["next_cursor"] is None


async def test_the_profile_lists_every_conversation_ticket_and_rating(
    client: TestClient, desk: dict[str, Any]
) -> None:
    profile = await got(client, "/api/customers/u-1", desk["boss"])

    assert [c["id"] for c in profile["conversations_listed"]] == [desk["video"], desk["paid"]]
    assert [(c["status"], c["team"]) for c in profile["conversations_listed"]] == [
        ("closed", "tech"), ("closed", "billing"),
    ]  # fmt: skip
    assert [(t["conversation"], t["team"]) for t in profile["tickets"]] == [
        (desk["video"], "tech"), (desk["paid"], "billing"),
    ]  # fmt: skip
    assert sorted(r["rating"] for r in profile["csat"]) == [2, 5]
    assert profile["attributes"] == {"plan": "premium"}


async def test_a_note_about_the_customer_is_kept_on_the_profile(
    client: TestClient, desk: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/customers/u-1/notes", json={"text": "  VIP: 환불 두 번째  "}, headers=desk["billing"]
    )
    assert response.status == 201, await response.text()

    profile = await got(client, "/api/customers/u-1", desk["boss"])
    [note] = profile["notes"]
    assert (note["name"], note["text"]) == ("Park", "VIP: 환불 두 번째")


@pytest.mark.parametrize(
    ("body", "says"),
    [({"text": "   "}, "some text"), ({"text": "x" * 2001}, "longer than 2000"), ([1], "the body")],
)
async def test_a_bad_note_is_refused_and_nothing_kept(
    client: TestClient, desk: dict[str, Any], body: object, says: str
) -> None:
    response = await client.post("/api/customers/u-1/notes", json=body, headers=desk["boss"])

    assert response.status == 400 and says in (await response.json())["message"]
    assert (await got(client, "/api/customers/u-1", desk["boss"]))["notes"] == []


async def test_an_agent_sees_only_customers_of_their_teams_conversations(
    client: TestClient, desk: dict[str, Any]
) -> None:
    billing = await got(client, "/api/customers", desk["billing"])
    tech = await got(client, "/api/customers", desk["tech"])

    assert [c["id"] for c in billing["customers"]] == ["u-1"]
    assert [c["id"] for c in tech["customers"]] == ["u-2", "u-1"]
    assert (await got(client, "/api/customers", desk["sales"]))["customers"] == []


async def test_another_teams_agent_may_not_read_or_note_a_customer(
    client: TestClient, desk: dict[str, Any]
) -> None:
    refused = await got(client, "/api/customers/u-2", desk["billing"], 403)
    note = await client.post("/api/customers/u-2/notes", json={"text": "hi"}, headers=desk["sales"])

    assert refused["error"] == "forbidden"
    assert note.status == 403
    assert (await got(client, "/api/customers/u-2", desk["boss"]))["notes"] == []


async def test_unknown_customers_bad_parameters_and_strangers_get_clear_errors(
    client: TestClient, desk: dict[str, Any]
) -> None:
    assert (await got(client, "/api/customers/nobody", desk["boss"], 404))["error"] == "not_found"
    bad = await got(client, "/api/customers?cursor=%%%", desk["boss"], 400)
    assert "cursor" in bad["message"]
    assert "limit" in (await got(client, "/api/customers?limit=0", desk["boss"], 400))["message"]
    assert "sort" in (await got(client, "/api/customers?sort=name", desk["boss"], 400))["message"]
    assert (await client.get("/api/customers")).status == 401
    bad_json = await client.post(
        "/api/customers/u-1/notes",
        data="{",
        headers={**desk["boss"], "Content-Type": "application/json"},
    )
    assert bad_json.status == 400


EARLIER = (
    "INSERT INTO conversations (id, token, status, created_at, updated_at, customer_id,"
    " customer_name, customer_email) VALUES ('c_1', 't1', 'closed', 10, 15, 'u-old', 'Ara',"
    " 'ara@example.com')",
    "INSERT INTO conversations (id, token, status, created_at, updated_at, customer_id,"
    " customer_name) VALUES ('c_2', 't2', 'bot', 20, 25, 'u-old', 'Ara')",
    "INSERT INTO conversations (id, token, status, created_at, updated_at)"
    " VALUES ('c_3', 't3', 'bot', 30, 30)",
)


async def expect_backfilled(upgraded: Any) -> None:
    page = await upgraded.find_customers(None, None, 10, None)
    [ara] = page.customers
    assert (ara.id, ara.name, ara.email, ara.attributes) == ("u-old", "Ara", "ara@example.com", {})
    assert (ara.first_seen_at, ara.last_seen_at, ara.conversations) == (10.0, 25.0, 2)


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_customers_of_conversations_before_the_directory_are_listed_on_sqlite(
    store: SQLiteStore, tmp_path: Path
) -> None:
    import sqlite3

    from helpline.store.migrations import MIGRATIONS, migrate

    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    migrate(conn, before_the_directory(MIGRATIONS))
    for statement in EARLIER:
        conn.execute(statement)
    conn.close()
    upgraded = SQLiteStore(old)
    await upgraded.open()
    try:
        await expect_backfilled(upgraded)
    finally:
        await upgraded.close()


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
async def test_customers_of_conversations_before_the_directory_are_listed_on_postgresql(
    store: SQLiteStore, postgres_server: str
) -> None:
    import asyncpg

    from backends import fresh_schema
    from helpline.store.postgres import PostgresStore
    from helpline.store.postgres_migrations import MIGRATIONS, migrate

    async with fresh_schema(postgres_server) as url:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn, before_the_directory(MIGRATIONS))
            for statement in EARLIER:
                await conn.execute(statement)
        finally:
            await conn.close()
        upgraded = PostgresStore(url)
        await upgraded.open()
        try:
            await expect_backfilled(upgraded)
        finally:
            await upgraded.close()


async def test_an_id_with_a_slash_or_korean_letters_reaches_its_profile(
    client: TestClient, store: SQLiteStore
) -> None:
    await store.remember_customer("org/고객-1", name=None, email=None, attributes={}, now=1.0)
    await conversation(store, [Said("hi")], now=2.0, customer=("org/고객-1", "X"))
    boss = await cookie(store, "Boss", (), role="supervisor")

    profile = await got(client, "/api/customers/org%2F%EA%B3%A0%EA%B0%9D-1", boss)
    posted = await client.post(
        "/api/customers/org%2F%EA%B3%A0%EA%B0%9D-1/notes", json={"text": "ok"}, headers=boss
    )

    assert profile["id"] == "org/고객-1" and posted.status == 201


def before_the_directory(steps: Sequence[Sequence[str]]) -> Sequence[Sequence[str]]:
    """The schema's steps up to the one that makes the customers table (steps appended
    after it, by later features, are not in an "old" database either)."""
    makes = "CREATE TABLE customers ("
    (at,) = [n for n, step in enumerate(steps) if any(makes in s for s in step)]
    return steps[:at]
