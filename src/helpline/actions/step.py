"""The edge step that runs the decided intent's action inside a conversation's turn."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from helpline.actions import merge, wire
from helpline.actions.base import ActionCall, ActionResult, ActionRunner
from helpline.actions.inprocess import InProcessRunner
from helpline.actions.remote import RemoteRunner
from helpline.errors import ActionError, ActionNotFoundError, ActionServerError
from helpline.rules.model import Rulebook
from helpline.settings import Settings
from helpline.store.base import Conversation
from helpline.turn import Turn

log = logging.getLogger(__name__)

Event = tuple[str, Mapping[str, Any]]


class ActionStep:
    """Runs actions with a timeout; every failure becomes a friendly reply, never a crash.

    With a remote runner every action goes to the action server; without one, actions come
    from the rulebook's actions/*.py (reloaded with the rules).
    """

    def __init__(
        self,
        remote: ActionRunner | None = None,
        timeout_s: float = 5.0,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.remote = remote
        self.timeout_s = timeout_s
        self.timer = timer
        self._local: dict[tuple[str, ...], InProcessRunner] = {}
        self._failing: set[str] = set()  # actions whose failure was logged; quiet until fixed

    async def run(
        self,
        rulebook: Rulebook,
        turn: Turn,
        conversation: Conversation,
        body: Mapping[str, Any],
        now: float,
    ) -> tuple[Turn, list[Event]]:
        """The turn's action (if its intent has one) applied to the turn."""
        return await self.apply(rulebook, turn, call_for(turn, conversation, body, now))

    async def apply(
        self, rulebook: Rulebook, turn: Turn, call: ActionCall | None
    ) -> tuple[Turn, list[Event]]:
        """The turn with the action's replies and slots, and its `action.run` event."""
        if call is None:
            return turn, []
        started = self.timer()
        try:
            result = await self._run(rulebook, call, turn.state.slots)
        except Exception as exc:  # noqa: BLE001 - an action's bug must not cost the turn
            self._report(call.name, exc)
            return merge.with_failure(rulebook, turn), [self._event(call, started, exc)]
        if self._failing:
            self._recovered(call.name)
        return merge.with_result(rulebook, turn, result), [self._event(call, started, None)]

    async def close(self) -> None:
        for runner in [self.remote, *self._local.values()]:
            if runner is not None:
                await runner.close()
        self._local.clear()

    async def _run(
        self, rulebook: Rulebook, call: ActionCall, slots: Mapping[str, Any]
    ) -> ActionResult:
        runner = self._runner(rulebook, call.name)
        try:
            async with asyncio.timeout(self.timeout_s):
                return await runner.run(call, wire.domain(rulebook, tuple(slots)))
        except TimeoutError as exc:
            raise ActionServerError(call.name, f"took longer than {self.timeout_s:g}s") from exc

    def _runner(self, rulebook: Rulebook, action: str) -> ActionRunner:
        if self.remote is not None:
            return self.remote
        files = rulebook.action_files
        if not files:
            raise ActionNotFoundError(action, "no actions/*.py in the rules and no action endpoint")
        if files not in self._local:
            self._local = {files: InProcessRunner(files)}  # the rules changed: drop the old set
        return self._local[files]

    def _event(self, call: ActionCall, started: float, error: Exception | None) -> Event:
        data: dict[str, Any] = {
            "name": call.name,
            "duration_ms": round((self.timer() - started) * 1000, 1),
            "ok": error is None,
        }
        if error is not None:
            data["error"] = str(error) if isinstance(error, ActionError) else type(error).__name__
        return "action.run", data

    def _report(self, action: str, exc: Exception) -> None:
        """Known failures are logged once until the action works again; bugs with traceback."""
        if not isinstance(exc, ActionError):
            log.error("custom action %r raised", action, exc_info=exc)
        elif action not in self._failing:
            log.warning("%s; answering with a fallback until it works again", exc)
        self._failing.add(action)

    def _recovered(self, action: str) -> None:
        if action in self._failing:
            self._failing.discard(action)
            log.info("custom action %r works again", action)


def call_for(
    turn: Turn, conversation: Conversation, body: Mapping[str, Any], now: float
) -> ActionCall | None:
    """The call for the turn's action (None when the decided intent has none)."""
    decision = turn.decision
    if not decision.action:
        return None
    metadata = body.get("metadata")
    return ActionCall(
        name=decision.action,
        sender_id=wire.sender_id(conversation),
        text=str(body.get("text", "")),
        language=decision.language,
        intent=decision.intent,
        confidence=round(decision.score / 100, 4),
        ranking=tuple((name, round(score / 100, 4)) for name, score in decision.candidates),
        slots=dict(turn.state.slots),
        metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
        now=now,
    )


def step_for(settings: Settings) -> ActionStep:
    """The node's action step: a remote runner when an action endpoint is set."""
    remote = None
    if settings.action_endpoint:
        remote = RemoteRunner(settings.action_endpoint, settings.action_timeout_s)
    return ActionStep(remote, settings.action_timeout_s)
