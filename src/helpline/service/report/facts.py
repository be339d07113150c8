"""What each conversation's events say, folded once: the rows every figure is counted from."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from helpline.store.base import Event

# decisions on something the customer asked (not greetings, silences, waits or ratings)
QUESTIONS = frozenset({"answer", "clarify", "fallback", "handoff"})
HANDOFF_REASONS = ("asked", "fallbacks", "frustration", "intent_escalates")


@dataclass
class Ticket:
    """One handoff's ticket, as its events tell it (times are clock seconds)."""

    id: str
    team: str
    opened_at: float
    queued_at: float | None = None
    agent: str | None = None  # who has it: the last assigned, or who solved it
    assigned_at: float | None = None  # the first assignment: the end of the queue wait
    first_response_at: float | None = None
    solved_at: float | None = None
    rating: int | None = None
    breaches: list[str] = field(default_factory=list)  # SLA targets it missed (sla.breached)


@dataclass
class Facts:
    """One conversation: what was asked, how the bot decided, and its tickets. Filled in
    place while its events are folded (once, in order), then only read."""

    id: str
    started_at: float
    language: str | None
    wrote: bool = False  # the customer said anything: only those conversations count
    questions: int = 0
    answered: int = 0
    fallbacks: int = 0
    clarifications: int = 0
    clarified_then_answered: int = 0
    first_intent: str | None = None  # the first intent answered, clarified or escalated
    intents: Counter[str] = field(default_factory=Counter)  # answered, by intent
    unanswered: Counter[str | None] = field(default_factory=Counter)  # fallbacks, by nearest
    thumbs: list[tuple[str, bool]] = field(default_factory=list)  # (intent, helpful)
    handoffs: list[str] = field(default_factory=list)  # each handoff's reason
    tickets: list[Ticket] = field(default_factory=list)
    # while folding: the last question's decision, and whether a "did you mean" is open
    _last_question: str | None = field(default=None, init=False, repr=False)
    _clarify_open: bool = field(default=False, init=False, repr=False)

    @property
    def contained(self) -> bool:
        return not self.handoffs

    @property
    def team(self) -> str | None:
        return self.tickets[0].team if self.tickets else None

    @property
    def agent(self) -> str | None:
        return self.tickets[0].agent if self.tickets else None


def conversations(events: Iterable[Event]) -> Iterator[Facts]:
    """The facts of each conversation, from events grouped by conversation in the order
    written (ReportStore.report_events); conversations that never started are skipped."""
    for _, group in groupby(events, key=lambda e: e.conversation_id):
        facts = fold(list(group))
        if facts is not None:
            yield facts


def fold(events: list[Event]) -> Facts | None:
    started = next((e for e in events if e.kind == "conversation.started"), None)
    if started is None:
        return None
    facts = Facts(started.conversation_id, started.created_at, started.data.get("language"))
    for event in events:
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(facts, event.data, event.created_at)
    return facts


def _decision(facts: Facts, data: Mapping[str, Any], _at: float) -> None:
    if data.get("reply_to") is not None:
        facts.wrote = True
    kind, intent = data.get("decision"), data.get("intent")
    reasons = tuple(data.get("reasons") or ())
    if data.get("language"):
        facts.language = data["language"]
    if "negative_feedback" in reasons and intent:
        facts.thumbs.append((intent, False))
    elif kind == "feedback" and "helpful" in reasons and intent:
        facts.thumbs.append((intent, True))
    if kind not in QUESTIONS:
        return
    if kind == "handoff":
        facts.handoffs.append(_handoff_reason(reasons, facts._last_question))
    if "negative_feedback" in reasons:
        return  # a rating or "that didn't help", not a question
    _question(facts, str(kind), intent, reasons)


def _question(facts: Facts, kind: str, intent: str | None, reasons: tuple[str, ...]) -> None:
    facts.questions += 1
    answered = kind == "answer" or "intent_escalates" in reasons
    if facts._clarify_open:
        facts.clarified_then_answered += answered
        facts._clarify_open = False
    if answered and intent:
        facts.answered += 1
        facts.intents[intent] += 1
    elif kind == "clarify":
        facts.clarifications += 1
        facts._clarify_open = True
    elif kind == "fallback":
        facts.fallbacks += 1
        facts.unanswered[intent] += 1
    if facts.first_intent is None and kind != "fallback" and "asked_for_human" not in reasons:
        facts.first_intent = intent
    facts._last_question = kind


def _handoff_reason(reasons: tuple[str, ...], last_question: str | None) -> str:
    """Why the bot handed over: the intent escalates, the customer was upset, or they asked
    (right after a fallback: the bot could not help, which is the fallbacks' handoff)."""
    if "intent_escalates" in reasons:
        return "intent_escalates"
    if "frustration" in reasons:
        return "frustration"
    return "fallbacks" if last_question == "fallback" else "asked"


def _opened(facts: Facts, data: Mapping[str, Any], at: float) -> None:
    facts.tickets.append(Ticket(str(data.get("ticket")), str(data.get("team")), at))


def _ticket(facts: Facts, data: Mapping[str, Any]) -> Ticket | None:
    wanted = data.get("ticket")
    return next((t for t in reversed(facts.tickets) if wanted in (None, t.id)), None)


def _queued(facts: Facts, data: Mapping[str, Any], at: float) -> None:
    if facts.tickets and facts.tickets[-1].queued_at is None:
        facts.tickets[-1].queued_at = at  # written just after its ticket.opened


def _assigned(facts: Facts, data: Mapping[str, Any], at: float) -> None:
    if (ticket := _ticket(facts, data)) is not None:
        ticket.agent = data.get("agent")
        if ticket.assigned_at is None:
            ticket.assigned_at = at


def _first_response(facts: Facts, data: Mapping[str, Any], at: float) -> None:
    if (ticket := _ticket(facts, data)) is not None:
        ticket.first_response_at = at


def _solved(facts: Facts, data: Mapping[str, Any], at: float) -> None:
    if (ticket := _ticket(facts, data)) is not None:
        ticket.solved_at = at
        ticket.agent = data.get("agent") or ticket.agent


def _rated(facts: Facts, data: Mapping[str, Any], _at: float) -> None:
    if (ticket := _ticket(facts, data)) is not None and isinstance(data.get("rating"), int):
        ticket.rating = data["rating"]


def _breached(facts: Facts, data: Mapping[str, Any], _at: float) -> None:
    if (ticket := _ticket(facts, data)) is not None:
        ticket.breaches.append(str(data.get("target")))


_HANDLERS = {
    "bot.decision": _decision,
    "ticket.opened": _opened,
    "queue.entered": _queued,
    "ticket.assigned": _assigned,
    "ticket.first_response": _first_response,
    "ticket.solved": _solved,
    "csat.submitted": _rated,
    "sla.breached": _breached,
}
