"""A report's period and its groups: --since 7d or a date, and buckets by day or hour."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from helpline.service.report.facts import Facts

GROUPINGS = ("day", "hour", "team", "agent", "intent", "language")
_AGO = re.compile(r"^(\d{1,5})([dhm])$")
_UNIT_S = {"d": 86400, "h": 3600, "m": 60}
MAX_BUCKETS = 24 * 400  # a year and a bit by the hour; more is a mistake, not a chart


@dataclass(frozen=True)
class Period:
    since: float
    until: float

    @property
    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.since - (self.until - self.since), self.since)


def moment(text: str, zone: ZoneInfo, now: float, what: str) -> float:
    """'7d' / '12h' / '30m' before now, or an ISO date or time (in the desk's time zone
    unless it names its own); ValueError naming `what` otherwise."""
    text = text.strip()
    if found := _AGO.match(text):
        return now - int(found.group(1)) * _UNIT_S[found.group(2)]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{what}: {text!r} is neither a span like 7d, 12h or 30m nor an ISO date or time"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.timestamp()


def period(since: str, until: str | None, zone: ZoneInfo, now: float) -> Period:
    start = moment(since, zone, now, "since")
    end = now if until is None or not until.strip() else moment(until, zone, now, "until")
    if end <= start:
        raise ValueError("until: the period ends before it starts")
    return Period(start, end)


def check_grouping(by: str | None) -> str | None:
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"by: {by!r} is not one of {', '.join(GROUPINGS)}")
    return by


def key_of(facts: Facts, by: str, zone: ZoneInfo) -> str | None:
    """The group a conversation belongs to: when it started (in the desk's time zone), its
    first ticket's team or agent, its first intent, its language."""
    if by in ("day", "hour"):
        return _bucket(facts.started_at, by, zone)
    return {
        "team": facts.team, "agent": facts.agent, "intent": facts.first_intent,
        "language": facts.language,
    }[by]  # fmt: skip


def buckets(span: Period, by: str, zone: ZoneInfo) -> list[str]:
    """Every day or hour of the period, so a chart shows the quiet ones too."""
    step = timedelta(days=1) if by == "day" else timedelta(hours=1)
    local = datetime.fromtimestamp(span.since, UTC).astimezone(zone)
    if by == "day":
        local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        local = local.replace(minute=0, second=0, microsecond=0)
    found: list[str] = []
    while local.timestamp() < span.until:
        if len(found) >= MAX_BUCKETS:
            raise ValueError(f"by: a {by} series of this period has over {MAX_BUCKETS} points")
        found.append(_bucket(local.timestamp(), by, zone))
        # wall-clock steps: a day is a calendar day even across a change of clocks
        local = (local.replace(tzinfo=None) + step).replace(tzinfo=zone)
    return found


def _bucket(at: float, by: str, zone: ZoneInfo) -> str:
    local = datetime.fromtimestamp(at, UTC).astimezone(zone)
    return local.strftime("%Y-%m-%d") if by == "day" else local.strftime("%Y-%m-%dT%H:00")
