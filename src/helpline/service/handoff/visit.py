"""What a customer's widget reports for agents to see: the page the customer is on (their
queue card) and the newest message they have seen ("Seen" under the agent's reply)."""

from __future__ import annotations

from typing import Any

from helpline.bus.base import Bus
from helpline.service.handoff import topics
from helpline.store.base import Store
from helpline.store.visit import VisitStore

SEEN = "message.seen"  # on the conversation's staff topic: agents only


async def report_page(store: Store, conversation_id: str, page_url: str, now: float) -> None:
    if isinstance(store, VisitStore):
        await store.set_page(conversation_id, page_url, now)


async def report_seen(store: Store, bus: Bus, conversation_id: str, seq: int, now: float) -> None:
    """Store the customer's seen seq and tell the conversation's agents, only when it rose:
    a widget in two tabs, or one reporting again after a reconnect, tells nobody twice."""
    if not isinstance(store, VisitStore):
        return
    before = (await store.visit(conversation_id)).seen_seq
    after = await store.mark_seen(conversation_id, seq, now)
    if after > before:
        await bus.publish(topics.staff(conversation_id), seen(conversation_id, after))


def seen(conversation_id: str, seq: int) -> dict[str, Any]:
    return {"type": SEEN, "conversation": conversation_id, "seq": seq}
