"""Shared fixtures: a small bilingual rulebook, a real SQLite store, the app, customers.

- `rulebook`: three intents built in memory (no YAML needed).
- `make_settings(**overrides)`: Settings on tmp_path with test-friendly defaults.
- `store`: an open SQLiteStore on a real file in tmp_path.
- `make_client(settings=None, rulebook=None)`: a TestClient for create_app(...).
- `FrameSocket`: a test's end of a websocket: JSON frames sent, received and waited for.
- `Customer`: a websocket client speaking the customer protocol; `await Customer.join(client)`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from helpline.rules.model import Config, Intent, Rulebook
from helpline.settings import Limits, Settings
from helpline.store import SQLiteStore
from helpline.web.app import create_app

# the session's shared PostgreSQL and Redis servers (started only when a test asks), and
# two nodes on them for the multi-node tests
pytest_plugins = ("backends", "two_nodes")

WAIT_S = 5.0  # upper bound for any single wait in these tests; normally milliseconds


@pytest.fixture(scope="session", autouse=True)
def encoder_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The sentence encoder's disk cache: one folder for the whole session (servers started
    as subprocesses inherit it), so bot_rules' examples are encoded once per run and the
    user's own cache is neither read nor written."""
    folder = tmp_path_factory.mktemp("encoder-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELPLINE_CACHE_DIR", str(folder))
        yield folder


# Test modules that start `helpline serve --rules bot_rules` in subprocesses, under a start
# timeout: bot_rules' examples are encoded into the session's cache before their first test,
# so a server's start there is a warm one (seconds), not a cold one (every example encoded).
SERVES_BOT_RULES = {
    "test_actions", "test_crash_recovery", "test_handoff_restart", "test_multinode", "browser",
    "test_attachments_crash",
}


@pytest.fixture(scope="session")
def bot_rules_encoded(encoder_cache_dir: Path) -> None:
    from helpline.matcher import build_matcher
    from helpline.rules import load_rulebook

    build_matcher(load_rulebook(Path(__file__).parent.parent / "bot_rules"))


@pytest.fixture(scope="module", autouse=True)
def _encode_bot_rules_for_servers(request: pytest.FixtureRequest) -> None:
    if SERVES_BOT_RULES & {request.path.stem, request.path.parent.name}:
        request.getfixturevalue("bot_rules_encoded")


TEXTS = {
    "greeting": {"en": "Hi! How can I help?", "ko": "안녕하세요! 무엇을 도와드릴까요?"},
    "fallback": {"en": "Sorry, say it another way?", "ko": "다시 말씀해 주시겠어요?"},
    "clarify": {"en": "Did you mean one of these?", "ko": "이런 내용을 찾으시나요?"},
    "handoff": {"en": "Handing you to a person.", "ko": "상담원에게 연결해 드릴게요."},
}


def _intent(name: str, en: tuple[str, ...], ko: tuple[str, ...], answer_en: str) -> Intent:
    return Intent(
        name=name,
        category="general",
        examples={"en": en, "ko": ko},
        answer={"en": answer_en, "ko": f"{answer_en} (ko)"},
    )


@pytest.fixture
def rulebook() -> Rulebook:
    config = Config(languages=("ko", "en"), default_language="en", texts=TEXTS)
    intents = (
        _intent(
            "refund",
            ("i want a refund", "refund please", "give my money back"),
            ("환불해 주세요", "환불 받고 싶어요"),
            "Refunds take 3-5 days.",
        ),
        _intent(
            "password_reset",
            ("i forgot my password", "reset my password"),
            ("비밀번호를 잊어버렸어요", "비밀번호 재설정"),
            "Use 'Forgot password'.",
        ),
        _intent(
            "talk_to_agent",
            ("talk to a human", "i want an agent"),
            ("상담원 연결해 주세요", "사람이랑 얘기하고 싶어요"),
            "Connecting you.",
        ),
    )
    return Rulebook(config=config, intents=intents)


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "rules_dir": tmp_path / "no-rules",  # absent: nothing to watch
            "database_url": str(tmp_path / "helpline.db"),
            "widget_dir": tmp_path / "widget",
            "limits": Limits(heartbeat_s=30.0),
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "helpline.db")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
def make_client(
    store: SQLiteStore,  # first, so the store outlives the app that uses it
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
) -> Callable[..., Awaitable[TestClient]]:
    async def make(settings: Settings | None = None, **app_args: Any) -> TestClient:
        app_args.setdefault("store", store)
        app_args.setdefault("rulebook", rulebook)
        client: TestClient = await aiohttp_client(
            create_app(settings or make_settings(), **app_args)
        )
        return client

    return make


class FrameSocket:
    """A test's end of a websocket: sends JSON frames, and waits for the frames it expects
    (each wait bounded by WAIT_S)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.seen: list[dict[str, Any]] = []  # every frame received, in order

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def receive(self) -> dict[str, Any]:
        msg = await asyncio.wait_for(self.ws.receive(), WAIT_S)
        if msg.type is not aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"socket ended: {msg.type.name} {self.ws.close_code}")
        frame: dict[str, Any] = json.loads(msg.data)
        self.seen.append(frame)
        return frame

    async def next_of(self, frame_type: str, /, **fields: Any) -> dict[str, Any]:
        """The next frame of this type (and these field values), skipping others."""
        while True:
            frame = await self.receive()
            if frame["type"] == frame_type and all(frame.get(k) == v for k, v in fields.items()):
                return frame


class Customer(FrameSocket):
    """One widget tab: the customer protocol's frames over a FrameSocket."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        super().__init__(ws)
        self.ready: dict[str, Any] = {}

    @classmethod
    async def join(
        cls, client: TestClient, token: str | None = None, last_seq: int = 0, lang: str = "en"
    ) -> Customer:
        customer = cls(await client.ws_connect("/ws/customer"))
        await customer.send(
            {"type": "session.hello", "token": token, "last_seq": last_seq, "lang": lang}
        )
        customer.ready = await customer.next_of("session.ready")
        return customer

    async def say(self, client_id: str, text: str, **extra: Any) -> None:
        await self.send({"type": "message.new", "id": client_id, "text": text, **extra})

    async def bot_reply(self) -> dict[str, Any]:
        return await self.next_of("message.new", sender="bot")

    async def closed(self) -> int | None:
        """Wait for the server to close the socket; the close code it sent."""
        while True:
            msg = await asyncio.wait_for(self.ws.receive(), WAIT_S)
            if msg.type is aiohttp.WSMsgType.CLOSE:
                return int(msg.data)  # ws.close_code can read 1006 when wait_for wraps receive
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return self.ws.close_code
            self.seen.append(json.loads(msg.data))
