"""Conversations written through the real store operations, for the search tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from helpline.store import SQLiteStore
from helpline.store.base import Conversation, Outgoing, TurnRecord
from helpline.store.handoff import Escalation, Note


@dataclass(frozen=True)
class Said:
    customer: str
    bot: str = "Let me check."
    intent: str | None = None
    decision: str | None = None  # default: answer when an intent is given, else fallback


async def conversation(
    store: SQLiteStore,
    said: Sequence[Said],
    *,
    now: float,
    language: str = "en",
    customer: tuple[str, str] | None = None,  # (customer id, name) of a verified customer
) -> Conversation:
    """A bot conversation in which the customer said each thing and the bot answered."""
    token = f"tok-{now}-{len(said)}-{id(said)}"
    if customer is None:
        made = await store.create_conversation(token=token, language=language, now=now)
    else:
        made = await store.create_identified_conversation(
            token=token, language=language, customer_id=customer[0],
            customer_name=customer[1], customer_email=None, now=now,
        )  # fmt: skip
    for n, turn in enumerate(said):
        appended = await store.append_customer_message(
            made.id, f"m{n}", {"text": turn.customer}, now
        )
        kind = turn.decision or ("answer" if turn.intent else "fallback")
        decision = {"decision": kind, "intent": turn.intent}
        record = TurnRecord(
            made.id, "bot", {}, language, messages=[Outgoing("bot", {"text": turn.bot})],
            events=[("bot.decision", decision)], answers_seq=appended.message.seq,
        )  # fmt: skip
        await store.commit_turn(record, now)
    return made


async def handled(
    store: SQLiteStore,
    made: Conversation,
    agent_id: str,
    *,
    team: str,
    reply: str,
    note: str | None = None,
    tags: Sequence[str] = (),
    rating: int | None = None,
    now: float,
) -> None:
    """Escalate to `team`, the agent takes it, replies (and notes), closes with tags."""
    queued = TurnRecord(made.id, "queued", {}, made.language, messages=[])
    await store.escalate(queued, Escalation(team, "normal", False, 0.0), now)
    await store.claim(made.id, agent_id, now, any_state=True)
    await store.append_agent_message(made.id, agent_id, "r1", {"text": reply}, now)
    if note is not None:
        await store.add_note(Note(made.id, "n1", agent_id, "Agent", note, now))
    closing = TurnRecord(made.id, "closed", {}, made.language, messages=[])
    await store.finish(made.id, agent_id, closing, now, tags=tags, reason="closed")
    if rating is not None:
        await store.rate(made.id, rating, None, now)


async def agent(store: SQLiteStore, email: str, teams: tuple[str, ...], role: str = "agent") -> str:
    made = await store.create_agent(
        email=email, name=email.split("@")[0], teams=teams, role=role, capacity=3,
        password_hash="x", now=0.0,
    )  # fmt: skip
    return made.id
