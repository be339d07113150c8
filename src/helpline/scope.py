"""Whose product a message is about: ours, or someone else's.

"How do I delete my instagram account" and "디즈니플러스 해지는 어떻게 해요" share every word
an answer rests on (delete, account, 해지) with questions the bot does answer; only the name
says they are not about us, and a similarity score cannot weigh one name against four
shared words. So the author lists the names and subjects that are not theirs (config.yaml
`scope.not_ours`: other services, and things the desk does not handle, such as parcels and
deliveries for a streaming service), and the ones that are (`scope.ours`); a message that
names one of the first and none of the second is not answered from any intent. Some subjects
are about us and still not the desk's to answer (`scope.not_answered`: jobs, investors, the
CEO, what to watch): naming us does not make "does streamflix have job openings" a question
for a snippet, so these are not answered whatever else the message names.

English terms are matched as whole words of the lower-cased text ("max" is not in
"maximum"); Korean terms as parts of the text without spaces, so particles and spacing need
no listing (넷플릭스 matches 넷플릭스에서, 넷플 릭스 does not occur in practice).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from helpline.text import is_hangul_word

_SPACES = re.compile(r"\s+")
_KEPT = 4096  # texts whose answer a Scope keeps


@dataclass(frozen=True)
class Scope:
    ours: tuple[str, ...] = ()  # our own product's names: a message naming one is ours
    not_ours: tuple[str, ...] = ()  # other products and subjects the desk does not handle
    not_answered: tuple[str, ...] = ()  # subjects about us the desk does not answer

    def other_subject(self, text: str) -> str | None:
        """The first term of `not_ours` the text names unless it also names ours, else the
        first of `not_answered`."""
        if not self.not_ours and not self.not_answered:
            return None
        kept = self._kept
        if text in kept:
            return kept[text]
        lowered = text.lower()
        found = None if self._ours(lowered) else self._not_ours(lowered)
        if found is None:
            found = self._not_answered(lowered)
        if len(kept) >= _KEPT:
            kept.clear()
        kept[text] = found
        return found

    @functools.cached_property
    def _kept(self) -> dict[str, str | None]:
        """The latest texts' answers: customers send the same few texts again and again,
        and the terms' expression tries every position of a text (4% of a turn)."""
        return {}

    # compiled once per rulebook, not per message (a frozen dataclass still has a __dict__)
    @functools.cached_property
    def _ours(self) -> _Finder:
        return _Finder(self.ours)

    @functools.cached_property
    def _not_ours(self) -> _Finder:
        return _Finder(self.not_ours)

    @functools.cached_property
    def _not_answered(self) -> _Finder:
        return _Finder(self.not_answered)

    def is_not_answered(self, term: str) -> bool:
        """Whether a term other_subject found is one of `not_answered` (about us)."""
        return self._not_answered(term.lower()) == term


def _longest_first(term: str) -> tuple[int, str]:
    return -len(term), term


class _Finder:
    """One regular expression for the Latin terms, substring search for the Korean ones."""

    def __init__(self, terms: Sequence[str]) -> None:
        # longest first, and terms of one length in a fixed order (a set's order changes
        # with the interpreter's hash seed, and so would which of two terms is found)
        latin = sorted({t.lower() for t in terms if not _has_hangul(t)}, key=_longest_first)
        self._korean = tuple(
            sorted({_SPACES.sub("", t) for t in terms if _has_hangul(t)}, key=_longest_first)
        )
        words = _prefix_tree(latin)
        self._latin = re.compile(rf"(?<![\w+])({words})(?![\w+])") if latin else None
        # whether any Korean term is there at all, in one C-level pass (most texts name
        # none); the first of them in the list's order is then looked for term by term
        self._any_korean = re.compile("|".join(map(re.escape, self._korean)))

    def __call__(self, lowered: str) -> str | None:
        if self._latin is not None:
            found = self._latin.search(lowered)
            if found:
                return " ".join(found.group(1).split())  # the term as listed
        if self._korean and not lowered.isascii():  # every Korean term has a Hangul letter
            compact = _SPACES.sub("", lowered)
            if self._any_korean.search(compact) is None:
                return None
            for term in self._korean:
                if term in compact:
                    return term
        return None


def _prefix_tree(terms: Sequence[str]) -> str:
    """The terms' alternation as a tree of shared prefixes (hbo and hbo max: "hbo", then " max"
    if it can): each position of a text is tried against a few letters instead of every term,
    which pays for the third list (an unmatched message 14.8 -> 10.3 us, 9.9 before
    not_answered). The longest term still wins: a letter's branches exclude each other, and
    each goes on before it may end."""
    root: _Node = {}
    for term in terms:
        node = root
        for i, word in enumerate(term.split()):
            for token in ([" "] if i else []) + list(word):
                node = node.setdefault(token, {})
        node[""] = {}
    return _branches(root)


_Node = dict[str, "_Node"]  # a token ("" ends a term, " " is any run of spaces) to what follows


def _branches(node: _Node) -> str:
    ways = [(r"\s+" if k == " " else re.escape(k)) + _branches(v) for k, v in node.items() if k]
    if not ways:
        return ""
    body = ways[0] if len(ways) == 1 else "(?:" + "|".join(ways) + ")"
    return f"(?:{body})?" if "" in node else body


def _has_hangul(term: str) -> bool:
    return any(is_hangul_word(ch) for ch in term)
