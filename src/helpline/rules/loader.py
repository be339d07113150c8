"""Reading a bot_rules/ directory (or data in memory) into a Rulebook, or every problem in it."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from helpline.errors import Problem, RulesError
from helpline.rules.configfile import ParsedConfig, read_config
from helpline.rules.crosscheck import check_across
from helpline.rules.intentfile import IntentDraft, read_intents_file
from helpline.rules.model import ConversationTest, Intent, Rulebook
from helpline.rules.reader import read_yaml
from helpline.rules.report import Report
from helpline.rules.rulebook_cache import RulebookCache, rules_key
from helpline.rules.testfile import read_tests_file

log = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")


def load_rulebook(directory: str | Path, cache: RulebookCache | None = None) -> Rulebook:
    """Load and check config.yaml, intents/, tests/ and actions/; RulesError lists every error.
    With a cache, rules read and checked before from the same files are read back instead."""
    root = Path(directory)
    if not root.is_dir():
        raise RulesError([Problem(str(root), 0, "no such directory of rules")])
    problems: list[Problem] = []
    config_file = str(root / "config.yaml")
    if (root / "config.yaml").is_file():
        data, found = read_yaml(root / "config.yaml", config_file)
        problems += found
    else:
        data = None
        problems.append(Problem(config_file, 0, "config.yaml is missing; every bot needs one"))
    parsed = read_config(data, Report(config_file, problems))
    if cache is None:
        return _checked(root, parsed, problems)
    config_problems = list(problems)
    key = rules_key(root, config_problems)
    kept = cache.get(key)
    if kept is not None:
        every = config_problems + kept.problems
        rulebook = _finish(
            every, parsed.config, kept.intents, kept.tests, str(root), kept.action_files
        )
        log.debug("read back %d checked intents of %s", len(rulebook.intents), root)
        return rulebook
    rulebook = _checked(root, parsed, problems)
    # kept only when no file changed while it was read: what was read is what the key names
    if rules_key(root, config_problems) == key:
        rest = problems[len(config_problems) :]
        cache.put(key, rulebook.intents, rulebook.tests, rest, rulebook.action_files)
    return rulebook


def _checked(root: Path, parsed: ParsedConfig, problems: list[Problem]) -> Rulebook:
    """The rest of the rules read and checked, against config.yaml's parsed value; what is
    found wrong is added to problems."""
    config_file = str(root / "config.yaml")
    drafts, intents_readable = _read_intents(root, parsed.config, parsed.languages_known, problems)
    names = {d.intent.name for d in drafts} if intents_readable else None
    tests = _read_tests(root, names, problems)
    actions = _action_files(root)
    action_text = "\n".join(_read_text(p) for p in actions) if actions else None
    problems += check_across(drafts, parsed, config_file, action_text)
    files = tuple(str(p) for p in actions)
    intents = tuple(d.intent for d in drafts)
    rulebook = _finish(problems, parsed.config, intents, tuple(tests), str(root), files)
    log.debug("loaded %d intents from %s", len(rulebook.intents), root)
    return rulebook


def rulebook_from_data(
    config: Mapping[str, Any], intents: list[Mapping[str, Any]], tests: list[Any] | None = None
) -> Rulebook:
    """Build a Rulebook from plain data with the same checks as load_rulebook (no lines)."""
    problems: list[Problem] = []
    parsed = read_config(config, Report("config", problems))
    report = Report("intents", problems)
    drafts = read_intents_file({"intents": intents}, report, parsed.config, parsed.languages_known)
    if not intents:
        problems.append(Problem("intents", 0, "no intents given"))
    names = {d.intent.name for d in drafts}
    cases = read_tests_file({"tests": tests}, Report("tests", problems), names) if tests else []
    problems += check_across(drafts, parsed, "config", None)
    return _finish(problems, parsed.config, tuple(d.intent for d in drafts), tuple(cases), "")


def rule_files(root: Path, folder: str, suffixes: Iterable[str]) -> list[Path]:
    """Files in root/folder with one of the suffixes, sorted; editor droppings left out."""
    where = root / folder
    if not where.is_dir():
        return []
    ends = tuple(suffixes)
    return sorted(p for p in where.iterdir() if p.is_file() and _is_rule_file(p.name, ends))


def _is_rule_file(name: str, suffixes: tuple[str, ...]) -> bool:
    return not _is_hidden(name) and name.endswith(suffixes)


def _is_hidden(name: str) -> bool:
    """Dot files, editor swap files and backups (`.x.swp`, `#x#`, `x~`)."""
    return name.startswith((".", "#")) or name.endswith("~")


def _read_intents(
    root: Path, config: Any, known: bool, problems: list[Problem]
) -> tuple[list[IntentDraft], bool]:
    """Every intent in intents/; the flag says whether every file could be read at all."""
    files = rule_files(root, "intents", YAML_SUFFIXES)
    if not files:
        problems.append(Problem(str(root / "intents"), 0, "no intents: add intents/*.yaml files"))
        return [], False
    drafts: list[IntentDraft] = []
    readable = True
    for path in files:
        data, found = read_yaml(path, str(path))
        problems += found
        readable = readable and data is not None
        drafts += read_intents_file(data, Report(str(path), problems), config, known)
    _warn_strays(root, "intents", YAML_SUFFIXES, problems)
    return drafts, readable


def _read_tests(
    root: Path, names: set[str] | None, problems: list[Problem]
) -> list[ConversationTest]:
    tests: list[ConversationTest] = []
    for path in rule_files(root, "tests", YAML_SUFFIXES):
        data, found = read_yaml(path, str(path))
        problems += found
        tests += read_tests_file(data, Report(str(path), problems), names)
    _warn_strays(root, "tests", YAML_SUFFIXES, problems)
    return tests


def _warn_strays(
    root: Path, folder: str, suffixes: tuple[str, ...], problems: list[Problem]
) -> None:
    """A misnamed file (intents/billing.yml~ or billing.yaml.txt) would silently drop intents."""
    where = root / folder
    if not where.is_dir():
        return
    for path in sorted(where.iterdir()):
        if path.is_file() and not _is_hidden(path.name) and not path.name.endswith(suffixes):
            problems.append(Problem(str(path), 0, f"ignored: not a {suffixes[0]} file", "warning"))


def _action_files(root: Path) -> list[Path]:
    return rule_files(root, "actions", (".py",))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _finish(
    problems: list[Problem],
    config: Any,
    intents: tuple[Intent, ...],
    tests: tuple[ConversationTest, ...],
    source: str,
    action_files: tuple[str, ...] = (),
) -> Rulebook:
    """The Rulebook when nothing is wrong; otherwise RulesError with every problem, in order."""
    ordered = sorted(problems, key=lambda p: (p.file, p.line))
    if any(p.severity == "error" for p in ordered):
        raise RulesError(ordered)
    warnings = tuple(ordered)
    return Rulebook(config, intents, tests, source, warnings=warnings, action_files=action_files)
