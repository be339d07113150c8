"""The unanswered inbox end to end, on every backend: customers' fallbacks over real
websockets, clusters over GET /api/inbox, a cluster added to an intent of a copy of
bot_rules (the file's layout kept, the rules reloaded, the next such message answered),
a write the loader rejects refused, dismissals that stay, and who may do any of it."""

from __future__ import annotations

import difflib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import make_agent
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.web.auth import COOKIE
from helpline.web.keys import RULES

BOT_RULES = Path(__file__).parent.parent / "bot_rules"
BITCOIN = ["can i pay with bitcoin", "do you accept bitcoin", "bitcoin payment possible?"]
PARCEL = "where is my parcel"


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "bot_rules"
    shutil.copytree(BOT_RULES, copy)
    return copy


@pytest.fixture
async def client(
    bot_rules_encoded: None,
    rules_dir: Path,
    make_client: Callable[..., Awaitable[TestClient]],
    make_settings: Callable[..., Settings],
) -> TestClient:
    # no polling reload: the rules change only when the inbox reloads them
    settings = make_settings(rules_dir=rules_dir, reload_interval_s=0)
    return await make_client(settings, rulebook=None)


async def ask(client: TestClient, text: str) -> dict[str, Any]:
    """A new customer writes text; the bot's reply frame."""
    customer = await Customer.join(client)
    await customer.bot_reply()  # the greeting
    await customer.say("m1", text)
    reply = await customer.bot_reply()
    await customer.ws.close()
    return reply


async def author(store: SQLiteStore, role: str = "author") -> dict[str, str]:
    """The console's cookie of a signed-in account with this role."""
    _, token = await make_agent(store, role.capitalize(), role=role)
    return {"Cookie": f"{COOKIE}={token}"}


async def inbox(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get("/api/inbox", headers=headers)
    assert response.status == 200
    body = await response.json()
    clusters: list[dict[str, Any]] = body["clusters"]
    assert body["total"] == sum(c["size"] for c in clusters)
    return clusters


def added_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


async def test_a_cluster_added_to_an_intent_is_written_reloaded_and_answered_next_time(
    client: TestClient, store: SQLiteStore, rules_dir: Path
) -> None:
    for text in [*BITCOIN, PARCEL]:
        assert (await ask(client, text))["kind"] in ("fallback", "clarify")
    headers = await author(store)
    bitcoin, parcel = await inbox(client, headers)
    billing = rules_dir / "intents" / "billing.yaml"
    before = billing.read_text(encoding="utf-8")

    response = await client.post(
        f"/api/inbox/{bitcoin['id']}/add", json={"intent": "update_payment_method"},
        headers=headers,
    )  # fmt: skip

    assert (bitcoin["size"], bitcoin["language"], bitcoin["messages"]) == (3, "en", BITCOIN)
    assert bitcoin["nearest"]["intent"] and 0 < bitcoin["nearest"]["score"] < 62
    assert response.status == 200
    added = await response.json()
    assert (added["examples"], added["messages"], added["answered"]) == (BITCOIN, 3, 3)
    assert added["rules_version"] == client.server.app[RULES].current.version == 2  # type: ignore[union-attr]
    assert added_lines(before, billing.read_text(encoding="utf-8")) == [
        f'+        - "{text}"' for text in BITCOIN
    ]
    assert [c["id"] for c in await inbox(client, headers)] == [parcel["id"]]
    reply = await ask(client, "do you accept bitcoin")
    assert (reply["kind"], reply["intent"]) == ("answer", "update_payment_method")


async def test_some_messages_of_a_cluster_can_be_added_and_the_rest_stay(
    client: TestClient, store: SQLiteStore, rules_dir: Path
) -> None:
    for text in BITCOIN:
        await ask(client, text)
    headers = await author(store, "supervisor")
    [bitcoin] = await inbox(client, headers)

    response = await client.post(
        f"/api/inbox/{bitcoin['id']}/add",
        json={"intent": "update_payment_method", "messages": ["Do you accept Bitcoin"]},
        headers=headers,
    )

    assert response.status == 200
    # the customer's own wording is written, however the author spelled it
    assert (await response.json())["examples"] == ["do you accept bitcoin"]
    [left] = await inbox(client, headers)
    assert left["messages"] == ["can i pay with bitcoin", "bitcoin payment possible?"]


async def test_a_write_the_rules_would_reject_is_refused_and_nothing_changes(
    client: TestClient, store: SQLiteStore, rules_dir: Path
) -> None:
    await ask(client, PARCEL)
    headers = await author(store)
    [parcel] = await inbox(client, headers)
    # meanwhile someone gives payment_failed the same wording in their editor
    billing = rules_dir / "intents" / "billing.yaml"
    billing.write_text(
        billing.read_text(encoding="utf-8").replace(
            '        - "my payment failed"\n',
            f'        - "my payment failed"\n        - "{PARCEL}"\n',
        ),
        encoding="utf-8",
    )
    cancellation = rules_dir / "intents" / "cancellation.yaml"
    before = cancellation.read_text(encoding="utf-8")

    response = await client.post(
        f"/api/inbox/{parcel['id']}/add", json={"intent": "refund_status"}, headers=headers
    )

    assert response.status == 422
    body = await response.json()
    assert body["error"] == "rules_refused"
    assert "is also an example of 'payment_failed'" in body["message"]
    assert cancellation.read_text(encoding="utf-8") == before
    assert client.server.app[RULES].current.version == 1  # type: ignore[union-attr]
    assert [c["id"] for c in await inbox(client, headers)] == [parcel["id"]]


async def test_a_dismissed_cluster_does_not_come_back(
    client: TestClient, store: SQLiteStore, rules_dir: Path
) -> None:
    await ask(client, PARCEL)
    await ask(client, "my parcel never came")
    headers = await author(store)
    [parcel] = await inbox(client, headers)
    before = {p: p.read_bytes() for p in (rules_dir / "intents").iterdir()}

    response = await client.post(f"/api/inbox/{parcel['id']}/dismiss", headers=headers)

    assert response.status == 200
    assert await response.json() == {"cluster": parcel["id"], "dismissed": 2}
    assert await inbox(client, headers) == []
    assert {p: p.read_bytes() for p in (rules_dir / "intents").iterdir()} == before
    again = await client.post(f"/api/inbox/{parcel['id']}/dismiss", headers=headers)
    assert again.status == 404


async def test_a_thumbs_down_over_the_socket_puts_its_question_in_the_inbox(
    client: TestClient, store: SQLiteStore
) -> None:
    customer = await Customer.join(client)
    await customer.bot_reply()
    await customer.say("m1", "my payment failed")
    answer = await customer.bot_reply()
    await customer.send(
        {"type": "feedback.new", "id": "f1", "seq": answer["seq"], "helpful": False}
    )
    await customer.bot_reply()

    [cluster] = await inbox(client, await author(store))

    assert (cluster["messages"], cluster["flags"]) == (["my payment failed"], ["thumbs_down"])
    assert cluster["nearest"]["intent"] == "payment_failed"


BAD_ADDS: list[tuple[Any, int, str]] = [
    ("not json", 400, "bad_request"),
    (["update_payment_method"], 400, "bad_request"),
    ({"messages": BITCOIN}, 400, "bad_request"),
    ({"intent": "update_payment_method", "messages": "do you accept bitcoin"}, 400, "bad_request"),
    ({"intent": "update_payment_method", "messages": ["pay me"]}, 400, "bad_request"),
    ({"intent": "update_payment_method", "messages": []}, 400, "bad_request"),
    ({"intent": "crypto"}, 404, "not_found"),
]


async def test_a_bad_add_gets_a_clear_error_and_writes_nothing(
    client: TestClient, store: SQLiteStore, rules_dir: Path
) -> None:
    await ask(client, BITCOIN[0])
    headers = await author(store)
    [cluster] = await inbox(client, headers)
    before = {p: p.read_bytes() for p in (rules_dir / "intents").iterdir()}

    answers = []
    for body, _, _ in BAD_ADDS:
        sent = {"data": body} if isinstance(body, str) else {"json": body}
        response = await client.post(f"/api/inbox/{cluster['id']}/add", headers=headers, **sent)
        answer = await response.json()
        answers.append((response.status, answer["error"], bool(answer["message"])))

    assert answers == [(status, code, True) for _, status, code in BAD_ADDS]
    assert {p: p.read_bytes() for p in (rules_dir / "intents").iterdir()} == before
    assert len(await inbox(client, headers)) == 1


async def test_an_unknown_cluster_is_not_found(client: TestClient, store: SQLiteStore) -> None:
    headers = await author(store)
    response = await client.post(
        "/api/inbox/000000000000/add", json={"intent": "payment_failed"}, headers=headers
    )
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_only_signed_in_authors_and_supervisors_reach_the_inbox(
    client: TestClient, store: SQLiteStore
) -> None:
    agent = await author(store, "agent")

    anonymous = await client.get("/api/inbox")
    refused = await client.get("/api/inbox", headers=agent)
    dismiss = await client.post("/api/inbox/000000000000/dismiss", headers=agent)

    assert (anonymous.status, refused.status, dismiss.status) == (401, 403, 403)
    assert (await refused.json())["error"] == "forbidden"
