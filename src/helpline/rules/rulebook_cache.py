"""Checked rules kept on disk between starts, keyed by the bytes of every file they came from.

Reading and checking 50,000 examples' YAML took 0.8 s of a 3.2 s restart (the YAML itself,
each intent's checks, and every example normalised to find one listed twice); read back
from here, a few hundredths. The file is rules-<key>.json in the matcher's cache folder
(serve passes it), holding the intents, the conversation tests and every problem found
outside config.yaml. config.yaml is read and checked at every load all the same: it is
small, and what it gives depends on the machine as well as on its text (an encoder that is
not installed turns into "none" with a warning).

The key is a hash of the code that reads rules (this package, text.py, errors.py), helpline's
and PyYAML's versions, the directory as named (intents and problems carry their file's path),
config.yaml's problems found now, and the name and bytes of every file the loader reads or
warns about. So an edit, a renamed or new file, or new code misses, and the loader checks
everything again as on a first start. Only rules without errors are kept. A file that is not
what it should be (cut short, changed, written by other code) is logged and ignored, and
the next load writes it again; a folder that cannot be written costs nothing but the time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from helpline import __version__
from helpline.cache_files import forget_old, write_atomically
from helpline.errors import Problem
from helpline.rules.model import ConversationTest, Intent, Thresholds

log = logging.getLogger(__name__)

FORMAT = 1  # the layout of the file: change it whenever what is written here changes
KEEP = 8  # files kept, the most recently used first: the rules served now and a few edits
SOURCE = Path(__file__).resolve().parent
CODE = (SOURCE.parent / "text.py", SOURCE.parent / "errors.py")
FOLDERS = ("intents", "tests", "actions")


class BadRulesFile(ValueError):
    """The kept file is not one this code wrote for this key."""


@functools.cache
def code_version() -> str:
    """A hash of the code that reads and checks rules, and of the YAML library under it."""
    import yaml

    digest = hashlib.sha256(f"{__version__}:{yaml.__version__}".encode())
    for path in sorted([*SOURCE.glob("*.py"), *CODE]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def rules_key(root: Path, config_problems: Iterable[Problem]) -> str:
    """What names the rules in `root` as they are on disk now."""
    digest = hashlib.sha256(json.dumps([FORMAT, code_version(), str(root)]).encode())
    for problem in config_problems:
        digest.update(
            f"\0{problem.file}:{problem.line}:{problem.severity}:{problem.message}".encode()
        )
    for path in _files(root):
        try:
            data = path.read_bytes()
        except OSError as exc:  # unreadable now: the loader reports it, and nothing is kept
            data = f"\0unreadable: {exc}".encode()
        digest.update(f"\0{path.relative_to(root)}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()[:32]


def _files(root: Path) -> list[Path]:
    """config.yaml and every file in the folders the loader reads (editor droppings aside:
    the loader skips them, and they change at every keystroke)."""
    found = [root / "config.yaml"]
    for folder in FOLDERS:
        with contextlib.suppress(OSError):
            found += sorted(
                p for p in (root / folder).iterdir()
                if p.is_file() and not p.name.startswith((".", "#")) and not p.name.endswith("~")
            )  # fmt: skip
    return found


@dataclass(frozen=True)
class KeptRules:
    """What the loader found besides config.yaml's value and problems."""

    intents: tuple[Intent, ...]
    tests: tuple[ConversationTest, ...]
    problems: list[Problem]  # in the order the loader found them, after config.yaml's
    action_files: tuple[str, ...]


class RulebookCache:
    """Kept rules in `directory`; `read` and `written` count what the calls did."""

    def __init__(self, directory: Path, keep: int = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self.read = 0
        self.written = 0
        self._warned = False

    def get(self, key: str) -> KeptRules | None:
        """What was kept under key, or None."""
        path = self.directory / f"rules-{key}.json"
        try:
            text = path.read_bytes()
        except OSError:
            return None
        try:
            found = _decoded(text, key)
        except (BadRulesFile, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("kept rules %s unusable (%s); reading the rules again", path, exc)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when older files are deleted
        self.read += 1
        return found

    def put(
        self,
        key: str,
        intents: Iterable[Intent],
        tests: Iterable[ConversationTest],
        problems: Iterable[Problem],
        action_files: Iterable[str],
    ) -> None:
        try:
            body = json.dumps(
                {
                    "intents": [_intent_data(i) for i in intents],
                    "tests": [_test_data(t) for t in tests],
                    "problems": [[p.file, p.line, p.message, p.severity] for p in problems],
                    "action_files": list(action_files),
                },
                ensure_ascii=False,
            ).encode()
        # nothing the loader makes fails here; if it ever did, the load must not
        except (TypeError, ValueError) as exc:
            log.info("checked rules not kept: %s", exc)
            return
        header = json.dumps(
            {"format": FORMAT, "key": key, "sha256": hashlib.sha256(body).hexdigest()}
        ).encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            data = header + b"\n" + body
            write_atomically(self.directory / f"rules-{key}.json", lambda out: out.write(data))
        except OSError as exc:
            if not self._warned:  # an unwritable folder fails at every load: said once
                self._warned = True
                log.warning("checked rules not kept on disk in %s (%s)", self.directory, exc)
            return
        self.written += 1
        forget_old(self.directory, "rules-", ".json", self.keep)


def _decoded(text: bytes, key: str) -> KeptRules:
    head, _, body = text.partition(b"\n")
    header = json.loads(head)
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("key") != key:
        raise BadRulesFile("written by other code or for other rules")
    if header.get("sha256") != hashlib.sha256(body).hexdigest():
        raise BadRulesFile("its contents changed since it was written")
    data = json.loads(body)
    intents = tuple(_intent(found) for found in data["intents"])
    tests = tuple(_test(found) for found in data["tests"])
    problems = [
        Problem(_text(f), _number(n), _text(m), _text(s)) for f, n, m, s in data["problems"]
    ]
    actions = tuple(_text(name) for name in data["action_files"])
    return KeptRules(intents, tests, problems, actions)


def _intent_data(intent: Intent) -> dict[str, Any]:
    thresholds = intent.thresholds
    return {
        "name": intent.name,
        "category": intent.category,
        "examples": {lang: list(texts) for lang, texts in intent.examples.items()},
        "answer": dict(intent.answer),
        "title": dict(intent.title),
        "quick_replies": list(intent.quick_replies),
        "escalate": intent.escalate,
        "priority": intent.priority,
        "action": intent.action,
        "thresholds": None if thresholds is None else thresholds.__dict__,
        "file": intent.file,
        "line": intent.line,
    }


def _intent(data: Mapping[str, Any]) -> Intent:
    thresholds = data["thresholds"]
    return Intent(
        name=_text(data["name"]),
        category=_text(data["category"]),
        examples=MappingProxyType(
            {_text(lang): tuple(map(_text, texts)) for lang, texts in data["examples"].items()}
        ),
        answer=_texts(data["answer"]),
        title=_texts(data["title"]),
        quick_replies=tuple(map(_text, data["quick_replies"])),
        escalate=_flag(data["escalate"]),
        priority=_text(data["priority"]),
        action=None if data["action"] is None else _text(data["action"]),
        thresholds=None if thresholds is None else Thresholds(**thresholds),
        file=_text(data["file"]),
        line=_number(data["line"]),
    )


def _test_data(test: ConversationTest) -> dict[str, Any]:
    return {"name": test.name, "steps": [dict(s) for s in test.steps], "file": test.file,
            "line": test.line}  # fmt: skip


def _test(data: Mapping[str, Any]) -> ConversationTest:
    steps = tuple(MappingProxyType(_mapping(step)) for step in data["steps"])
    return ConversationTest(_text(data["name"]), steps, _text(data["file"]), _number(data["line"]))


def _texts(data: Mapping[str, Any]) -> Mapping[str, str]:
    return MappingProxyType({_text(k): _text(v) for k, v in data.items()})


def _text(found: object) -> str:
    if type(found) is not str:
        raise BadRulesFile(f"{found!r} is not text")
    return found


def _number(found: object) -> int:
    if type(found) is not int:
        raise BadRulesFile(f"{found!r} is not a whole number")
    return found


def _flag(found: object) -> bool:
    if type(found) is not bool:
        raise BadRulesFile(f"{found!r} is not true or false")
    return found


def _mapping(found: object) -> dict[str, object]:
    if type(found) is not dict:
        raise BadRulesFile(f"{found!r} is not a mapping")
    return found
