"""`helpline check [DIR]`: every problem in a rules directory as `file:line: message`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from helpline.errors import Problem, RulesError
from helpline.evaluation.confusion import confusable_examples
from helpline.rules import Rulebook, load_rulebook

# Extra advice computed from a loaded Rulebook (e.g. intents the matcher confuses). Each
# provider returns warnings (Problem with severity="warning"); append yours here.
WarningProvider = Callable[[Rulebook], Iterable[Problem]]
WARNING_PROVIDERS: list[WarningProvider] = [confusable_examples]


@dataclass(frozen=True)
class CheckResult:
    problems: tuple[Problem, ...]
    summary: str
    exit_code: int


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("check", help="check a rules directory and list every problem")
    parser.add_argument("directory", nargs="?", default="bot_rules", help="default: bot_rules")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = check_directory(args.directory)
    for problem in result.problems:
        print(problem)
    print(result.summary)
    return result.exit_code


def check_directory(
    directory: str | Path, providers: Sequence[WarningProvider] | None = None
) -> CheckResult:
    """Load the rules, ask each warning provider, and summarise in one line."""
    shown = _shown(str(directory))
    try:
        rulebook = load_rulebook(directory)
    except RulesError as exc:
        problems = tuple(_relative(p) for p in exc.problems)
        return CheckResult(problems, f"{shown}: {_failed(problems)}", 1)
    found = list(rulebook.warnings)
    for provider in WARNING_PROVIDERS if providers is None else providers:
        found += provider(rulebook)
    problems = tuple(_relative(p) for p in sorted(found, key=lambda p: (p.file, p.line)))
    return CheckResult(problems, f"{shown}: {_counts(rulebook, len(problems))}", 0)


def _counts(rulebook: Rulebook, warnings: int) -> str:
    examples = sum(len(e) for i in rulebook.intents for e in i.examples.values())
    languages = len(rulebook.config.languages)
    text = (
        f"{_plural(len(rulebook.intents), 'intent')}, {_plural(examples, 'example')}, "
        f"{_plural(languages, 'language')}"
    )
    if rulebook.tests:
        text += f", {_plural(len(rulebook.tests), 'test')}"
    return f"{text}: OK" + (f" ({_plural(warnings, 'warning')})" if warnings else "")


def _failed(problems: tuple[Problem, ...]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    text = _plural(errors, "error")
    if len(problems) > errors:
        text += f", {_plural(len(problems) - errors, 'warning')}"
    return f"{text}: FAILED"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _relative(problem: Problem) -> Problem:
    return replace(problem, file=_shown(problem.file))


def _shown(path: str) -> str:
    """The path relative to the current directory when it lies below it."""
    if not path or not Path(path).is_absolute():
        return path
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
