"""The desk's rules from config.yaml: queue settings, hours per team, and what we say."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType

from helpline.errors import ConfigError
from helpline.hours import Hours, next_opening, parse_hours
from helpline.rules.model import Config

# Texts the handoff says; config.yaml `texts` may override any of them per language.
DEFAULT_TEXTS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "offline_closed": {
        "en": "Our team is away right now and back {when}. Leave your email and we'll "
              "answer there, or stay here: your question waits in line for them.",
        "ko": "지금은 상담 시간이 아니에요. {when}에 다시 상담이 시작돼요. 이메일을 남겨 주시면 "
              "답변을 보내 드리고, 이곳에서 기다리셔도 순서대로 연결해 드려요.",
    },
    "offline_nobody": {
        "en": "No one from our team is available right now. Leave your email and we'll "
              "answer there, or stay here: your question waits in line.",
        "ko": "지금은 연결 가능한 상담원이 없어요. 이메일을 남겨 주시면 답변을 보내 드리고, "
              "이곳에서 기다리셔도 순서대로 연결해 드려요.",
    },
    "long_wait": {
        "en": "Everyone is busy: the wait is about {minutes} min. You can leave your "
              "email instead and we'll answer there.",
        "ko": "상담원이 모두 상담 중이라 약 {minutes}분 기다리셔야 해요. 이메일을 남겨 주시면 "
              "답변을 보내 드릴게요.",
    },
    "queue_position": {
        "en": "You're number {position} in line; the expected wait is about {minutes} min.",
        "ko": "대기 순서는 {position}번째이고, 예상 대기 시간은 약 {minutes}분이에요.",
    },
    "queue_position_unknown": {
        "en": "You're number {position} in line. No one is available right now, so we "
              "can't say how long it will be.",
        "ko": "대기 순서는 {position}번째예요. 지금은 연결 가능한 상담원이 없어 대기 시간을 "
              "알 수 없어요.",
    },
    "handback": {
        "en": "You're back with the bot. Ask me anything, or ask for a person again.",
        "ko": "다시 챗봇이 도와드릴게요. 궁금한 점을 물어보시거나 다시 상담원을 요청하세요.",
    },
    "csat": {
        "en": "How did we do? Rate this conversation from 1 to 5.",
        "ko": "상담은 만족스러우셨나요? 1점부터 5점까지 평가해 주세요.",
    },
})  # fmt: skip

_WEEKDAY = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ko": ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
}


@dataclass(frozen=True)
class QueueSettings:
    """config.yaml `queue:`; tick_s is how often offers and presence are checked."""

    fallback_team: str = "general"
    accept_timeout_s: float = 30.0  # an offer not accepted by then goes to the next agent
    max_wait_s: float = 900.0  # an expected wait above this is said honestly, with email
    presence_grace_s: float = 60.0  # a dropped agent socket counts as offline after this
    tick_s: float = 1.0
    snapshot_limit: int = 100  # queue entries an agent's queue.snapshot lists

    def __post_init__(self) -> None:
        if not self.fallback_team or not isinstance(self.fallback_team, str):
            raise ConfigError("queue.fallback_team", "must be a team name")
        for name in ("accept_timeout_s", "max_wait_s", "presence_grace_s", "tick_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"queue.{name}", f"must be a number, not {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ConfigError(f"queue.{name}", f"must be positive, not {value!r}")


def queue_settings(config: Config) -> QueueSettings:
    known = QueueSettings.__dataclass_fields__
    return QueueSettings(**{k: v for k, v in config.queue.items() if k in known})  # type: ignore[arg-type]


def team_hours(config: Config, team: str) -> Hours:
    """The desk's hours, with business_hours.teams.<team> overriding any of their keys."""
    base = dict(config.business_hours)
    teams = base.pop("teams", None) or {}
    override = teams.get(team) if isinstance(teams, Mapping) else None
    if isinstance(override, Mapping):
        base.update(override)
    return parse_hours(base)


def text(config: Config, key: str, language: str, **values: object) -> str:
    if key in config.texts:
        return config.text(key, language, **values)
    by_lang = DEFAULT_TEXTS[key]
    template = by_lang.get(language) or by_lang.get("en") or key
    return template.format(**values)


def when_back(hours: Hours, now: float, language: str) -> str | None:
    """When the team is next open, in the customer's language and the team's time zone."""
    opening = next_opening(hours, datetime.fromtimestamp(now, UTC))
    if opening is None:
        return None
    local = opening.astimezone(hours.zone)
    day = _WEEKDAY.get(language, _WEEKDAY["en"])[local.weekday()]
    if language == "ko":
        return f"{local.month}월 {local.day}일 {day} {local:%H:%M}"
    return f"{day} {local:%d %b} at {local:%H:%M} ({hours.timezone})"
