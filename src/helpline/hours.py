"""Business hours per team, with time zone and holidays: open now? when next?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Hours:
    timezone: str = "UTC"
    weekly: Mapping[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False  # no business_hours configured: people may be there any time

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class BusinessHours:
    """config.yaml's `business_hours`: the desk's hours, and those of teams with their own."""

    desk: Hours = Hours(always_open=True)
    teams: Mapping[str, Hours] = field(default_factory=dict)  # team -> its hours, desk's merged in

    def of(self, team: str) -> Hours:
        return self.teams.get(team, self.desk)


def parse_range(text: str) -> tuple[time, time]:
    found = _RANGE.match(text)
    if not found:
        raise ValueError(f"opening hours {text!r} should look like '09:00-18:00'")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    if h2 == 24 and m2 == 0:
        h2, m2 = 23, 59
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise ValueError(f"opening hours {text!r} end before they start")
    return start, end


def parse_hours(data: Mapping[str, object] | None) -> Hours:
    """Build Hours from config (timezone, weekdays {mon: "09:00-18:00" | [..]}, holidays)."""
    if not data:
        return Hours(always_open=True)
    timezone = str(data.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    weekly: dict[int, tuple[tuple[time, time], ...]] = {}
    days = data.get("weekdays") or {}
    if not isinstance(days, Mapping):
        raise ValueError("weekdays should map day names (mon..sun) to opening hours")
    for day, ranges in days.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
        listed = [ranges] if isinstance(ranges, str) else list(ranges or [])
        weekly[WEEKDAYS.index(day)] = tuple(sorted(parse_range(str(r)) for r in listed))
    listed_holidays = data.get("holidays") or []
    if not isinstance(listed_holidays, list | tuple):
        raise ValueError("holidays should be a list of dates like 2026-12-25")
    try:
        holidays = frozenset(date.fromisoformat(str(d)) for d in listed_holidays)
    except ValueError as exc:
        raise ValueError(f"holidays: {exc}; write dates like 2026-12-25") from exc
    return Hours(timezone, weekly, holidays)


def parse_business_hours(data: Mapping[str, object] | None) -> BusinessHours:
    """The desk's hours and, under `teams`, a team's keys overriding the desk's for that team
    (a team that sets only `weekdays` keeps the desk's time zone and holidays)."""
    desk = dict(data or {})
    teams = desk.pop("teams", None) or {}
    if not isinstance(teams, Mapping):
        raise ValueError("teams should map team names to their hours")
    own: dict[str, Hours] = {}
    for team, override in teams.items():
        if not isinstance(override, Mapping):
            raise ValueError(f"teams.{team} should be a mapping of hours")
        own[str(team)] = parse_hours({**desk, **override})
    return BusinessHours(parse_hours(desk), MappingProxyType(own))


def is_open(hours: Hours, now: datetime) -> bool:
    """`now` must be timezone-aware."""
    if hours.always_open:
        return True
    local = now.astimezone(hours.zone)
    if local.date() in hours.holidays:
        return False
    moment = local.time()
    return any(start <= moment < end for start, end in hours.weekly.get(local.weekday(), ()))


def next_opening(hours: Hours, now: datetime) -> datetime | None:
    """The next moment the desk opens (now if open); None if it never does."""
    if is_open(hours, now):
        return now
    local = now.astimezone(hours.zone)
    for offset in range(0, 15):  # two weeks covers any weekly pattern plus holidays
        day = local.date() + timedelta(days=offset)
        if day in hours.holidays:
            continue
        for start, _end in hours.weekly.get(day.weekday(), ()):
            opening = datetime.combine(day, start, tzinfo=hours.zone)
            if opening > local:
                return opening
    return None
