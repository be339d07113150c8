"""What the handoff tests share: a desk rulebook, agents with sessions, an agent client."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aiohttp.test_utils import TestClient

from conftest import TEXTS, WAIT_S, FrameSocket
from helpline.hours import parse_business_hours
from helpline.routing import settings_from
from helpline.rules.model import Config, Intent, Rulebook
from helpline.service.handoff.service import HandoffService
from helpline.sla import Policy, SlaSettings
from helpline.store import SQLiteStore
from helpline.store.agents import Agent
from helpline.web.auth import token_hash
from helpline.web.keys import HANDOFF

QUEUE = {"fallback_team": "general", "accept_timeout_s": 30, "tick_s": 0.01}


class Clock:
    """A clock the test moves by hand; starts at the real time so sessions are valid."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _intent(
    name: str, category: str, en: tuple[str, ...], ko: tuple[str, ...], **extra: Any
) -> Intent:
    answer = {"en": f"About {name.replace('_', ' ')}.", "ko": f"{name} 안내입니다."}
    return Intent(name, category, {"en": en, "ko": ko}, answer, **extra)


def desk_rulebook(
    queue: Mapping[str, object] | None = None, hours: Mapping[str, object] | None = None
) -> Rulebook:
    texts = {**TEXTS, "queued_wait": {"en": "You're in line.", "ko": "대기 중이에요."}}
    config = Config(
        languages=("ko", "en"), default_language="en", texts=texts, max_fallbacks=2,
        queue=settings_from({**QUEUE, **(queue or {})}),
        business_hours=parse_business_hours(hours),
    )  # fmt: skip
    intents = (
        _intent(
            "payment_failed", "billing", ("my payment failed", "my card was declined"),
            ("결제가 안 돼요", "카드 결제 실패"), priority="high",
        ),
        _intent(
            "refund", "billing", ("i want a refund", "give my money back"),
            ("환불해 주세요", "환불 받고 싶어요"), escalate=True,
        ),
        _intent(
            "password_reset", "account", ("i forgot my password", "reset my password"),
            ("비밀번호를 잊어버렸어요", "비밀번호 재설정"),
        ),
        _intent(
            "talk_to_agent", "general", ("talk to a human", "i want an agent"),
            ("상담원 연결해 주세요", "사람이랑 얘기하고 싶어요"),
        ),
    )  # fmt: skip
    return Rulebook(config=config, intents=intents)


def sla_rulebook(policy: Policy, **settings: Any) -> Rulebook:
    """The desk rulebook with `policy` for normal and high priority tickets."""
    rules = desk_rulebook()
    # the tests run the breach check themselves, on their clock: the node's own waits an hour
    sla = SlaSettings(
        policies={"normal": policy, "high": policy}, warning_at=0.5, check_every_s=3600,
        **settings,
    )  # fmt: skip
    return replace(rules, config=replace(rules.config, sla=sla))


async def make_agent(
    store: SQLiteStore, name: str, teams: tuple[str, ...] = ("general",), *,
    role: str = "agent", capacity: int = 2,
) -> tuple[Agent, str]:  # fmt: skip
    """An agent account and a live session token for it."""
    agent = await store.create_agent(
        email=f"{name.lower()}@desk.test", name=name, teams=teams, role=role,
        capacity=capacity, password_hash="not-used", now=time.time(),
    )  # fmt: skip
    token = secrets.token_urlsafe(32)
    await store.create_session(agent.id, token_hash(token), time.time() + 10 * 86400)
    return agent, token


class AgentClient(FrameSocket):
    """An agent console: the agent protocol's frames over a FrameSocket."""

    @classmethod
    async def join(cls, client: TestClient, token: str) -> AgentClient:
        ws = await client.ws_connect("/ws/agent", headers={"Authorization": f"Bearer {token}"})
        agent = cls(ws)
        await agent.next_of("agent.ready")
        return agent

    async def snapshot_where(self, check: Callable[[list[dict[str, Any]]], bool]) -> Any:
        """The entries of the next queue.snapshot they pass check, skipping earlier ones."""
        while not check((frame := await self.next_of("queue.snapshot"))["entries"]):
            pass
        return frame["entries"]

    async def next_of_any(self, *frame_types: str) -> dict[str, Any]:
        while (frame := await self.receive())["type"] not in frame_types:
            pass
        return frame

    async def accept(self, conversation: str) -> dict[str, Any]:
        await self.send({"type": "conversation.accept", "conversation": conversation})
        return await self.next_of("conversation.assigned", conversation=conversation)

    async def close(self) -> None:
        await self.ws.close()


def handoff_of(client: TestClient) -> HandoffService:
    return client.server.app[HANDOFF]  # type: ignore[union-attr]


async def wait_for(client: TestClient, predicate: Any) -> None:
    """Until predicate(service) holds, re-checked after every queue change."""
    await asyncio.wait_for(handoff_of(client).wait_until(predicate), WAIT_S)
