"""Canned answers for agents: the FAQ snippets, searched by title, examples and answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process, utils

from helpline.rules.model import Intent, Rulebook

LIMIT = 5
# WRatio's cost grows with the query's length times each text's: on bot_rules a 2,000-character
# query took 1.6 s per search on the event loop, a 30-character one 12 ms. What an agent
# types to find a snippet fits in far fewer; the rest of a longer query is ignored.
MAX_QUERY_CHARS = 80


@dataclass(frozen=True)
class Index:
    """One language's searchable texts, normalised once per rules version."""

    texts: tuple[str, ...]  # utils.default_process'ed: the query is too, once per search
    owners: tuple[str, ...]  # the intent each text belongs to


# one index per rules version and language, keyed by the rulebook's id and kept with it (so
# the id cannot be reused while the entry lives); a few versions x languages, then cleared
_indexes: dict[tuple[int, str], tuple[Rulebook, Index]] = {}
_KEPT = 16


def search(
    rulebook: Rulebook, language: str, query: str, limit: int = LIMIT
) -> list[dict[str, Any]]:
    """The intents whose wording best matches query (its first MAX_QUERY_CHARS), with their
    answer in `language`."""
    index = index_for(rulebook, language)
    wanted = utils.default_process(query[:MAX_QUERY_CHARS])
    if not wanted or not index.texts:
        return []
    found = process.extract(
        wanted, index.texts, scorer=fuzz.WRatio, processor=None, limit=limit * 8
    )
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _text, score, position in found:
        name = index.owners[position]
        if name in seen:
            continue
        seen.add(name)
        intent = rulebook.by_name[name]
        results.append(
            {"intent": name, "title": intent.label(language),
             "text": _answer(rulebook, intent, language), "score": round(score, 1)}
        )  # fmt: skip
        if len(results) == limit:
            break
    return results


def index_for(rulebook: Rulebook, language: str) -> Index:
    """The rulebook's index in language, built on first use."""
    key = (id(rulebook), language)
    kept = _indexes.get(key)
    if kept is not None and kept[0] is rulebook:
        return kept[1]
    if len(_indexes) >= _KEPT:
        _indexes.clear()
    index = _build(rulebook, language)
    _indexes[key] = (rulebook, index)
    return index


def _build(rulebook: Rulebook, language: str) -> Index:
    texts: list[str] = []
    owners: list[str] = []
    for intent in rulebook.intents:
        if not intent.answer:
            continue
        wording = [intent.label(language), *intent.examples.get(language, ())]
        wording.append(_answer(rulebook, intent, language))
        texts += (utils.default_process(text) for text in wording)
        owners += [intent.name] * len(wording)
    return Index(tuple(texts), tuple(owners))


def _answer(rulebook: Rulebook, intent: Intent, language: str) -> str:
    fallback = rulebook.config.default_language
    return intent.answer.get(language) or intent.answer.get(fallback) or ""
