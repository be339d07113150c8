"""The report's pure parts on events made here: working time, periods, reasons, series."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from helpline.hours import Hours, parse_hours
from helpline.service.report import Desk, Period, build_report
from helpline.service.report.period import moment, period
from helpline.service.report.worktime import open_seconds
from helpline.store.base import Event

SEOUL = ZoneInfo("Asia/Seoul")
OFFICE = parse_hours(
    {
        "timezone": "Asia/Seoul",
        "weekdays": {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": ["2026-12-25"],
    }
)


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SEOUL).timestamp()


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        ("2026-12-01 10:00", "2026-12-01 10:05", 300.0),  # a Tuesday morning
        ("2026-12-01 17:59", "2026-12-02 09:01", 120.0),  # overnight counts nothing
        ("2026-12-04 17:00", "2026-12-07 10:00", 7200.0),  # Friday to Monday: no weekend
        ("2026-12-24 17:00", "2026-12-28 09:30", 5400.0),  # Christmas is a holiday
        ("2026-12-05 10:00", "2026-12-05 12:00", 0.0),  # Saturday
    ],
)
def test_waits_count_only_the_teams_opening_hours(start: str, end: str, seconds: float) -> None:
    assert open_seconds(OFFICE, at(start), at(end)) == seconds


def test_a_desk_without_hours_counts_every_second() -> None:
    assert open_seconds(Hours(always_open=True), 100.0, 250.0) == 150.0


def test_a_span_is_before_now_and_a_date_is_midnight_in_the_desks_time_zone() -> None:
    now = at("2026-12-08 12:00")

    assert moment("7d", SEOUL, now, "since") == at("2026-12-01 12:00")
    assert moment("2026-12-01", SEOUL, now, "since") == at("2026-12-01 00:00")
    assert moment("2026-12-01T00:00+00:00", SEOUL, now, "since") == at("2026-12-01 09:00")


@pytest.mark.parametrize(
    ("since", "until", "says"),
    [("yesterday", None, "since:"), ("1d", "soon", "until:"), ("1d", "2000-01-01", "until:")],
)
def test_a_period_that_cannot_be_read_says_which_end(
    since: str, until: str | None, says: str
) -> None:
    with pytest.raises(ValueError, match=f"^{says}"):
        period(since, until, SEOUL, at("2026-12-08 12:00"))


class Events:
    """Events of one conversation at a time, as the store returns them."""

    def __init__(self) -> None:
        self.made: list[Event] = []

    def started(self, cid: str, when: float, language: str = "en") -> None:
        self.add(cid, "conversation.started", {"language": language}, when)

    def decided(self, cid: str, decision: str, when: float, **data: Any) -> None:
        self.add(cid, "bot.decision", {"decision": decision, "reply_to": 1, **data}, when)

    def add(self, cid: str, kind: str, data: Mapping[str, Any], when: float) -> None:
        self.made.append(Event(cid, kind, data, when, id=len(self.made) + 1))


def report(events: Events, span: Period, by: str | None = None) -> dict[str, Any]:
    return build_report(events.made, [], span, by, Desk(SEOUL, lambda team: OFFICE))


DAY = Period(at("2026-12-01 00:00"), at("2026-12-02 00:00"))


def test_asking_for_a_person_right_after_a_fallback_is_the_fallbacks_handoff() -> None:
    events = Events()
    t = at("2026-12-01 10:00")
    events.started("c1", t)
    events.decided("c1", "fallback", t, intent=None)
    events.decided("c1", "handoff", t, intent="talk_to_agent", reasons=["asked_for_human"])
    events.started("c2", t)
    events.decided("c2", "handoff", t, intent="refund", reasons=["frustration", "anger"])

    reasons = report(events, DAY)["handoff_reasons"]

    assert {name: r["count"] for name, r in reasons.items()} == {
        "asked": 0, "fallbacks": 1, "frustration": 1, "intent_escalates": 0,
    }  # fmt: skip


def test_a_thumbs_down_counts_against_its_intent_and_is_not_a_question() -> None:
    events = Events()
    t = at("2026-12-01 10:00")
    events.started("c1", t)
    events.decided("c1", "answer", t, intent="refund")
    events.decided("c1", "feedback", t, intent="refund", reasons=["negative_feedback"])

    found = report(events, DAY)

    assert found["helpfulness"] == {"refund": {"up": 0, "down": 1, "rate": 0.0}}
    assert (found["questions"], found["answered"]) == (1, 1)


def test_a_conversation_where_the_customer_never_wrote_is_not_counted() -> None:
    events = Events()
    t = at("2026-12-01 10:00")
    events.started("c1", t)
    events.add("c1", "bot.decision", {"decision": "greeting", "reply_to": None}, t)

    found = report(events, DAY)

    assert (found["conversations"], found["containment_rate"], found["fallback_rate"]) == (
        0, None, None,
    )  # fmt: skip


def test_resolution_after_closing_time_counts_the_working_time_only() -> None:
    events = Events()
    opened, solved = at("2026-12-01 17:30"), at("2026-12-02 09:30")
    events.started("c1", opened)
    events.decided("c1", "handoff", opened, intent="talk_to_agent", reasons=["asked_for_human"])
    events.add("c1", "ticket.opened", {"ticket": "t1", "team": "general"}, opened)
    events.add("c1", "ticket.solved", {"ticket": "t1", "agent": "a1"}, solved)

    found = report(events, Period(at("2026-12-01 00:00"), at("2026-12-03 00:00")))

    assert found["resolution_s"] == {"p50": 3600.0, "p90": 3600.0, "count": 1}
    assert found["first_response_s"] == {"p50": None, "p90": None, "count": 0}


def test_days_are_the_desks_days_and_quiet_ones_are_in_the_series() -> None:
    events = Events()
    events.started("c1", at("2026-12-02 00:30"))  # the 1st in UTC, the 2nd in Seoul
    events.decided("c1", "answer", at("2026-12-02 00:30"), intent="refund")

    groups = report(events, Period(at("2026-12-01 00:00"), at("2026-12-04 00:00")), "day")[
        "groups"
    ]

    assert [(g["key"], g["conversations"]) for g in groups] == [
        ("2026-12-01", 0), ("2026-12-02", 1), ("2026-12-03", 0),
    ]  # fmt: skip
    assert groups[0]["containment_rate"] is None


def test_percentiles_interpolate_between_the_closest_ranks() -> None:
    events = Events()
    for n, wait in enumerate((60.0, 120.0, 180.0, 240.0)):
        cid, t = f"c{n}", at("2026-12-01 10:00")
        events.started(cid, t)
        events.decided(cid, "handoff", t, reasons=["asked_for_human"])
        events.add(cid, "ticket.opened", {"ticket": cid, "team": "general"}, t)
        events.add(cid, "ticket.first_response", {"ticket": cid}, t + wait)

    times = report(events, DAY)["first_response_s"]

    assert (times["p50"], times["p90"]) == (150.0, 222.0)
