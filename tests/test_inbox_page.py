"""The inbox page's server side: /console/inbox served like the console (its headers, no
frames), GET /api/inbox/intents (the list an author picks an intent from), and
POST /api/inbox/answers (a new intent from agents' answers, checked by the loader)."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from conftest import Customer
from handoff_kit import make_agent
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.web.auth import COOKIE
from helpline.web.keys import RULES

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


EXPIRY: dict[str, Any] = {
    "file": "help.yaml",
    "name": "download_expiry",
    "category": "general",
    "title": {"en": "Downloads vanished", "ko": "다운로드가 사라졌어요"},
    "examples": {
        "en": ["my downloads vanish after a day", "why did my downloads disappear"],
        "ko": ["다운로드한 영상이 사라졌어요", "다운로드가 하루 만에 없어져요"],
    },
    "answer": {
        "en": "Downloads expire after **48 hours** offline; open the app online to renew.",
        "ko": "다운로드는 오프라인에서 **48시간** 후 만료돼요. 온라인에서 앱을 열면 갱신돼요.",
    },
}
ENTRY = """
  - name: download_expiry
    category: general
    title: {en: "Downloads vanished", ko: "다운로드가 사라졌어요"}
    examples:
      en: ["my downloads vanish after a day", "why did my downloads disappear"]
      ko: ["다운로드한 영상이 사라졌어요", "다운로드가 하루 만에 없어져요"]
    answer:
      en: "Downloads expire after **48 hours** offline; open the app online to renew."
      ko: "다운로드는 오프라인에서 **48시간** 후 만료돼요. 온라인에서 앱을 열면 갱신돼요."
"""


def help_file(client: TestClient) -> Path:
    return Path(client.server.app[RULES].current.rulebook.source) / "intents" / "help.yaml"  # type: ignore[union-attr]


async def ask(client: TestClient, text: str) -> dict[str, Any]:
    """A new customer writes text over the websocket; the bot's reply frame."""
    customer = await Customer.join(client)
    await customer.bot_reply()  # the greeting
    await customer.say("m1", text)
    reply = await customer.bot_reply()
    await customer.ws.close()
    return reply


async def test_an_intent_from_agents_answers_is_written_reloaded_and_answers_customers(
    client: TestClient, store: SQLiteStore
) -> None:
    before = help_file(client).read_text(encoding="utf-8")
    assert (await ask(client, "my downloads vanish after a day"))["kind"] == "fallback"

    response = await client.post(
        "/api/inbox/answers", json=EXPIRY, headers=await signed_in(store, "author")
    )

    assert response.status == 200
    assert await response.json() == {
        "intent": "download_expiry", "file": "help.yaml", "examples": 4, "answered": 4,
        "rules_version": 2,
    }  # fmt: skip
    assert help_file(client).read_text(encoding="utf-8") == before + ENTRY
    reply = await ask(client, "my downloads vanish after a day")
    assert (reply["kind"], reply["intent"]) == ("answer", "download_expiry")
    assert "48 hours" in reply["text"]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"examples": {"en": ["my downloads vanish"]}}, "no examples in 'ko'"),
        ({"name": "change_plan"}, "change_plan"),
    ],
)
async def test_an_intent_the_loader_rejects_is_refused_and_nothing_changes(
    client: TestClient, store: SQLiteStore, change: dict[str, Any], refusal: str
) -> None:
    before = help_file(client).read_text(encoding="utf-8")

    response = await client.post(
        "/api/inbox/answers", json={**EXPIRY, **change}, headers=await signed_in(store, "author")
    )

    assert response.status == 422
    body = await response.json()
    assert body["error"] == "rules_refused"
    assert refusal in body["message"]
    assert help_file(client).read_text(encoding="utf-8") == before
    assert client.server.app[RULES].current.version == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ([EXPIRY], 400, "JSON object"),
        ({**EXPIRY, "name": "Download Expiry"}, 400, "snake_case"),
        ({**EXPIRY, "file": "../config.yaml"}, 404, "no intents file"),
        ({**EXPIRY, "examples": {"en": "my downloads"}}, 400, "'examples.en' must be a list"),
        ({**EXPIRY, "answer": {"en": ""}}, 400, "'answer.en' must be a text"),
        ({**EXPIRY, "answer": None}, 400, "'answer' must map language codes"),
        ({k: v for k, v in EXPIRY.items() if k != "category"}, 400, "'category'"),
    ],
)
async def test_a_malformed_new_intent_gets_a_clear_error(
    client: TestClient, store: SQLiteStore, body: Any, status: int, said: str
) -> None:
    before = help_file(client).read_text(encoding="utf-8")

    response = await client.post(
        "/api/inbox/answers", json=body, headers=await signed_in(store, "supervisor")
    )

    assert response.status == status
    assert said in (await response.json())["message"]
    assert help_file(client).read_text(encoding="utf-8") == before


async def test_agents_cannot_write_intents(client: TestClient, store: SQLiteStore) -> None:
    response = await client.post(
        "/api/inbox/answers", json=EXPIRY, headers=await signed_in(store, "agent")
    )

    assert response.status == 403
