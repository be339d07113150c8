"""Collecting an author's problems, and the typed field checks every rule file shares."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from rapidfuzz import fuzz, process

from helpline.errors import Problem
from helpline.rules.reader import key_line, line_of, raw_text

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or '' when nothing is close."""
    cutoff = 50 if len(word) <= 3 else 60  # one letter off in 'kr' is half the word
    found = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    return f" (did you mean {found[0]!r}?)" if found else ""


def _prefix(context: str) -> str:
    return f"{context}: " if context else ""


def kind_of(value: object) -> str:
    """The YAML word for a value's type, as an author would recognise it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


class Report:
    """Problems found in one file, each placed at a line; errors and warnings apart."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message, "warning"))

    def error_count(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    def unknown_keys(self, data: Mapping[str, Any], allowed: Iterable[str], context: str) -> None:
        allowed = tuple(allowed)
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed)
                self.error(key_line(data, key), f"{_prefix(context)}unknown key {key!r}{hint}")

    def required(self, data: Mapping[str, Any], keys: Iterable[str], context: str) -> None:
        for key in keys:
            if key not in data:
                self.error(line_of(data), f"{_prefix(context)}missing required key {key!r}")

    def wrong_type(self, data: Any, key: str | int, expected: str, what: str) -> None:
        value = data[key]
        raw = raw_text(data, key)
        got = kind_of(value)
        if raw is not None and expected == "text":
            got = f"{got} ({raw}); put it in quotes to keep it as text"
        self.error(line_of(data, key), f"{what} must be {expected}, not {got}")

    def text(self, data: Any, key: str | int, what: str, empty_ok: bool = False) -> str | None:
        value = data[key]
        if not isinstance(value, str):
            self.wrong_type(data, key, "text", what)
            return None
        if not empty_ok and not value.strip():
            self.error(line_of(data, key), f"{what} is empty")
            return None
        return value

    def mapping(self, data: Any, key: str | int, what: str) -> Mapping[str, Any] | None:
        value = data[key]
        if not isinstance(value, Mapping):
            self.wrong_type(data, key, "a mapping (key: value lines)", what)
            return None
        return value

    def sequence(self, data: Any, key: str | int, what: str) -> list[Any] | None:
        value = data[key]
        if isinstance(value, tuple):  # data built in Python rather than read from YAML
            value = list(value)
        if not isinstance(value, list):
            self.wrong_type(data, key, "a list", what)
            return None
        return value

    def flag(self, data: Any, key: str, what: str) -> bool | None:
        value = data[key]
        if not isinstance(value, bool):
            self.wrong_type(data, key, "true or false", what)
            return None
        return value

    def number(self, data: Any, key: str, what: str, low: float, high: float) -> float | None:
        """A number within [low, high]; None (and a problem) otherwise."""
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.wrong_type(data, key, f"a number from {low:g} to {high:g}", what)
            return None
        if not low <= value <= high:
            self.error(
                line_of(data, key), f"{what} is {value:g}; it must be from {low:g} to {high:g}"
            )
            return None
        return float(value)

    def whole(self, data: Any, key: str, what: str, low: int, high: int) -> int | None:
        value = data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.wrong_type(data, key, f"a whole number from {low} to {high}", what)
            return None
        if not low <= value <= high:
            self.error(line_of(data, key), f"{what} is {value}; it must be from {low} to {high}")
            return None
        return value

    def text_list(self, data: Any, key: str | int, what: str) -> tuple[str, ...] | None:
        """A list of non-empty texts; a bare text is taken as a list of one."""
        value = data[key]
        if isinstance(value, str):
            return (value,) if self.text(data, key, what) is not None else None
        items = self.sequence(data, key, what)
        if items is None:
            return None
        texts: list[str] = []
        for i, item in enumerate(items):
            ok = isinstance(item, str) and bool(item.strip())  # the common case, kept cheap
            if ok or self.text(items, i, f"{what} item {i + 1}") is not None:
                texts.append(item)
        return tuple(texts)
