"""Weighted word lists (helpline/lexicon/*.txt) and the scanners that sum them over a text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

_LINE = re.compile(r"^(-?\d+(?:\.\d+)?)\s+(.+?)\s*$")
_SPACES = re.compile(r"\s+")
_CACHE_LIMIT = 50_000
Entry = tuple[float, int]  # (weight, position of the file it came from among the list's files)
_NONE: Entry = (0.0, 0)
# Praise right after one of these is complaint ("not great", "never helpful"), at half weight.
_NEGATORS = frozenset(
    [
        "not",
        "no",
        "never",
        "isn't",
        "isnt",
        "wasn't",
        "wasnt",
        "don't",
        "dont",
        "didn't",
        "didnt",
        "doesn't",
        "doesnt",
        "hardly",
    ]
)


@dataclass(frozen=True)
class WordList:
    """English entries: whole words, phrases of words, and word prefixes ("frustrat*").

    Loaded from one or more files scanned as one list, so a longer entry of one file still
    consumes the words of a shorter entry of another; `tally` keeps each file's sum apart.
    """

    words: Mapping[str, Entry]
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], Entry], ...]]  # first word -> longest first
    stems: Mapping[str, Entry]
    stem_lengths: tuple[int, ...]  # longest first
    files: int = 1
    # token -> entry or None; customers reuse a small vocabulary, so this stays small and
    # spares the prefix search. Cleared when it grows past _CACHE_LIMIT.
    _seen: dict[str, Entry | None] = field(default_factory=dict, compare=False, repr=False)

    def scan(self, tokens: Sequence[str]) -> tuple[float, int]:
        """Sum of weights over the tokens and the number of hits; phrases consume their words."""
        total, hits = 0.0, 0
        for weight, _ in self._hits(tokens):
            total += weight
            hits += 1
        return total, hits

    def tally(self, tokens: Sequence[str]) -> list[float]:
        """Sum of weights over the tokens, one sum for each of the list's files."""
        sums = [0.0] * self.files
        for weight, source in self._hits(tokens):
            sums[source] += weight
        return sums

    def _hits(self, tokens: Sequence[str]) -> Iterator[Entry]:
        i = 0
        while i < len(tokens):
            entry, used = self._match_at(tokens, i)
            if not used:
                i += 1
                continue
            weight, source = entry
            if weight < 0 and _negated(tokens, i):
                weight = -weight / 2
            yield weight, source
            i += used

    def _match_at(self, tokens: Sequence[str], i: int) -> tuple[Entry, int]:
        token = tokens[i]
        for words, entry in self.phrases.get(token, ()):
            if tuple(tokens[i : i + len(words)]) == words:
                return entry, len(words)
        try:
            found = self._seen[token]
        except KeyError:
            found = self._seen[token] = self._lookup(token)
            if len(self._seen) > _CACHE_LIMIT:
                self._seen.clear()
        return (_NONE, 0) if found is None else (found, 1)

    def _lookup(self, token: str) -> Entry | None:
        found = self.words.get(token)
        if found is not None:
            return found
        for length in self.stem_lengths:
            if len(token) >= length:
                found = self.stems.get(token[:length])
                if found is not None:
                    return found
        return None


def _negated(tokens: Sequence[str], i: int) -> bool:
    return any(t in _NEGATORS for t in tokens[max(0, i - 2) : i])


@dataclass(frozen=True)
class SubstringList:
    """Korean entries, found as substrings of the text with spaces removed; longest wins.

    Like WordList, one list may come from several files, with `tally` summing each apart.
    """

    entries: Mapping[str, Entry]
    pattern: re.Pattern[str]  # a trie of the entries as one regex, so the scan runs in C
    files: int = 1

    def scan(self, text: str) -> tuple[float, int]:
        weights = [self.entries[term][0] for term in self.pattern.findall(text)]
        return sum(weights), sum(1 for w in weights if w)

    def tally(self, text: str) -> list[float]:
        sums = [0.0] * self.files
        for term in self.pattern.findall(text):
            weight, source = self.entries[term]
            sums[source] += weight
        return sums


def _trie_pattern(terms: Iterable[str]) -> str:
    """A regex matching any of the terms, preferring the longest at each position."""
    trie: dict[str, Any] = {}
    for term in terms:
        node = trie
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}
    return _node_pattern(trie)


def _node_pattern(node: dict[str, Any]) -> str:
    branches = [re.escape(c) + _node_pattern(child) for c, child in node.items() if c]
    if not branches:
        return ""
    group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" not in node:
        return group
    return f"(?:{group})?" if len(branches) > 1 or len(group) > 1 else group + "?"


def _entries(name: str) -> list[tuple[str, float]]:
    """(term, weight) pairs of one list file; a malformed line is a packaging bug, so raise."""
    text = resources.files("helpline").joinpath("lexicon", name).read_text(encoding="utf-8")
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ValueError(f"lexicon/{name}:{number}: expected 'WEIGHT TERM', got {line!r}")
        out.append((match.group(2).lower(), float(match.group(1))))
    return out


def _tagged(names: tuple[str, ...]) -> list[tuple[str, Entry]]:
    """Every file's entries tagged with the file's position; a term in two files is a bug."""
    out: list[tuple[str, Entry]] = []
    where: dict[str, str] = {}
    for source, name in enumerate(names):
        for term, weight in _entries(name):
            key = _SPACES.sub(" ", term)
            if key in where and where[key] != name:
                raise ValueError(f"lexicon/{name}: {term!r} is also in lexicon/{where[key]}")
            where[key] = name
            out.append((term, (weight, source)))
    return out


@cache
def word_list(*names: str) -> WordList:
    words: dict[str, Entry] = {}
    stems: dict[str, Entry] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
    for term, entry in _tagged(names):
        parts = tuple(_SPACES.split(term))
        if len(parts) > 1:
            phrases.setdefault(parts[0], []).append((parts, entry))
        elif term.endswith("*"):
            stems[term[:-1]] = entry
        else:
            words[term] = entry
    ordered = {k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in phrases.items()}
    return WordList(
        words=MappingProxyType(words),
        phrases=MappingProxyType(ordered),
        stems=MappingProxyType(stems),
        stem_lengths=tuple(sorted({len(s) for s in stems}, reverse=True)),
        files=len(names),
    )


@cache
def substring_list(*names: str) -> SubstringList:
    entries = {_SPACES.sub("", term): entry for term, entry in _tagged(names)}
    return SubstringList(
        MappingProxyType(entries), re.compile(_trie_pattern(entries)), files=len(names)
    )
