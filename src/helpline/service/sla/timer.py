"""A ticket's SLA timers, worked out from its events and a clock: due when, ok or late."""

# Pure: the events, the ticket's priority and team, the settings and `now` go in, values
# come out. The console's list, the breach check and the reports all ask this one module,
# so a due time is the same wherever it is shown.

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from helpline.hours import BusinessHours, Hours
from helpline.service.report.worktime import open_seconds
from helpline.sla import Policy, SlaSettings
from helpline.store.base import Event

# A target of up to 90 days of business time open a few hours a week is reached within
# a few years; hours that never open never reach it (None), and the walk stops here.
_MAX_DAYS = 5 * 366
_SOLVED_KINDS = ("ticket.solved", "ticket.released")
_ALWAYS_OPEN = Hours(always_open=True)
STATES = ("ok", "warning", "breached", "met")  # met: stopped within its target


@dataclass
class _Run:
    """One timer as the events are walked: the spans it ran (end None: running)."""

    target: str
    limit_s: float
    started_at: float
    spans: list[tuple[float, float | None]] = field(default_factory=list)
    stopped_at: float | None = None

    @property
    def running(self) -> bool:
        return bool(self.spans) and self.spans[-1][1] is None

    def pause(self, at: float) -> None:
        if self.running:
            self.spans[-1] = (self.spans[-1][0], at)

    def resume(self, at: float) -> None:
        if self.stopped_at is None and not self.running:
            self.spans.append((at, None))

    def stop(self, at: float) -> None:
        self.pause(at)
        self.stopped_at = at


@dataclass(frozen=True)
class Timer:
    """One SLA target of one ticket at `now`."""

    target: str  # first_response | next_response | resolution
    started_at: float  # with the ticket id, names this timer (a breach is raised once)
    limit_s: float
    used_s: float  # business seconds counted so far
    due_at: float | None  # when it runs out, while it runs (None: paused or done)
    warn_at: float | None  # when it turns amber, while it runs
    state: str  # ok | warning | breached | met
    running: bool
    done: bool  # answered (responses) or solved (resolution)


@dataclass(frozen=True)
class TicketSla:
    ticket_id: str
    timers: tuple[Timer, ...]
    state: str | None  # the worst timer still counting, else the worst finished; None: no policy
    due_at: float | None  # the next due time of a running timer (past when breached)
    warn_at: float | None = None  # the first time a running timer turns amber

    @property
    def breaches(self) -> tuple[Timer, ...]:
        return tuple(t for t in self.timers if t.state == "breached")


def ticket_events(events: Iterable[Event], ticket_id: str) -> list[Event]:
    """A conversation's events that belong to one ticket: from its ticket.opened to the
    next ticket's (a conversation has one ticket with people at a time)."""
    mine: list[Event] = []
    for event in events:
        if event.kind == "ticket.opened":
            if mine:
                break
            if event.data.get("ticket") == ticket_id:
                mine.append(event)
        elif mine:
            mine.append(event)
    return mine


def hours_for(settings: SlaSettings, business: BusinessHours, team: str) -> Hours:
    return business.of(team) if settings.business_hours else _ALWAYS_OPEN


def compute(
    ticket_id: str, priority: str, events: Sequence[Event], settings: SlaSettings,
    hours: Hours, now: float, dues: bool = True,
) -> TicketSla:  # fmt: skip
    """The ticket's timers at `now`. `events` are the ticket's own (ticket_events), in the
    order written; the ticket's priority now sets the targets of all its timers. Without
    `dues` the timers' due_at and warn_at are left None: their states alone cost half."""
    policy = settings.policy(priority)
    if policy is None or not events:
        return TicketSla(ticket_id, (), None, None)
    runs = _walk(events, policy)
    timers = tuple(_timer(run, settings, hours, now, dues) for run in runs)
    warn = [t.warn_at for t in timers if t.warn_at is not None]
    return TicketSla(
        ticket_id, timers, _overall(timers), _next_due(timers), min(warn) if warn else None
    )


def _walk(events: Sequence[Event], policy: Policy) -> list[_Run]:
    """Replay the life cycle: pending pauses every timer, an agent's reply stops the
    response timer, solving stops all, a reopen (or the customer writing back) starts the
    next response timer and resumes the resolution."""
    opened = events[0].created_at
    runs: list[_Run] = []

    def start(name: str, at: float) -> _Run | None:
        limit_s = policy.target(name)
        if limit_s is None:
            return None
        run = _Run(name, limit_s, at)
        run.resume(at)
        runs.append(run)
        return run

    first = start("first_response", opened)
    resolution = start("resolution", opened)
    waiting_reply: _Run | None = first
    answered = False
    for event in events[1:]:
        at, kind = event.created_at, event.kind
        if kind == "message.out":
            answered = True
            if waiting_reply is not None:
                waiting_reply.stop(at)
                waiting_reply = None
            continue
        to = _status_after(event)
        if to == "pending":
            for run in runs:
                run.pause(at)
        elif to == "open":
            for run in runs:
                if run is resolution or run is waiting_reply:
                    run.resume(at)
            if answered and waiting_reply is None:
                waiting_reply = start("next_response", at)
        elif to == "solved":
            for run in runs:
                if run is resolution:
                    run.pause(at)
                else:
                    run.stop(at)
            waiting_reply = None
    if resolution is not None and _solved(events):
        resolution.stopped_at = resolution.spans[-1][1] if resolution.spans else None
    return runs


def _status_after(event: Event) -> str | None:
    if event.kind == "ticket.status":
        return str(event.data.get("to"))
    if event.kind in _SOLVED_KINDS:
        return "solved"
    if event.kind == "ticket.reopened":
        return "open"
    return None


def _solved(events: Sequence[Event]) -> bool:
    status = "open"
    for event in events:
        status = _status_after(event) or status
    return status == "solved"


def _timer(run: _Run, settings: SlaSettings, hours: Hours, now: float, dues: bool) -> Timer:
    used = sum(open_seconds(hours, start, min(end or now, now)) for start, end in run.spans)
    done = run.stopped_at is not None
    if done:
        state = "met" if used <= run.limit_s else "breached"
    elif used >= run.limit_s:
        state = "breached"
    else:
        state = "warning" if used >= settings.warning_at * run.limit_s else "ok"
    due_at = warn_at = None
    if run.running and dues:
        start = run.spans[-1][0]
        before = sum(open_seconds(hours, s, e or s) for s, e in run.spans[:-1])
        due_at = due_after(hours, start, run.limit_s - before)
        warn_at = due_after(hours, start, settings.warning_at * run.limit_s - before)
    return Timer(
        run.target, run.started_at, run.limit_s, used, due_at, warn_at, state, run.running, done
    )


def _overall(timers: Sequence[Timer]) -> str | None:
    counting = [t.state for t in timers if not t.done] or [t.state for t in timers]
    for state in ("breached", "warning", "ok", "met"):
        if state in counting:
            return state
    return None


def _next_due(timers: Sequence[Timer]) -> float | None:
    due = [t.due_at for t in timers if t.due_at is not None]
    return min(due) if due else None


def due_after(hours: Hours, start: float, seconds: float) -> float | None:
    """The clock time at which `seconds` of the hours' open time have passed since
    `start` (the inverse of worktime.open_seconds); None when the hours never open."""
    if hours.always_open:
        return start + seconds
    remaining = max(seconds, 0.0)
    zone = hours.zone
    day = datetime.fromtimestamp(start, UTC).astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day not in hours.holidays:
            for opens, closes in hours.weekly.get(day.weekday(), ()):
                begin = max(start, datetime.combine(day, opens, tzinfo=zone).timestamp())
                finish = datetime.combine(day, closes, tzinfo=zone).timestamp()
                if finish <= begin:
                    continue
                if finish - begin >= remaining:
                    return begin + remaining
                remaining -= finish - begin
        day += timedelta(days=1)
    return None
