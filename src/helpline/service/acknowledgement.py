"""A customer message's ack, echo and typing.start, sent once the message is durable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from helpline.service import frames
from helpline.store.base import Appended

Send = Callable[[Mapping[str, Any]], Awaitable[None]]


async def acknowledge(
    client_id: str, appended: Appended, durable: Awaitable[Appended], send: Send, publish: Send
) -> None:
    """Wait for the commit (StoreError when it failed: nothing is acknowledged), then tell
    the sender, echo the message to the conversation and say the bot is answering.

    Stored in the same commit as the turn that answers it (EarlyAppendStore), the message
    is acknowledged at that commit, so this runs as a task that the turn's frames wait for
    (DraftTurn.prelude): it goes first, even when the turn is slow and the message was
    committed alone before it."""
    await durable
    await send(frames.ack(client_id, appended.message, appended.duplicate))
    if not appended.duplicate:
        await publish(frames.message(appended.message))
    if not appended.answered:
        await publish(frames.typing("typing.start", "bot"))
