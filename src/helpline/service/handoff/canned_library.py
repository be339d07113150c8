"""The canned answers supervisors write: this node's copy, its search index, the checks
on a change, and the placeholders filled in for the agent who inserts one."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from rapidfuzz import fuzz, process, utils

from helpline.bus.base import Bus, Subscription
from helpline.errors import BusOverflowError, BusUnavailableError, CannedError, HelplineError
from helpline.service.handoff.canned import LIMIT, MAX_QUERY_CHARS, Index
from helpline.store.agents import Agent
from helpline.store.canned import CannedAnswer, CannedChange, CannedStore

log = logging.getLogger(__name__)

TOPIC = "canned"  # {"type": CHANGED}: every node re-reads its copy and rebuilds its index
CHANGED = "canned.changed"
# Re-read this often even without a word on the bus, so a frame the bus lost leaves a
# node's `/` search out of date for at most this long (as incident notices).
RELOAD_S = 30.0
RETRY_S = 1.0
SHORTCUT = re.compile(r"[\w-]{1,32}")  # letters of any script (/환불), digits, _ and -
MAX_TITLE_CHARS = 100
MAX_BODY_CHARS = 2000
MAX_TEAM_CHARS = 100
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Only a body's opening is searched: WRatio's cost grows with each text's length, and a
# search runs on the event loop. 1,000 answers of 300 words (bench/canned_search.py, a
# shared 2-core machine): 24 ms a search against 99 ms over whole bodies; an answer's
# opening says what it is about.
INDEXED_BODY_CHARS = 200
# A shortcut the agent typed the start of outranks any fuzzy match on words.
SHORTCUT_SCORE = 100.0


def fill(text: str, values: Mapping[str, str | None]) -> str:
    """The text with each {name} it knows a value for replaced; others stay as written, so
    the agent sees what still needs filling in before sending."""

    def value(match: re.Match[str]) -> str:
        found = values.get(match.group(1))
        return found if found else match.group(0)

    return PLACEHOLDER.sub(value, text)


def may_use(agent: Agent, answer: CannedAnswer) -> bool:
    return answer.team is None or agent.is_supervisor or answer.team in agent.teams


def answer_view(answer: CannedAnswer) -> dict[str, Any]:
    return {
        "id": answer.id, "shortcut": answer.shortcut, "title": answer.title,
        "bodies": dict(answer.bodies), "team": answer.team, "updated_at": answer.updated_at,
    }  # fmt: skip


class CannedLibrary:
    """Read from the store at start and again whenever any node changes an answer (the
    bus says so); an agent's `/` search reads this copy without a round trip. Each copy
    has its own index per language, built on the first search after it was read."""

    def __init__(
        self, store: CannedStore, bus: Bus, languages: Callable[[], tuple[str, ...]],
        clock: Callable[[], float],
    ) -> None:  # fmt: skip
        self.store, self.bus, self.languages, self.clock = store, bus, languages, clock
        self._answers: tuple[CannedAnswer, ...] = ()
        self._indexes: dict[str, Index] = {}
        self._changed = asyncio.Condition()

    def answers(self, agent: Agent) -> list[CannedAnswer]:
        return [a for a in self._answers if may_use(agent, a)]

    @property
    def every_answer(self) -> tuple[CannedAnswer, ...]:
        """This node's copy, every team's."""
        return self._answers

    async def load(self) -> None:
        self._answers, self._indexes = tuple(await self.store.canned_answers()), {}
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[CannedLibrary], bool]) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: predicate(self))

    def search(
        self, agent: Agent, language: str, query: str, values: Mapping[str, str | None]
    ) -> list[dict[str, Any]]:
        """The answers this agent may use that best match query, shortcut matches first,
        each with its text in `language` (else any it has) and the placeholders filled."""
        wanted = query[:MAX_QUERY_CHARS].strip().lstrip("/").lower()
        if not wanted:
            return []
        scores: dict[str, float] = {}
        for answer in self._answers:
            if answer.shortcut.startswith(wanted):
                scores[answer.id] = SHORTCUT_SCORE
        index = self.index_for(language)
        processed = utils.default_process(wanted)
        if processed and index.texts:
            found = process.extract(processed, index.texts, scorer=fuzz.WRatio, processor=None,
                                    limit=None, score_cutoff=50)  # fmt: skip
            for _text, score, position in found:
                owner = index.owners[position]
                scores[owner] = max(scores.get(owner, 0.0), score)
        by_id = {a.id: a for a in self._answers if may_use(agent, a)}
        ranked = sorted((i for i in scores if i in by_id), key=lambda i: -scores[i])[:LIMIT]
        return [self._result(by_id[i], language, scores[i], values) for i in ranked]

    async def add(self, agent: Agent, body: Any) -> CannedAnswer:
        change = self._checked(agent, body, whole=True)
        assert change.shortcut and change.title and change.bodies is not None
        answer = CannedAnswer(
            "k_" + secrets.token_hex(8), change.shortcut, change.title, dict(change.bodies),
            change.team, agent.id, self.clock(),
        )  # fmt: skip
        stored = await self.store.add_canned(answer)
        await self._changed_everywhere()
        return stored

    async def change(self, agent: Agent, canned_id: str, body: Any) -> CannedAnswer:
        change = self._checked(agent, body, whole=False)
        stored = await self.store.change_canned(canned_id, change, self.clock())
        if stored is None:
            raise CannedError("not_found", f"no canned answer {canned_id[:60]!r}")
        await self._changed_everywhere()
        return stored

    async def delete(self, agent: Agent, canned_id: str) -> None:
        _supervisor(agent)
        if not await self.store.delete_canned(canned_id):
            raise CannedError("not_found", f"no canned answer {canned_id[:60]!r}")
        await self._changed_everywhere()

    async def follow(self) -> None:
        """Keep this copy current until cancelled (as IncidentBoard.follow)."""
        subscription = await self._subscribe()
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(subscription.get(), RELOAD_S)
                except TimeoutError:
                    frame = None
                except BusOverflowError:
                    await subscription.close()
                    subscription, frame = await self._subscribe(), None
                if frame is None or frame.get("type") == CHANGED:
                    await self._reload()
        finally:
            await subscription.close()

    async def _subscribe(self) -> Subscription:
        while True:
            try:
                return await self.bus.subscribe(TOPIC)
            except BusUnavailableError as exc:
                log.warning("canned answers not followed (%s); retrying", exc)
                await self._reload()
                await asyncio.sleep(RETRY_S)

    async def _reload(self) -> None:
        try:
            await self.load()
        except HelplineError as exc:
            log.warning("canned answers not re-read (%s); next time", exc)

    async def _changed_everywhere(self) -> None:
        """This node's copy at once (the answer's author searches next), then the others;
        the store holds the change, so a bus outage only delays them to their re-read."""
        await self.load()
        try:
            await self.bus.publish(TOPIC, {"type": CHANGED})
        except HelplineError as exc:
            log.warning("canned answer change not published (%s); nodes re-read soon", exc)

    def index_for(self, language: str) -> Index:
        """This copy's index in language, built on first use."""
        index = self._indexes.get(language)
        if index is None:
            texts: list[str] = []
            owners: list[str] = []
            for answer in self._answers:
                for text in (answer.title, _body(answer, language)[:INDEXED_BODY_CHARS]):
                    texts.append(utils.default_process(text))
                    owners.append(answer.id)
            index = self._indexes[language] = Index(tuple(texts), tuple(owners))
        return index

    def _result(
        self, answer: CannedAnswer, language: str, score: float, values: Mapping[str, str | None]
    ) -> dict[str, Any]:
        return {
            "canned": answer.id, "shortcut": "/" + answer.shortcut, "title": answer.title,
            "text": fill(_body(answer, language), values), "score": round(score, 1),
        }  # fmt: skip

    def _checked(self, agent: Agent, body: Any, *, whole: bool) -> CannedChange:
        """The change the body asks for; CannedError naming the field before any write."""
        _supervisor(agent)
        if not isinstance(body, dict):
            raise _bad("the body must be a JSON object")
        unknown = sorted(set(body) - {"shortcut", "title", "bodies", "team"})
        if unknown:
            raise _bad(f"{unknown[0]!r} is not a field of a canned answer")
        if whole:
            missing = [f for f in ("shortcut", "title", "bodies") if body.get(f) is None]
            if missing:
                raise _bad(f"give {missing[0]!r}")
        team = body.get("team")
        if team is not None and (not isinstance(team, str) or len(team) > MAX_TEAM_CHARS):
            raise _bad(f"'team' must be a team's name of up to {MAX_TEAM_CHARS} characters")
        return CannedChange(
            shortcut=_shortcut(body.get("shortcut")), title=_title(body.get("title")),
            bodies=self._bodies(body.get("bodies")), team=(team or "").strip() or None,
            clear_team="team" in body and not (team or "").strip(),
        )  # fmt: skip

    def _bodies(self, value: Any) -> dict[str, str] | None:
        if value is None:
            return None
        languages = self.languages()
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise _bad('\'bodies\' must be the text per language: {"ko": ..., "en": ...}')
        wrong = [lang for lang in value if lang not in languages]
        if wrong:
            raise _bad(f"'bodies' has {wrong[0]!r}; the desk's languages are {list(languages)}")
        clean = {lang: text.strip() for lang, text in value.items() if text.strip()}
        if not clean:
            raise _bad("'bodies' needs the text in at least one language")
        if any(len(text) > MAX_BODY_CHARS for text in clean.values()):
            raise _bad(f"'bodies' texts are {MAX_BODY_CHARS} characters at most")
        return clean


def _shortcut(value: Any) -> str | None:
    if value is None:
        return None
    text = value.strip().lstrip("/").lower() if isinstance(value, str) else ""
    if not SHORTCUT.fullmatch(text):
        raise _bad("'shortcut' must be 1-32 letters, digits, '_' or '-' (as in /refund)")
    return text


def _title(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text or len(text) > MAX_TITLE_CHARS:
        raise _bad(f"'title' must be 1-{MAX_TITLE_CHARS} characters")
    return text


def _body(answer: CannedAnswer, language: str) -> str:
    return answer.bodies.get(language) or next(iter(answer.bodies.values()), "")


def _supervisor(agent: Agent) -> None:
    if not agent.is_supervisor:
        raise CannedError("forbidden", "only supervisors add, change and delete canned answers")


def _bad(message: str) -> CannedError:
    return CannedError("bad_request", message)
