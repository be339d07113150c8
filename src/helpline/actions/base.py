"""What a custom action gets and gives back, and the Protocol every runner implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from helpline.turn import Button


@dataclass(frozen=True)
class ActionCall:
    """One request to run a named action for a conversation's latest message."""

    name: str
    sender_id: str  # the customer id when known (REST sender, signed identity), else conversation
    text: str
    language: str
    intent: str | None = None
    confidence: float = 0.0  # 0..1, as Rasa reports it (the matcher's score / 100)
    ranking: tuple[tuple[str, float], ...] = ()  # (intent, confidence), best first
    slots: Mapping[str, Any] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)  # the channel's message metadata
    now: float = 0.0


@dataclass(frozen=True)
class ActionMessage:
    """One message an action's dispatcher collected, reduced to what Helpline can show."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    response: str | None = None  # a named response ("utter_<intent>"): that intent's answer


@dataclass(frozen=True)
class ActionResult:
    messages: tuple[ActionMessage, ...] = ()
    events: tuple[Mapping[str, Any], ...] = ()  # Rasa events ({"event": "slot", ...})


class ActionRunner(Protocol):
    """Runs actions by name; raises helpline.errors.ActionError subclasses for known failures."""

    async def run(self, call: ActionCall, domain: Mapping[str, Any]) -> ActionResult: ...

    async def close(self) -> None: ...
