"""Incident notices: what supervisors post on an intent, and the bot saying it first to
customers who ask about that intent while it stands."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from helpline.bus.base import Bus, Subscription
from helpline.errors import BusOverflowError, BusUnavailableError, HelplineError, IncidentError
from helpline.rules.model import Config
from helpline.service.alert import frames
from helpline.service.rules_holder import RulesHolder
from helpline.spike import decision_key
from helpline.store.alerts import AlertStore, Incident
from helpline.turn import Reply, Turn

log = logging.getLogger(__name__)

MAX_NOTICE_CHARS = 500  # a line or two before the answer, not a status page
# Notices are re-read this often even without a word on the bus, so a frame the bus lost
# (a Redis blip) leaves a node out of date for at most this long.
RELOAD_S = 30.0
RETRY_S = 1.0  # between tries to follow the notices while the bus is down
KIND = "incident"  # the kind of the bot message that carries a notice


class IncidentBoard:
    """This node's copy of the standing notices, read from the store at start and again
    whenever any node posts or lifts one (the bus says so): a turn reads it without a
    round trip. The store is the truth, so notices survive restarts and hold on every node."""

    def __init__(
        self, store: AlertStore, bus: Bus, rules: RulesHolder, clock: Callable[[], float]
    ) -> None:
        self.store, self.bus, self.rules, self.clock = store, bus, rules, clock
        self._standing: dict[str, Incident] = {}
        self._changed = asyncio.Condition()  # notified after every change of the copy

    def standing(self) -> list[Incident]:
        return sorted(self._standing.values(), key=lambda i: (i.posted_at, i.id))

    async def load(self) -> None:
        self._standing = {i.intent: i for i in await self.store.standing_incidents()}
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[IncidentBoard], bool]) -> None:
        """Return once predicate(self) holds (checked after every re-read)."""
        async with self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    def prefixed(self, turn: Turn) -> Turn:
        """The turn with its intent's standing notice said first; the turn itself when no
        notice stands on what the customer asked about."""
        key = decision_key(turn.decision.decision, turn.decision.intent)
        found = self._standing.get(key) if key else None
        if found is None:
            return turn
        text = notice_text(found, turn.decision.language, self.rules.current.rulebook.config)
        return replace(turn, replies=(Reply(text, kind=KIND, intent=key), *turn.replies))

    async def post(self, intent: str, texts: Mapping[str, str], by: str) -> Incident:
        """Stand a notice on intent (replacing one that stood), on every node."""
        clean = self._checked(intent, texts)
        incident = await self.store.post_incident(intent, clean, by=by, now=self.clock())
        self._standing[intent] = incident
        await self._tell(frames.posted(incident))
        log.info("incident notice posted on %s by %s", intent, by)
        return incident

    async def lift(self, intent: str, by: str) -> Incident:
        incident = await self.store.lift_incident(intent, by=by, now=self.clock())
        self._standing.pop(intent, None)  # at once here; elsewhere once the bus says so
        if incident is None:
            raise IncidentError("not_found", f"no incident notice stands on {intent!r}")
        await self._tell(frames.lifted(incident))
        log.info("incident notice lifted from %s by %s", intent, by)
        return incident

    async def follow(self) -> None:
        """Keep this node's copy current until cancelled: re-read on every notice posted
        or lifted on any node, and every RELOAD_S in case the bus lost one."""
        subscription = await self._subscribe()
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(subscription.get(), RELOAD_S)
                except TimeoutError:
                    frame = None
                except BusOverflowError:  # cut off: follow afresh, and re-read meanwhile
                    await subscription.close()
                    subscription, frame = await self._subscribe(), None
                if frame is None or frame.get("type") in (frames.POSTED, frames.LIFTED):
                    await self._reload()
        finally:
            await subscription.close()

    async def _subscribe(self) -> Subscription:
        """The notices' topic; while the bus is down (Redis gone), tried again every
        RETRY_S, the store re-read in between: it holds every notice, the bus only says
        when to look."""
        while True:
            try:
                return await self.bus.subscribe(frames.TOPIC)
            except BusUnavailableError as exc:
                log.warning("incident notices not followed (%s); retrying", exc)
                await self._reload()
                await asyncio.sleep(RETRY_S)

    async def _reload(self) -> None:
        try:
            await self.load()
        except HelplineError as exc:
            log.warning("incident notices not re-read (%s); next time", exc)

    async def _tell(self, frame: Mapping[str, object]) -> None:
        """Every node and console; the store already holds it, so a bus outage only delays
        the other nodes until their next re-read."""
        try:
            await self.bus.publish(frames.TOPIC, frame)
        except HelplineError as exc:
            log.warning("incident change not published (%s); nodes re-read it soon", exc)

    def _checked(self, intent: str, texts: Mapping[str, str]) -> dict[str, str]:
        """The notice's texts, trimmed; IncidentError before anything is written."""
        rulebook = self.rules.current.rulebook
        if intent not in rulebook.by_name:
            raise IncidentError("not_found", f"no intent {intent!r} in the rules")
        languages = rulebook.config.languages
        clean = {lang: " ".join(str(t).split()) for lang, t in texts.items()}
        wrong = [lang for lang in clean if lang not in languages]
        if wrong:
            raise IncidentError(
                "bad_request",
                f"'texts' has {wrong[0]!r}; the desk's languages are {list(languages)}",
            )
        if not any(clean.values()) or any(len(t) > MAX_NOTICE_CHARS for t in clean.values()):
            raise IncidentError(
                "bad_request",
                f"give the notice in a language or more, each up to {MAX_NOTICE_CHARS} characters",
            )
        return {lang: text for lang, text in clean.items() if text}


def notice_text(incident: Incident, language: str | None, config: Config) -> str:
    """The notice in the customer's language, else the desk's default one, else any."""
    texts = incident.texts
    for lang in (language, config.default_language, *config.languages):
        if lang and texts.get(lang):
            return texts[lang]
    return next(iter(texts.values()))
