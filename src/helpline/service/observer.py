"""What a node watches of its conversation turns (its /metrics), as the turns see it."""

from __future__ import annotations

from typing import Protocol

from helpline.turn import Decision


class TurnObserver(Protocol):
    """Told of every turn as it happens; must not block or raise (it only counts)."""

    def decided(self, seconds: float) -> None:
        """How long the bot took to decide on one customer message (matcher and policy)."""
        ...

    def committed(self, decision: Decision, *, answered: bool, replies: int) -> None:
        """A bot turn was stored: what it decided, whether it answered a customer message,
        how many bot messages it wrote."""
        ...
