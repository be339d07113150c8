"""Labelled JSON-lines data: intent rows and frustration rows, checked line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from helpline.errors import Problem, RulesError
from helpline.rules.model import Config, Intent, Rulebook
from helpline.text import detect_language

MAX_PROBLEMS = 20  # enough to see a pattern; a wholly wrong file would print thousands


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file; every malformed line is reported as file:line."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    name = str(path)
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row, message = _parse(line)
            if message:
                problems.append(Problem(name, number, message))
            else:
                rows.append(row)
    if problems:
        raise RulesError(problems[:MAX_PROBLEMS])
    return rows


def _parse(line: str) -> tuple[dict[str, Any], str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {}, f"not JSON: {exc.msg}"
    if not isinstance(row, dict) or not isinstance(row.get("text"), str):
        return {}, 'expected an object with a "text" string'
    if "intent" in row:
        if row["intent"] is not None and not isinstance(row["intent"], str):
            return {}, '"intent" must be a name or null'
    elif not isinstance(row.get("frustrated"), bool):
        return {}, 'expected "intent" (name or null) or "frustrated" (true or false)'
    return row, ""


def is_frustration_data(rows: list[dict[str, Any]]) -> bool:
    return bool(rows) and all("frustrated" in row and "intent" not in row for row in rows)


def rulebook_from_rows(rows: list[dict[str, Any]], config: Config | None = None) -> Rulebook:
    """An in-memory rulebook whose intents are the rows' labels, examples by language."""
    config = config or Config()
    grouped: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        if row.get("intent") is None:
            continue
        language = detect_language(row["text"], config.default_language)
        grouped.setdefault(row["intent"], {}).setdefault(language, []).append(row["text"])
    intents = tuple(
        Intent(
            name=name,
            category="eval",
            examples={lang: tuple(texts) for lang, texts in by_lang.items()},
            answer={},
        )
        for name, by_lang in grouped.items()
    )
    return Rulebook(config, intents)
