"""The desk's figures from its stored events: the report, its groups and its drill-down.

Pure functions over the events (`ReportStore.report_events`); `read_report` and
`read_conversations` fetch them and call those. The edges (`helpline report`,
/api/reports) only format what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from helpline.hours import Hours
from helpline.rules.model import Config
from helpline.service.report.facts import HANDOFF_REASONS, Facts, conversations
from helpline.service.report.figures import change, figures, headline
from helpline.service.report.period import Period, buckets, check_grouping, key_of, period
from helpline.store.base import Event
from helpline.store.reports import ReportStore

__all__ = [
    "Desk", "Period", "build_report", "conversations_behind", "desk_of", "period",
    "read_conversations", "read_report",
]  # fmt: skip

DRILL_LIMIT = 500  # conversations listed behind one figure; `total` says how many there are


@dataclass(frozen=True)
class Desk:
    """What a report needs of the rules: the desk's time zone and each team's hours."""

    zone: ZoneInfo
    hours_for: Callable[[str], Hours]


def desk_of(config: Config) -> Desk:
    hours_for = config.business_hours.of  # parsed once, when the rules were loaded
    return Desk(hours_for("").zone, hours_for)


def build_report(
    events: Iterable[Event], before: Iterable[Event], span: Period, by: str | None, desk: Desk
) -> dict[str, Any]:
    """The report of `span` from its events, compared with the previous period's (`before`),
    with a group per day, hour, team, agent, intent or language when `by` says so."""
    facts = list(conversations(events))
    found = figures(facts, desk.hours_for)
    previous = figures(list(conversations(before)), desk.hours_for)
    report: dict[str, Any] = {
        "since": _iso(span.since, desk.zone),
        "until": _iso(span.until, desk.zone),
        "timezone": desk.zone.key,
        **found,
        "previous": headline(previous),
        "change": change(found, previous),
    }
    if check_grouping(by) is not None:
        report["by"] = by
        report["groups"] = _groups(facts, span, str(by), desk)
    return report


def _groups(facts: Sequence[Facts], span: Period, by: str, desk: Desk) -> list[dict[str, Any]]:
    members: dict[str | None, list[Facts]] = {}
    if by in ("day", "hour"):
        members = {key: [] for key in buckets(span, by, desk.zone)}
    for one in facts:
        members.setdefault(key_of(one, by, desk.zone), []).append(one)
    groups = [{"key": key, **figures(group, desk.hours_for)} for key, group in members.items()]
    if by not in ("day", "hour"):  # busiest first; series stay in time order
        groups.sort(key=lambda g: (-g["conversations"], str(g["key"] or "")))
    return groups


def conversations_behind(
    events: Iterable[Event], figure: str, desk: Desk, by: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The conversations a figure counts (drill-down), in the order they started, within
    the group `by`=`key` when given."""
    wanted = _figure(figure)
    check_grouping(by)
    chosen = [
        f
        for f in conversations(events)
        if f.wrote and wanted(f) and (by is None or key_of(f, by, desk.zone) == (key or None))
    ]
    return {
        "figure": figure,
        "total": len(chosen),
        "conversations": [_row(f, desk.zone) for f in chosen[:DRILL_LIMIT]],
    }


def _row(facts: Facts, zone: ZoneInfo) -> dict[str, Any]:
    rating = next((t.rating for t in facts.tickets if t.rating is not None), None)
    return {
        "conversation": facts.id,
        "started_at": _iso(facts.started_at, zone),
        "language": facts.language,
        "handoff": facts.handoffs[0] if facts.handoffs else None,
        "team": facts.team,
        "agent": facts.agent,
        "rating": rating,
    }


Test = Callable[[Facts], bool]
_FIGURES: dict[str, Test] = {
    "conversations": lambda f: True,
    "contained": lambda f: f.contained,
    "handoffs": lambda f: not f.contained,
    "fallbacks": lambda f: f.fallbacks > 0,
    "clarifications": lambda f: f.clarifications > 0,
    "thumbs_up": lambda f: any(helpful for _, helpful in f.thumbs),
    "thumbs_down": lambda f: any(not helpful for _, helpful in f.thumbs),
    "queue_wait": lambda f: any(t.assigned_at is not None for t in f.tickets),
    "first_response": lambda f: any(t.first_response_at is not None for t in f.tickets),
    "resolution": lambda f: any(t.solved_at is not None for t in f.tickets),
    "csat": lambda f: any(t.rating is not None for t in f.tickets),
}
# figure:argument, e.g. handoffs:frustration, intent:refund, unanswered:refund, csat:5
_NAMED: dict[str, Callable[[str], Test]] = {
    "handoffs": lambda reason: lambda f: bool(f.handoffs) and f.handoffs[0] == reason,
    "intent": lambda name: lambda f: f.intents[name] > 0,
    "unanswered": lambda name: lambda f: f.unanswered[name or None] > 0,
    "csat": lambda n: lambda f: any(str(t.rating) == n for t in f.tickets),
}


def _figure(figure: str) -> Test:
    name, colon, argument = figure.partition(":")
    if not colon and name in _FIGURES:
        return _FIGURES[name]
    if colon and name in _NAMED:
        if name == "handoffs" and argument not in HANDOFF_REASONS:
            raise ValueError(f"figure: handoffs:{argument} is not one of {HANDOFF_REASONS}")
        return _NAMED[name](argument)
    known = [*_FIGURES, *(f"{n}:..." for n in _NAMED)]
    raise ValueError(f"figure: {figure!r} is not one of {', '.join(known)}")


async def read_report(
    store: ReportStore, span: Period, by: str | None, desk: Desk
) -> dict[str, Any]:
    check_grouping(by)  # before reading anything
    events = await store.report_events(span.since, span.until)
    before = await store.report_events(span.previous.since, span.previous.until)
    return build_report(events, before, span, by, desk)


async def read_conversations(
    store: ReportStore, span: Period, figure: str, desk: Desk, by: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    _figure(figure)
    check_grouping(by)
    events = await store.report_events(span.since, span.until)
    return conversations_behind(events, figure, desk, by, key)


def _iso(at: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(at, UTC).astimezone(zone).isoformat()
