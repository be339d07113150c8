"""The unanswered inbox for authors: its clusters, and adding or dismissing them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpline.errors import InboxError
from helpline.inbox.cluster import Cluster, answered_now, clusters
from helpline.inbox.new_intent import NewIntent
from helpline.rules.model import Intent, Rulebook
from helpline.service.rules_holder import RulesHolder
from helpline.store.inbox import InboxStore, Unanswered
from helpline.text import normalize

log = logging.getLogger(__name__)

AUTHOR_ROLES = ("author", "supervisor")  # who may change the rules from the inbox
WINDOW_S = 30 * 86400.0  # how far back the inbox looks: older traffic is stale evidence

InboxCluster = Cluster[Unanswered]


@dataclass(frozen=True)
class Added:
    """What adding a cluster (or some of its messages) to an intent did."""

    cluster: str
    intent: str
    examples: tuple[str, ...]  # the wordings written (ones the intent had are left out)
    file: str
    messages: int  # the cluster's messages
    answered: int  # of those, how many the bot answers now, with the reloaded rules
    rules_version: int


@dataclass(frozen=True)
class AddedIntent:
    """What writing a new intent did."""

    intent: str
    file: str
    examples: int
    answered: int  # of its examples, how many the bot answers with the reloaded rules
    rules_version: int


class InboxService:
    """Reads the inbox from the store; writes only on an author's action, one at a time
    on this node (another node sees the file change through its own reload)."""

    def __init__(
        self,
        store: InboxStore,
        rules: RulesHolder,
        rules_dir: Path | None,  # None: this node's rules were not loaded from files
        clock: Callable[[], float],
        *,
        window_s: float = WINDOW_S,
    ) -> None:
        self.store = store
        self.rules = rules
        self.rules_dir = rules_dir
        self.clock = clock
        self.window_s = window_s
        self._writing = asyncio.Lock()

    async def clusters(self) -> list[InboxCluster]:
        messages = await self.store.unanswered_messages(self.clock() - self.window_s)
        active = self.rules.current
        # pure Python over every message: off the loop, as the matcher's own build is
        return await asyncio.to_thread(clusters, messages, active.rulebook, active.matcher)

    async def cluster(self, cluster_id: str) -> InboxCluster:
        for found in await self.clusters():
            if found.id == cluster_id:
                return found
        raise InboxError("not_found", f"no cluster {cluster_id!r} in the inbox")

    async def add(
        self, cluster_id: str, intent: str, texts: Sequence[str] | None, by: str
    ) -> Added:
        """Write the cluster's messages (or those of `texts`) as examples of the intent,
        checked by the loader, reload, and take them out of the inbox."""
        rules_dir = self._rules_dir()
        async with self._writing:
            cluster = await self.cluster(cluster_id)
            chosen = _chosen(cluster, texts)
            language = cluster.language or self.rules.current.rulebook.config.default_language
            wordings = [m.text for m in chosen]
            from helpline.inbox.examples_file import add_examples  # as in add_intent

            written = await asyncio.to_thread(add_examples, rules_dir, intent, language, wordings)
            if written.added:
                await self.rules.replace(written.rulebook)  # now, not at the next poll
            active = self.rules.current
            pairs = [(m.text, m.language) for m in cluster.members]
            answered = await asyncio.to_thread(
                answered_now, pairs, active.rulebook, active.matcher, self.clock()
            )
            keys = [m.key for m in chosen]
            await self.store.resolve_messages(
                keys, action="added", intent=intent, by=by, now=self.clock()
            )
        log.info("inbox: %d message(s) of %s added to %s", len(chosen), cluster_id, intent)
        return Added(
            cluster_id, intent, written.added, written.file, cluster.size, answered,
            active.version,
        )  # fmt: skip

    async def add_intent(self, file_name: str, new: NewIntent, by: str) -> AddedIntent:
        """Write an intent an author made from agents' answers, checked by the loader,
        and reload; how many of its example wordings the bot now answers."""
        rules_dir = self._rules_dir()
        async with self._writing:
            # imported when an author writes, not at every start: the round-trip YAML
            # library it needs costs a node 0.02-0.03 s to import
            from helpline.inbox.examples_file import add_intent

            written = await asyncio.to_thread(add_intent, rules_dir, file_name, new)
            await self.rules.replace(written.rulebook)
            active = self.rules.current
            pairs = [(t, language) for language, texts in new.examples.items() for t in texts]
            answered = await asyncio.to_thread(
                answered_now, pairs, active.rulebook, active.matcher, self.clock()
            )
        log.info("inbox: agent %s added intent %s to %s", by, new.name, file_name)
        return AddedIntent(new.name, written.file, len(pairs), answered, active.version)

    async def dismiss(self, cluster_id: str, by: str) -> int:
        """Set the cluster aside for good; how many messages it held."""
        async with self._writing:
            cluster = await self.cluster(cluster_id)
            keys = [m.key for m in cluster.members]
            await self.store.resolve_messages(
                keys, action="dismissed", intent=None, by=by, now=self.clock()
            )
        return cluster.size

    def _rules_dir(self) -> Path:
        if self.rules_dir is None or not self.rules_dir.is_dir():
            raise InboxError(
                "no_rules_dir", "this node's rules were not loaded from a directory to write to"
            )
        return self.rules_dir


def _chosen(cluster: InboxCluster, texts: Sequence[str] | None) -> list[Unanswered]:
    """The members whose wording is one of texts (by normal form); all when texts is None.
    A text the cluster does not hold is refused: the inbox adds what customers wrote."""
    if texts is None:
        return list(cluster.members)
    wanted = {normalize(t) for t in texts}
    if not wanted or "" in wanted:
        raise InboxError("bad_request", "give at least one message, none of them empty")
    chosen = [m for m in cluster.members if normalize(m.text) in wanted]
    missing = wanted - {normalize(m.text) for m in chosen}
    if missing:
        shown = ", ".join(sorted(repr(t) for t in texts if normalize(t) in missing)[:3])
        raise InboxError("bad_request", f"not messages of cluster {cluster.id}: {shown}")
    return chosen


def cluster_view(cluster: InboxCluster, shown: int | None = 5) -> dict[str, Any]:
    """A cluster as the HTTP API and the export show it."""
    nearest = cluster.nearest
    flags = sorted({m.flag for m in cluster.members})
    return {
        "id": cluster.id,
        "size": cluster.size,
        "language": cluster.language,
        "messages": cluster.wordings(shown),
        "flags": flags,
        "nearest": {"intent": nearest.intent, "score": nearest.score} if nearest else None,
        "first_at": cluster.members[0].created_at,
        "last_at": max(m.created_at for m in cluster.members),
    }


def added_view(added: Added) -> dict[str, Any]:
    return {
        "cluster": added.cluster,
        "intent": added.intent,
        "examples": list(added.examples),
        "file": added.file,
        "messages": added.messages,
        "answered": added.answered,
        "rules_version": added.rules_version,
    }


def intents_view(rulebook: Rulebook) -> dict[str, Any]:
    """The intents an author may add messages to, as the inbox page lists them: the human
    intent too (customers' own ways of asking for a person are worth adding)."""
    return {
        "languages": list(rulebook.config.languages),
        "intents": [_intent_view(intent) for intent in rulebook.intents],
    }


def _intent_view(intent: Intent) -> dict[str, Any]:
    # a title per language, the first example where the author gave none: what the bot's
    # buttons show, so the author recognises it
    title = {
        language: intent.title.get(language) or (examples[0] if examples else intent.name)
        for language, examples in intent.examples.items()
    }
    return {
        "name": intent.name,
        "category": intent.category,
        "title": title,
        "file": Path(intent.file).name if intent.file else None,
    }


def added_intent_view(added: AddedIntent) -> dict[str, Any]:
    return {
        "intent": added.intent,
        "file": Path(added.file).name,
        "examples": added.examples,
        "answered": added.answered,
        "rules_version": added.rules_version,
    }
