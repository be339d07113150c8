"""The inbox page's server side: /console/inbox served like the console (its headers, no
frames) and GET /api/inbox/intents, the list an author picks an intent from."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from handoff_kit import make_agent
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.web.auth import COOKIE

WEB_WIDGET = Path(__file__).parent.parent / "web_widget"
BROWSER_RULES = Path(__file__).parent / "browser" / "rules"


@pytest.fixture
async def client(
    tmp_path: Path,
    make_client: Callable[..., Awaitable[TestClient]],
    make_settings: Callable[..., Settings],
) -> TestClient:
    rules = tmp_path / "rules"
    shutil.copytree(BROWSER_RULES, rules)
    settings = make_settings(rules_dir=rules, widget_dir=WEB_WIDGET, reload_interval_s=0)
    return await make_client(settings, rulebook=None)


async def signed_in(store: SQLiteStore, role: str) -> dict[str, str]:
    _, token = await make_agent(store, role.capitalize(), role=role)
    return {"Cookie": f"{COOKIE}={token}"}


async def test_the_inbox_page_is_served_with_the_consoles_headers(client: TestClient) -> None:
    response = await client.get("/console/inbox")

    assert response.status == 200
    assert response.content_type == "text/html"
    assert '<script src="/widget/inbox.js" defer></script>' in await response.text()
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy  # no inline script of its own to allow


@pytest.mark.parametrize("role", ["author", "supervisor"])
async def test_authors_and_supervisors_get_every_intent_with_its_titles_and_file(
    client: TestClient, store: SQLiteStore, role: str
) -> None:
    response = await client.get("/api/inbox/intents", headers=await signed_in(store, role))

    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["languages"] == ["ko", "en"]
    names = [i["name"] for i in body["intents"]]
    assert names == [
        "forgot_password", "change_plan", "cancel_plan", "talk_to_agent", "privacy_request"
    ]  # fmt: skip
    assert body["intents"][1] == {
        "name": "change_plan",
        "category": "billing",
        "title": {"en": "Change my plan", "ko": "요금제 변경"},
        "file": "help.yaml",
    }


@pytest.mark.parametrize(("headers", "status"), [(None, 401), ("agent", 403)])
async def test_intents_are_refused_to_anyone_but_authors(
    client: TestClient, store: SQLiteStore, headers: str | None, status: int
) -> None:
    sent = await signed_in(store, headers) if headers else {}

    response = await client.get("/api/inbox/intents", headers=sent)

    assert response.status == status
    assert (await response.json())["error"] == ("unauthorized" if status == 401 else "forbidden")
