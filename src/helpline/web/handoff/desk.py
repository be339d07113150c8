"""The desk's rules from config.yaml: queue settings, hours per team, and what we say."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from helpline.errors import ConfigError
from helpline.hours import Hours, next_opening, parse_hours
from helpline.rules.model import Config

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
    return config.text(key, language, **values)


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
