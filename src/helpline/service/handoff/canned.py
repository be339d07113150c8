"""Canned answers for agents: the FAQ snippets, searched by title, examples and answer."""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz, process, utils

from helpline.rules.model import Intent, Rulebook

LIMIT = 5
_Choices = tuple[list[str], list[str]]  # searchable texts, and the intent each belongs to
_cache: dict[tuple[int, str], tuple[Rulebook, _Choices]] = {}


def search(
    rulebook: Rulebook, language: str, query: str, limit: int = LIMIT
) -> list[dict[str, Any]]:
    """The intents whose wording best matches query, with their answer in `language`."""
    texts, owners = _choices(rulebook, language)
    if not query.strip() or not texts:
        return []
    found = process.extract(
        query, texts, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit * 8
    )
    results: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _text, score, index in found:
        name = owners[index]
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


def _answer(rulebook: Rulebook, intent: Intent, language: str) -> str:
    fallback = rulebook.config.default_language
    return intent.answer.get(language) or intent.answer.get(fallback) or ""


def _choices(rulebook: Rulebook, language: str) -> _Choices:
    key = (id(rulebook), language)
    cached = _cache.get(key)
    if cached is not None and cached[0] is rulebook:
        return cached[1]
    texts: list[str] = []
    owners: list[str] = []
    for intent in rulebook.intents:
        if not intent.answer:
            continue
        wording = [intent.label(language), *intent.examples.get(language, ())]
        wording.append(_answer(rulebook, intent, language))
        texts += wording
        owners += [intent.name] * len(wording)
    if len(_cache) > 16:  # a few rule versions x languages; old versions just fall out
        _cache.clear()
    _cache[key] = (rulebook, (texts, owners))
    return texts, owners
