"""Checks that need every intent at once: names, quick replies, shared examples, human_intent."""

from __future__ import annotations

from collections.abc import Iterable

from helpline.errors import Problem
from helpline.rules.configfile import ParsedConfig
from helpline.rules.intentfile import IntentDraft
from helpline.rules.report import did_you_mean
from helpline.text import normalize


def check_across(
    drafts: list[IntentDraft], parsed: ParsedConfig, config_file: str, actions: str | None
) -> list[Problem]:
    """Problems between intents; actions: the text of actions/*.py (None: no such files)."""
    problems: list[Problem] = []
    names = _unique_names(drafts, problems)
    _quick_replies(drafts, names, problems)
    _shared_examples(drafts, problems)
    _human_intent(parsed, names, config_file, problems)
    if actions is not None:
        _actions(drafts, actions, problems)
    return problems


def _where(draft: IntentDraft, line: int) -> str:
    return f"{draft.intent.file}:{line}" if line else draft.intent.file


def _unique_names(drafts: list[IntentDraft], problems: list[Problem]) -> dict[str, IntentDraft]:
    first: dict[str, IntentDraft] = {}
    for draft in drafts:
        name = draft.intent.name
        if name in first:
            seen = _where(first[name], first[name].name_line)
            problems.append(
                Problem(
                    draft.intent.file,
                    draft.name_line,
                    f"intent {name!r} is defined twice (first at {seen})",
                )
            )
        else:
            first[name] = draft
    return first


def _quick_replies(
    drafts: list[IntentDraft], names: dict[str, IntentDraft], problems: list[Problem]
) -> None:
    for draft in drafts:
        intent = draft.intent
        for target, line in zip(intent.quick_replies, draft.quick_reply_lines, strict=False):
            if target == intent.name:
                problems.append(
                    Problem(
                        intent.file,
                        line,
                        f"intent {intent.name!r}: quick reply {target!r} offers the intent itself",
                        "warning",
                    )
                )
            elif target not in names:
                hint = did_you_mean(target, names)
                problems.append(
                    Problem(
                        intent.file,
                        line,
                        f"intent {intent.name!r}: quick reply {target!r} names no intent{hint}",
                    )
                )


def _shared_examples(drafts: list[IntentDraft], problems: list[Problem]) -> None:
    """An example under two intents makes the matcher pick between them at random."""
    owner: dict[str, tuple[IntentDraft, int]] = {}
    for draft in drafts:
        for lang, text, line in _examples(draft):
            key = normalize(text, lang)
            if not key:
                problems.append(
                    Problem(
                        draft.intent.file,
                        line,
                        f"intent {draft.intent.name!r}: "
                        f"example {text!r} has no letters or digits to match",
                    )
                )
                continue
            if key not in owner:
                owner[key] = (draft, line)
                continue
            first, first_line = owner[key]
            problems.append(_duplicate(draft, text, line, first, first_line))


def _duplicate(
    draft: IntentDraft, text: str, line: int, first: IntentDraft, first_line: int
) -> Problem:
    name, other = draft.intent.name, first.intent.name
    if other == name and first is draft:
        return Problem(
            draft.intent.file,
            line,
            f"intent {name!r}: example {text!r} is listed twice (also at line {first_line})",
            "warning",
        )
    return Problem(
        draft.intent.file,
        line,
        f"intent {name!r}: example {text!r} is also an "
        f"example of {other!r} ({_where(first, first_line)}); keep it under one intent",
    )


def _examples(draft: IntentDraft) -> Iterable[tuple[str, str, int]]:
    for lang, texts in draft.intent.examples.items():
        lines = draft.example_lines.get(lang, ())
        for i, text in enumerate(texts):
            yield lang, text, lines[i] if i < len(lines) else draft.intent.line


def _human_intent(
    parsed: ParsedConfig, names: dict[str, IntentDraft], config_file: str, problems: list[Problem]
) -> None:
    wanted = parsed.config.human_intent
    if wanted in names:
        return
    if parsed.human_intent_line:
        hint = did_you_mean(wanted, names)
        problems.append(
            Problem(
                config_file,
                parsed.human_intent_line,
                f"human_intent {wanted!r} names no intent{hint}",
            )
        )
    elif names:
        problems.append(
            Problem(
                config_file,
                0,
                f"no intent {wanted!r} and no human_intent set: "
                "customers cannot ask for a person by name",
                "warning",
            )
        )


def _actions(drafts: list[IntentDraft], actions: str, problems: list[Problem]) -> None:
    for draft in drafts:
        action = draft.intent.action
        if action and f'"{action}"' not in actions and f"'{action}'" not in actions:
            problems.append(
                Problem(
                    draft.intent.file,
                    draft.action_line,
                    f"intent {draft.intent.name!r}: action {action!r} is not named in "
                    "actions/*.py (fine if a remote action server runs it)",
                    "warning",
                )
            )
