"""SLA timers worked out from a ticket's events at a given time: due, warning, breached,
paused while pending, counted in business hours, restarted when the customer writes back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from helpline.hours import Hours, parse_hours
from helpline.service.sla.timer import compute, due_after, ticket_events
from helpline.sla import Policy, SlaSettings
from helpline.store.base import Event

T0 = 1_800_000_000.0
MIN = 60.0
ALWAYS = Hours(always_open=True)
SETTINGS = SlaSettings(
    policies={
        "normal": Policy(first_response=10 * MIN, next_response=5 * MIN, resolution=60 * MIN),
        "urgent": Policy(first_response=2 * MIN),
    },
    warning_at=0.5,
)
SEOUL = ZoneInfo("Asia/Seoul")
OFFICE = parse_hours(
    {"timezone": "Asia/Seoul", "weekdays": {"mon": "09:00-18:00", "tue": "09:00-18:00"}}
)


def at(minutes: float) -> float:
    return T0 + minutes * MIN


def event(kind: str, minutes: float, **data: Any) -> Event:
    return Event("c1", kind, {"ticket": "t1", **data}, at(minutes))


def opened(minutes: float = 0) -> Event:
    return event("ticket.opened", minutes, priority="normal")


def timer(events: list[Event], now_min: float, name: str, hours: Hours = ALWAYS) -> Any:
    sla = compute("t1", "normal", events, SETTINGS, hours, at(now_min))
    return next(t for t in sla.timers if t.target == name)


def test_new_ticket_is_due_its_first_response_target_after_opening() -> None:
    found = timer([opened()], 1, "first_response")
    assert (found.state, found.due_at, found.running) == ("ok", at(10), True)


def test_timer_turns_warning_at_the_configured_share_of_its_target() -> None:
    assert timer([opened()], 4.9, "first_response").state == "ok"
    assert timer([opened()], 5, "first_response").state == "warning"
    assert timer([opened()], 1, "first_response").warn_at == at(5)  # the console's amber


def test_timer_is_breached_once_its_target_has_passed() -> None:
    found = timer([opened()], 10.5, "first_response")
    assert found.state == "breached"
    assert found.due_at == at(10)  # still due then: the console says how late it is


def test_agent_reply_within_target_meets_the_first_response() -> None:
    found = timer([opened(), event("message.out", 3, agent="a1")], 30, "first_response")
    assert (found.state, found.done, found.due_at) == ("met", True, None)


def test_late_agent_reply_leaves_the_first_response_breached() -> None:
    found = timer([opened(), event("message.out", 12, agent="a1")], 30, "first_response")
    assert (found.state, found.done) == ("breached", True)


def test_pending_pauses_the_resolution_timer() -> None:
    events = [
        opened(),
        event("message.out", 1),
        event("ticket.status", 1, **{"from": "open", "to": "pending"}),
    ]
    found = timer(events, 500, "resolution")  # hours later, still waiting on the customer
    assert (found.state, found.used_s, found.due_at, found.running) == ("ok", MIN, None, False)


def test_customer_writing_back_starts_next_response_and_resumes_resolution() -> None:
    events = [
        opened(),
        event("message.out", 1),
        event("ticket.status", 1, **{"from": "open", "to": "pending"}),
        event("ticket.status", 100, **{"from": "pending", "to": "open"}),
    ]
    reply = timer(events, 101, "next_response")
    assert (reply.state, reply.due_at, reply.started_at) == ("ok", at(105), at(100))
    # one of its 60 minutes used before pending: due 59 minutes after it resumed
    assert timer(events, 101, "resolution").due_at == at(159)


def test_next_response_is_breached_when_the_agent_does_not_answer_the_reply() -> None:
    events = [
        opened(),
        event("message.out", 1),
        event("ticket.status", 1, **{"from": "open", "to": "pending"}),
        event("ticket.status", 10, **{"from": "pending", "to": "open"}),
    ]
    sla = compute("t1", "normal", events, SETTINGS, ALWAYS, at(16))
    assert sla.state == "breached"
    assert [t.target for t in sla.breaches] == ["next_response"]


def test_solved_ticket_stops_its_timers_and_a_reopen_resumes_the_resolution() -> None:
    events = [opened(), event("message.out", 2), event("ticket.solved", 20)]
    solved = compute("t1", "normal", events, SETTINGS, ALWAYS, at(500))
    assert (solved.state, solved.due_at) == ("met", None)
    events.append(event("ticket.reopened", 600))
    reopened = compute("t1", "normal", events, SETTINGS, ALWAYS, at(601))
    resolution = next(t for t in reopened.timers if t.target == "resolution")
    assert resolution.due_at == at(640)  # 20 minutes used before it was solved
    assert reopened.due_at == at(605)  # the reopening message wants its next response


def test_business_hours_stop_the_clock_overnight() -> None:
    # Monday 17:55 in Seoul: five minutes today, the other five from 09:00 on Tuesday
    monday_evening = datetime(2027, 1, 4, 17, 55, tzinfo=SEOUL).timestamp()
    events = [Event("c1", "ticket.opened", {"ticket": "t1"}, monday_evening)]
    tuesday_0903 = datetime(2027, 1, 5, 9, 3, tzinfo=SEOUL).timestamp()
    sla = compute("t1", "normal", events, SETTINGS, OFFICE, tuesday_0903)
    first = next(t for t in sla.timers if t.target == "first_response")
    assert first.due_at == datetime(2027, 1, 5, 9, 5, tzinfo=SEOUL).timestamp()
    assert (first.used_s, first.state) == (8 * MIN, "warning")


def test_due_time_skips_closed_days_and_holidays() -> None:
    hours = parse_hours({
        "timezone": "Asia/Seoul", "weekdays": {"mon": "09:00-10:00", "wed": "09:00-10:00"},
        "holidays": ["2027-01-06"],
    })  # fmt: skip
    monday = datetime(2027, 1, 4, 9, 30, tzinfo=SEOUL).timestamp()
    # 30 minutes on Monday, Wednesday the 6th is a holiday, 30 on Monday the 11th
    assert (
        due_after(hours, monday, 60 * MIN) == datetime(2027, 1, 11, 9, 30, tzinfo=SEOUL).timestamp()
    )


@pytest.mark.parametrize(("now_min", "state"), [(1, "ok"), (31, "warning"), (70, "breached")])
def test_timers_without_due_times_have_the_same_states(now_min: float, state: str) -> None:
    events = [opened(), event("message.out", 3)]  # then the resolution alone counts
    full = compute("t1", "normal", events, SETTINGS, ALWAYS, at(now_min))
    bare = compute("t1", "normal", events, SETTINGS, ALWAYS, at(now_min), dues=False)

    assert bare.state == full.state == state
    assert [t.state for t in bare.timers] == [t.state for t in full.timers]
    assert [(t.due_at, t.warn_at) for t in bare.timers] == [(None, None)] * len(bare.timers)


def test_hours_that_never_open_have_no_due_time() -> None:
    assert due_after(Hours(weekly={}), T0, MIN) is None


def test_priority_without_a_policy_has_no_timers() -> None:
    sla = compute("t1", "low", [opened()], SETTINGS, ALWAYS, at(1000))
    assert (sla.timers, sla.state, sla.due_at) == ((), None, None)


def test_priority_policy_without_a_target_leaves_that_timer_out() -> None:
    sla = compute("t1", "urgent", [opened()], SETTINGS, ALWAYS, at(1))
    assert [t.target for t in sla.timers] == ["first_response"]
    assert sla.due_at == at(2)


@pytest.mark.parametrize("kind", ["ticket.solved", "ticket.released"])
def test_ticket_events_belong_to_one_ticket_only(kind: str) -> None:
    older = [
        Event("c1", "ticket.opened", {"ticket": "t0"}, at(-50)),
        Event("c1", kind, {}, at(-40)),
    ]
    mine = [opened(), event("message.out", 1)]
    later = [Event("c1", "ticket.opened", {"ticket": "t2"}, at(90))]
    assert ticket_events([*older, *mine, *later], "t1") == mine
