"""intents/*.yaml: check each intent on its own and build Intent values from it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from helpline.rules.configfile import read_thresholds
from helpline.rules.model import PRIORITIES, Config, Intent
from helpline.rules.reader import key_line, line_of
from helpline.rules.report import SNAKE_CASE, Report, did_you_mean

INTENT_KEYS = (
    "name",
    "category",
    "title",
    "examples",
    "answer",
    "quick_replies",
    "escalate",
    "priority",
    "action",
    "thresholds",
)
DEFAULT_CATEGORY = "general"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
FEW_EXAMPLES = 3  # fewer than this per language and matching gets brittle


@dataclass(frozen=True)
class IntentDraft:
    """An intent plus where its parts were written, for the checks across intents."""

    intent: Intent
    name_line: int
    example_lines: Mapping[str, tuple[int, ...]]  # language -> line of each example
    quick_reply_lines: tuple[int, ...]
    action_line: int


def read_intents_file(data: Any, report: Report, config: Config, known: bool) -> list[IntentDraft]:
    """The intents in one file's value (`intents: [...]`); known: config.languages is valid."""
    if not isinstance(data, Mapping):
        if data is not None:
            report.error(line_of(data), "an intents file must be a mapping with one key, 'intents'")
        return []
    report.unknown_keys(data, ("intents",), "")
    if "intents" not in data:
        report.error(line_of(data), "missing required key 'intents' (a list of intents)")
        return []
    items = report.sequence(data, "intents", "intents")
    if items is None:
        return []
    if not items:
        report.warn(line_of(data, "intents"), "this file lists no intents")
    languages = config.languages if known else None
    drafts = (_intent(items, i, report, config, languages) for i in range(len(items)))
    return [d for d in drafts if d is not None]


def _intent(
    items: list[Any], index: int, report: Report, config: Config, languages: tuple[str, ...] | None
) -> IntentDraft | None:
    data = report.mapping(items, index, f"intent {index + 1}")
    if data is None:
        return None
    name = _name(data, report, index)
    who = f"intent {name!r}" if name else f"intent {index + 1}"
    report.unknown_keys(data, INTENT_KEYS, who)
    report.required(data, ("examples",) if "action" in data else ("examples", "answer"), who)
    examples = _per_language(data, "examples", report, who, languages, many=True)
    answer = _per_language(data, "answer", report, who, languages, many=False)
    title = _per_language(data, "title", report, who, languages, many=False, all_needed=False)
    fields: dict[str, Any] = {
        "category": _optional_text(data, "category", report, who) or DEFAULT_CATEGORY,
        "quick_replies": _quick_replies(data, report, who),
        "escalate": report.flag(data, "escalate", f"{who}: escalate")
        if "escalate" in data
        else False,
        "priority": _priority(data, report, who),
        "action": _optional_text(data, "action", report, who),
        "thresholds": _thresholds(data, report, who, config),
    }
    if name is None:
        return None
    intent = Intent(
        name=name,
        examples=MappingProxyType({k: tuple(v) for k, (v, _) in examples.items()}),
        answer=MappingProxyType({k: v for k, (v, _) in answer.items()}),
        title=MappingProxyType({k: v for k, (v, _) in title.items()}),
        file=report.file,
        line=line_of(data),
        **{k: v for k, v in fields.items() if v is not None},
    )
    lines = {lang: tuple(found_lines) for lang, (_, found_lines) in examples.items()}
    quick_lines = _item_lines(data, "quick_replies")
    action_line = line_of(data, "action") if "action" in data else 0
    return IntentDraft(
        intent, line_of(data, "name"), MappingProxyType(lines), quick_lines, action_line
    )


def _name(data: Mapping[str, Any], report: Report, index: int) -> str | None:
    if "name" not in data:
        report.error(line_of(data), f"intent {index + 1}: missing required key 'name'")
        return None
    name = report.text(data, "name", f"intent {index + 1}: name")
    if name is not None and not SNAKE_CASE.match(name):
        report.error(
            line_of(data, "name"),
            f"intent name {name!r} must be snake_case (lower-case letters, digits and _), "
            f"e.g. {_snake(name)!r}",
        )
    return name


def _snake(name: str) -> str:
    spaced = _CAMEL.sub(" ", name)  # RefundStatus -> Refund Status
    words = "".join(c.lower() if c.isalnum() else " " for c in spaced).split()
    return "_".join(words) or "my_intent"


def _optional_text(data: Mapping[str, Any], key: str, report: Report, who: str) -> str | None:
    return report.text(data, key, f"{who}: {key}") if key in data else None


def _per_language(
    data: Mapping[str, Any],
    key: str,
    report: Report,
    who: str,
    languages: tuple[str, ...] | None,
    many: bool,
    all_needed: bool = True,
) -> dict[str, tuple[Any, list[int]]]:
    """{language: (text or examples, their lines)} for examples / answer / title."""
    if key not in data:
        return {}
    by_lang = report.mapping(data, key, f"{who}: {key}")
    if by_lang is None:
        return {}
    found: dict[str, tuple[Any, list[int]]] = {}
    for lang in by_lang:
        if languages is not None and lang not in languages:
            hint = did_you_mean(lang, languages)
            report.error(
                key_line(by_lang, lang),
                f"{who}: {key} in {lang!r}, which is not one of languages {list(languages)}{hint}",
            )
            continue
        value = _language_value(by_lang, lang, report, f"{who}: {key} ({lang})", many)
        if value is not None:
            found[lang] = value
    if all_needed:
        line = key_line(data, key)
        _check_coverage(by_lang, key, found, report, who, languages, many, line)
    return found


def _language_value(
    by_lang: Mapping[str, Any], lang: str, report: Report, what: str, many: bool
) -> tuple[Any, list[int]] | None:
    if not many:
        text = report.text(by_lang, lang, what)
        return (text, [line_of(by_lang, lang)]) if text is not None else None
    examples = report.text_list(by_lang, lang, what)
    if examples is None:
        return None
    items = by_lang[lang]
    lines = (
        [line_of(items, i) for i in range(len(items))] if isinstance(items, list | tuple) else []
    )
    kept = [line for i, line in enumerate(lines) if isinstance(items[i], str) and items[i].strip()]
    return examples, kept or [line_of(by_lang, lang)]


def _check_coverage(
    by_lang: Mapping[str, Any],
    key: str,
    found: dict[str, tuple[Any, list[int]]],
    report: Report,
    who: str,
    languages: tuple[str, ...] | None,
    many: bool,
    line: int,
) -> None:
    if (
        many
        and not any(values for values, _ in found.values())
        and not _some_rejected(by_lang, found)
    ):
        report.error(line, f"{who}: has no examples at all")
        return
    for lang in languages or ():
        if lang not in by_lang:
            report.error(line, f"{who}: no {key} in {lang!r} (languages lists it)")
        elif many and lang in found and not found[lang][0]:
            report.error(line_of(by_lang, lang), f"{who}: no examples in {lang!r}")
        elif many and lang in found and len(found[lang][0]) < FEW_EXAMPLES:
            report.warn(
                key_line(by_lang, lang),
                f"{who}: only {len(found[lang][0])} example(s) in "
                f"{lang!r}; give at least {FEW_EXAMPLES} so different wordings match",
            )


def _some_rejected(by_lang: Mapping[str, Any], found: Mapping[str, Any]) -> bool:
    """True when some language's examples were rejected already (no extra 'none at all')."""
    return len(found) < len(by_lang)


def _quick_replies(data: Mapping[str, Any], report: Report, who: str) -> tuple[str, ...] | None:
    if "quick_replies" not in data:
        return None
    return report.text_list(data, "quick_replies", f"{who}: quick_replies")


def _item_lines(data: Mapping[str, Any], key: str) -> tuple[int, ...]:
    items = data.get(key)
    if isinstance(items, list | tuple):
        return tuple(line_of(items, i) for i in range(len(items)))
    return (line_of(data, key),) if key in data else ()


def _priority(data: Mapping[str, Any], report: Report, who: str) -> str | None:
    if "priority" not in data:
        return None
    found = report.text(data, "priority", f"{who}: priority")
    if found is not None and found not in PRIORITIES:
        hint = did_you_mean(found, PRIORITIES)
        report.error(
            line_of(data, "priority"),
            f"{who}: priority {found!r} is not one of {', '.join(PRIORITIES)}{hint}",
        )
        return None
    return found


def _thresholds(data: Mapping[str, Any], report: Report, who: str, config: Config) -> Any:
    if "thresholds" not in data:
        return None
    return read_thresholds(data, "thresholds", report, config.thresholds, f"{who}: ")
