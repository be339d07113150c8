"""tests/*.yaml: scripted conversations, checked against the intents they name."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any

from helpline.rules.model import DECISIONS, ConversationTest
from helpline.rules.reader import line_of
from helpline.rules.report import Report, did_you_mean

TEST_KEYS = ("name", "steps")
ACTIONS = ("user", "button", "feedback")  # what the customer does in a step: exactly one
STEP_KEYS = (*ACTIONS, "intent", "decision")
FEEDBACK = {"up": True, "down": False, "helpful": True, "unhelpful": False, "👍": True, "👎": False}


def read_tests_file(
    data: Any, report: Report, intents: Collection[str] | None
) -> list[ConversationTest]:
    """The tests in one file's value (`tests: [...]`); intents None: do not check names."""
    if not isinstance(data, Mapping):
        if data is not None:
            report.error(line_of(data), "a tests file must be a mapping with one key, 'tests'")
        return []
    report.unknown_keys(data, ("tests",), "")
    if "tests" not in data:
        report.error(line_of(data), "missing required key 'tests' (a list of conversations)")
        return []
    items = report.sequence(data, "tests", "tests")
    if items is None:
        return []
    tests = (_test(items, i, report, intents) for i in range(len(items)))
    return [t for t in tests if t is not None]


def _test(
    items: list[Any], index: int, report: Report, intents: Collection[str] | None
) -> ConversationTest | None:
    data = report.mapping(items, index, f"test {index + 1}")
    if data is None:
        return None
    name = report.text(data, "name", f"test {index + 1}: name") if "name" in data else None
    who = f"test {name!r}" if name else f"test {index + 1}"
    report.unknown_keys(data, TEST_KEYS, who)
    report.required(data, TEST_KEYS, who)
    steps = report.sequence(data, "steps", f"{who}: steps") if "steps" in data else None
    if steps is not None and not steps:
        report.error(line_of(data, "steps"), f"{who}: steps is empty; add at least one")
    checked = [_step(steps, i, report, who, intents) for i in range(len(steps))] if steps else []
    if name is None or steps is None:
        return None
    kept = tuple(s for s in checked if s is not None)
    return ConversationTest(name, kept, report.file, line_of(data))


def _step(
    steps: list[Any], index: int, report: Report, who: str, intents: Collection[str] | None
) -> Mapping[str, object] | None:
    what = f"{who}: step {index + 1}"
    data = report.mapping(steps, index, what)
    if data is None:
        return None
    report.unknown_keys(data, STEP_KEYS, what)
    done = [key for key in ACTIONS if key in data]
    if len(done) != 1:
        found = f"has {' and '.join(done)}" if done else "has none"
        report.error(line_of(data), f"{what}: needs exactly one of user, button, feedback; {found}")
    step: dict[str, object] = {"line": line_of(data)}
    if "user" in data:
        step["user"] = report.text(data, "user", f"{what}: user")
    if "button" in data:
        names = intents if intents is not None else [str(data["button"])]
        step["button"] = _named(data, "button", names, report, what, "button (intent)")
    if "feedback" in data:
        step["feedback"] = _feedback(data, report, what)
    if "intent" in data:
        step["intent"] = _expected_intent(data, report, what, intents)
    if "decision" in data:
        step["decision"] = _named(data, "decision", DECISIONS, report, what, "decision")
    if any(v is None for k, v in step.items() if k != "intent"):
        return None
    return MappingProxyType(step)


def _feedback(data: Mapping[str, Any], report: Report, what: str) -> bool | None:
    value = data["feedback"]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in FEEDBACK:
        return FEEDBACK[value.lower()]
    report.error(line_of(data, "feedback"), f"{what}: feedback must be up or down, not {value!r}")
    return None


def _expected_intent(
    data: Mapping[str, Any], report: Report, what: str, intents: Collection[str] | None
) -> str | None:
    if data["intent"] is None:  # `intent: null`: the bot must not match any intent
        return None
    if intents is None:
        return report.text(data, "intent", f"{what}: intent")
    return _named(data, "intent", intents, report, what, "intent")


def _named(
    data: Mapping[str, Any],
    key: str,
    choices: Collection[str],
    report: Report,
    what: str,
    noun: str,
) -> str | None:
    found = report.text(data, key, f"{what}: {key}")
    if found is None:
        return None
    if found not in choices:
        hint = did_you_mean(found, choices)
        listing = f" (one of {', '.join(choices)})" if len(choices) <= 10 else ""
        report.error(line_of(data, key), f"{what}: {noun} {found!r} is unknown{hint or listing}")
        return None
    return found
