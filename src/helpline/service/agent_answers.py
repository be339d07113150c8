"""Learning from agents: in conversations a person closed, the customer's question paired
with the agent's answer, offered to authors as a draft FAQ answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from helpline.inbox.cluster import Cluster, clusters
from helpline.service.inbox import WINDOW_S
from helpline.service.rules_holder import RulesHolder
from helpline.store.base import Event, Message, Store
from helpline.store.inbox import Closing, InboxStore, message_text

CLOSINGS = 200  # conversations read per listing: each costs two store reads
ASKED_FOR_HUMAN = "asked_for_human"  # "talk to a person" is how they got there, not a question


@dataclass(frozen=True)
class AgentAnswer:
    """A customer's question and what the agent who took the conversation said to it."""

    conversation_id: str
    seq: int  # the question's
    text: str  # the question
    language: str
    answer: str  # the agent's messages of that handoff, in order
    agent_id: str | None
    closed_at: float

    @property
    def key(self) -> tuple[str, int]:
        return (self.conversation_id, self.seq)


class AgentAnswers:
    """Read only: drafts are offered; one an author makes an intent is written by
    InboxService.add_intent, through the loader's check like any inbox write."""

    def __init__(
        self, base: Store, inbox: InboxStore, rules: RulesHolder, clock: Callable[[], float]
    ) -> None:
        self.base = base
        self.inbox = inbox
        self.rules = rules
        self.clock = clock

    async def drafts(self, window_s: float = WINDOW_S) -> list[Cluster[AgentAnswer]]:
        """Questions agents answered, grouped like the inbox, each with its answers."""
        found: list[AgentAnswer] = []
        for closing in await self.inbox.closed_by_agents(self.clock() - window_s, CLOSINGS):
            events = await self.base.events(closing.conversation_id)
            messages = await self.base.messages_after(closing.conversation_id, 0)
            conversation = await self.base.conversation(closing.conversation_id)
            language = conversation.language if conversation else None
            paired = pair(closing, events, messages, language or "")
            if paired is not None:
                found.append(paired)
        found.sort(key=lambda a: (a.closed_at, a.conversation_id))
        active = self.rules.current
        return await asyncio.to_thread(clusters, found, active.rulebook, active.matcher)


def pair(
    closing: Closing, events: Sequence[Event], messages: Sequence[Message], language: str
) -> AgentAnswer | None:
    """The question and answer of the handoff `closing` ended, or None when the agent said
    nothing or the customer asked nothing in words.

    The span is the events after the conversation's previous closing. The question is the
    customer's last wording before the agent's first message, other than asking for a
    person; failing that, their first wording after it (they explained to the agent)."""
    span, low, high = _span(events, closing.event_id)
    agent_seqs = [int(e.data["seq"]) for e in span if e.kind == "message.out"]
    if not agent_seqs:
        return None
    by_seq = {m.seq: m for m in messages}
    asked = _asked_for_human(span)
    wordings = [
        m.seq for m in messages
        if m.sender == "customer" and low < m.seq < high and message_text(m.body)
        and m.seq not in asked
    ]  # fmt: skip
    first_reply = agent_seqs[0]
    before = [seq for seq in wordings if seq < first_reply]
    after = [seq for seq in wordings if seq > first_reply]
    question = before[-1] if before else after[0] if after else None
    if question is None:
        return None
    replies = [str(by_seq[s].body.get("text", "")) for s in agent_seqs if s in by_seq]
    return AgentAnswer(
        closing.conversation_id, question, str(by_seq[question].body.get("text", "")).strip(),
        language, "\n\n".join(r for r in replies if r.strip()), closing.agent_id,
        closing.closed_at,
    )  # fmt: skip


def _span(events: Sequence[Event], closing_id: int) -> tuple[list[Event], float, float]:
    """The events after the previous closing up to this one, and the seqs of the messages
    between them (exclusive): past the last message an event before the previous closing
    names, before the first one an event after this closing names."""
    earlier = [e for e in events if e.id < closing_id]
    starts = [e.id for e in earlier if e.kind == "ticket.solved"]
    after = starts[-1] if starts else 0
    low = max((s for e in events if e.id <= after for s in _seqs_named(e)), default=0)
    later = (s for e in events if e.id > closing_id for s in _seqs_named(e))
    return [e for e in earlier if e.id > after], low, min(later, default=float("inf"))


def _seqs_named(event: Event) -> list[int]:
    """The message seqs an event names: an agent's message, or the one a bot turn answers."""
    found = [event.data.get("seq")] if event.kind == "message.out" else []
    if event.kind == "bot.decision":
        found.append(event.data.get("reply_to"))
    return [int(s) for s in found if isinstance(s, int)]


def _asked_for_human(span: Sequence[Event]) -> set[int]:
    return {
        int(e.data["reply_to"])
        for e in span
        if e.kind == "bot.decision"
        and e.data.get("reply_to") is not None
        and ASKED_FOR_HUMAN in e.data.get("reasons", ())
    }


def draft_view(cluster: Cluster[AgentAnswer], shown: int = 5) -> dict[str, Any]:
    """A cluster of agents' answers as the HTTP API shows it."""
    nearest = cluster.nearest
    return {
        "id": cluster.id,
        "size": cluster.size,
        "language": cluster.language,
        "nearest": {"intent": nearest.intent, "score": nearest.score} if nearest else None,
        "pairs": [
            {
                "conversation": a.conversation_id,
                "question": a.text,
                "answer": a.answer,
                "agent": a.agent_id,
                "closed_at": a.closed_at,
            }
            for a in cluster.members[-shown:][::-1]  # the latest first
        ],
    }
