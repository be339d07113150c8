"""The desk's rules from config.yaml: queue settings, hours per team, and what we say."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from helpline.hours import Hours, next_opening, parse_hours
from helpline.routing import QueueSettings, settings_from
from helpline.rules.model import Config

_WEEKDAY = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ko": ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
}


def queue_settings(config: Config) -> QueueSettings:
    return settings_from(config.queue)


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
