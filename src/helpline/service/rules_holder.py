"""The rules a running node answers with: rulebook and matcher, swapped together on reload."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from helpline.errors import RulesError
from helpline.matcher import IndexCache, Matcher, build_matcher
from helpline.rules.model import Rulebook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActiveRules:
    rulebook: Rulebook
    matcher: Matcher
    version: int


class RulesHolder:
    """Readers take `current` once per turn, so a reload never mixes old and new rules."""

    def __init__(self, rulebook: Rulebook, index_cache: IndexCache | None = None) -> None:
        # with a cache, a restart or a reload to rules served before reads their index back
        self._index_cache = index_cache
        self.current = ActiveRules(rulebook, build_matcher(rulebook, index_cache), 1)
        self.last_error: RulesError | None = None
        self.rejected = 0  # how many edits were refused since start
        self._changed = asyncio.Condition()

    async def wait_until(self, predicate: Callable[[RulesHolder], bool]) -> None:
        """Return once predicate(self) holds (checked after every reload or refusal)."""
        async with self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def replace(self, rulebook: Rulebook) -> None:
        # Build the matcher (off the event loop: large rulebooks take a moment) before
        # swapping, so one assignment publishes both at once.
        matcher = await asyncio.to_thread(build_matcher, rulebook, self._index_cache)
        self.current = ActiveRules(rulebook, matcher, self.current.version + 1)
        self.last_error = None
        await self._notify()
        log.info(
            "rules reloaded: %d intents (version %d)", len(rulebook.intents), self.current.version
        )

    async def reject(self, error: RulesError) -> None:
        self.last_error = error
        self.rejected += 1
        await self._notify()
        log.error("rules not reloaded, still serving version %d:\n%s", self.current.version, error)
