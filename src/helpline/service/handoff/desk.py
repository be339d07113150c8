"""What the desk tells a customer handed over or waiting: whether anyone is there, when a
closed team is back, how long the wait is; in config.yaml's words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from helpline.hours import Hours, is_open, next_opening
from helpline.rules.model import Config
from helpline.service.handoff.board import Board
from helpline.store.handoff import Handoff
from helpline.turn import Status

_WEEKDAY = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "ko": ("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
}


@dataclass(frozen=True)
class Availability:
    status: Status  # queued | offline
    notice: str | None  # an honest bot message (kind "offline") when nobody can take it soon


def text(config: Config, key: str, language: str, **values: object) -> str:
    return config.text(key, language, **values)


def offer_text(config: Config, key: str, lang: str, can_email: bool, **values: object) -> str:
    """A text that offers email, or its _no_email version where none can be sent."""
    return text(config, key if can_email else key + "_no_email", lang, **values)


def availability(
    config: Config, board: Board, row: Handoff, now: float, lang: str, can_email: bool
) -> Availability:
    """The status a handover ends in, and what its customer is told beside it: offline
    when nobody can take it, queued with a warning when the wait is long."""
    away = nobody_there(config, board, row.team, now, lang, can_email)
    if away is not None:
        return Availability("offline", away)
    eta = board.joining_place(row).eta_s
    if eta is not None and eta > config.queue.max_wait_s:
        minutes = max(1, round(eta / 60))
        warning = offer_text(config, "long_wait", lang, can_email, minutes=minutes)
        return Availability("queued", warning)
    return Availability("queued", None)


def nobody_there(
    config: Config, board: Board, team: str, now: float, lang: str, can_email: bool
) -> str | None:
    """What to tell a customer when the team is closed or nobody of it is online: when
    it is back, and what they can do meanwhile; None when someone is there."""
    hours = config.business_hours.of(team)
    closed = not is_open(hours, datetime.fromtimestamp(now, UTC))
    when = when_back(hours, now, lang) if closed else None
    if when is not None:
        return offer_text(config, "offline_closed", lang, can_email, when=when)
    if closed or board.agents_online(team) == 0:  # closed for good: no "back at"
        return offer_text(config, "offline_nobody", lang, can_email)
    return None


def wait_text(
    config: Config, board: Board, conversation_id: str, now: float, lang: str, can_email: bool
) -> str | None:
    """The real answer to "how long?" while waiting; None when not in the line. With
    the team closed or nobody there it is when they are back, never "shortly"."""
    row = board.rows.get(conversation_id)
    if row is None or row.state == "assigned":
        return None
    away = nobody_there(config, board, row.team, now, lang, can_email)
    if away is not None:
        return away
    place = board.place(conversation_id)
    if place is None:
        return None
    if place.eta_s is None:
        return text(config, "queue_position_unknown", lang, position=place.position)
    minutes = max(1, round(place.eta_s / 60))
    return text(config, "queue_position", lang, position=place.position, minutes=minutes)


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
