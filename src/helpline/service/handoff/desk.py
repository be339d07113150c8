"""What the desk says from config.yaml: its texts, and when a closed team is back."""

from __future__ import annotations

from datetime import UTC, datetime

from helpline.hours import Hours, next_opening
from helpline.rules.model import Config

_WEEKDAY = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ko": ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
}


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
