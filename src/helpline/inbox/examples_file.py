"""Writing examples into an intent's YAML file, or a new intent at the end of a file:
comments, order and layout kept, and every write checked by the rules loader before it
reaches bot_rules/."""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from helpline.errors import InboxError, RulesError
from helpline.inbox.new_intent import NewIntent
from helpline.rules.loader import load_rulebook
from helpline.rules.model import Intent, Rulebook
from helpline.text import normalize

# (mapping, sequence, offset) indents tried in turn: the first that writes the file back
# unchanged is the file's own. bot_rules/ uses the first; the others are ruamel's and
# PyYAML's defaults and a 4-space layout.
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4))
_WIDTH = 4096  # never fold a long line the author wrote on one


@dataclass(frozen=True)
class Written:
    """What a checked write did: the examples it added, the file, and the rules as they
    now are on disk (to reload with)."""

    added: tuple[str, ...]
    file: str
    rulebook: Rulebook


def add_examples(rules_dir: Path, intent_name: str, language: str, texts: Sequence[str]) -> Written:
    """Add texts as `language` examples of the intent, in the file it is defined in.

    Texts the intent already has (by normal form) are left out; when none is left nothing
    is written. InboxError when the intent is unknown, the rules are broken now, the
    loader rejects the result (the file is left as it was), or the file changed meanwhile."""
    current = _load(rules_dir, "the rules have errors now; fix them before adding examples")
    intent = current.by_name.get(intent_name)
    if intent is None:
        raise InboxError("not_found", f"no intent {intent_name!r} in {rules_dir}")
    new = _new_texts(intent, texts)
    path = Path(intent.file)
    if not new:
        return Written((), str(path), current)
    before = path.read_text(encoding="utf-8")
    after = _with_examples(before, path, intent_name, language, new)
    _check(rules_dir, path, after)
    _replace(path, before, after)
    return Written(tuple(new), str(path), _load(rules_dir, "the rules changed meanwhile"))


def add_intent(rules_dir: Path, file_name: str, new: NewIntent) -> Written:
    """Append the intent to the intents file named file_name (one that holds intents now).

    InboxError when there is no such file, the rules are broken now, the loader rejects
    the result (a name taken, a language without an answer...: the file is left as it
    was), or the file changed meanwhile."""
    current = _load(rules_dir, "the rules have errors now; fix them before adding an intent")
    path = _intents_file(current, file_name)
    before = path.read_text(encoding="utf-8")
    after = _with_intent(before, path, new)
    _check(rules_dir, path, after)
    _replace(path, before, after)
    written = tuple(t for texts in new.examples.values() for t in texts)
    return Written(written, str(path), _load(rules_dir, "the rules changed meanwhile"))


def _intents_file(rulebook: Rulebook, file_name: str) -> Path:
    """The file of that name some intent is defined in: no other path can be named."""
    for intent in rulebook.intents:
        if intent.file and Path(intent.file).name == file_name:
            return Path(intent.file)
    raise InboxError("not_found", f"no intents file {file_name!r} in the rules")


def _with_intent(text: str, path: Path, new: NewIntent) -> str:
    yaml = _yaml_for(text, path)
    data = yaml.load(text)
    intents = data.get("intents") if isinstance(data, CommentedMap) else None
    if not isinstance(intents, CommentedSeq):
        raise InboxError("rules_refused", f"{path}: no list of intents to add to")
    spaced = len(intents) > 1 and _blank_line_between(text)
    intents.append(_entry(new, _flow_examples(intents)))
    out = io.StringIO()
    yaml.dump(data, out)
    written = out.getvalue()
    if not spaced:
        return written
    # ruamel keeps the blank lines between the old entries; the new one gets one too
    head, sep, tail = written.rpartition(f"- name: {new.name}\n")
    start = head.rfind("\n") + 1
    return f"{head[:start]}\n{head[start:]}{sep}{tail}"


def _blank_line_between(text: str) -> bool:
    """Whether the file's intents are set apart by blank lines, as bot_rules/' are."""
    return "\n\n" in text.split("intents:", 1)[-1].strip("\n")


def _entry(new: NewIntent, flow_examples: bool) -> CommentedMap:
    """The entry as bot_rules/ writes one: a flow title, quoted texts, and example lists in
    the style the file's intents have."""
    quoted = DoubleQuotedScalarString
    entry = CommentedMap(name=new.name, category=new.category)
    if new.title:
        entry["title"] = _flow(CommentedMap((k, quoted(v)) for k, v in new.title.items()))
    entry["examples"] = CommentedMap()
    for language, texts in new.examples.items():
        listed = CommentedSeq(quoted(t) for t in texts)
        entry["examples"][language] = _flow(listed) if flow_examples else listed
    entry["answer"] = CommentedMap((k, quoted(v)) for k, v in new.answer.items())
    return entry


def _flow_examples(intents: CommentedSeq) -> bool:
    """Whether the file's first intent with example lists writes them on one line."""
    for item in intents:
        examples = item.get("examples") if isinstance(item, CommentedMap) else None
        for listed in examples.values() if isinstance(examples, CommentedMap) else ():
            if isinstance(listed, CommentedSeq):
                return bool(listed.fa.flow_style())
    return True


def _flow(node: Any) -> Any:
    node.fa.set_flow_style()
    return node


def _new_texts(intent: Intent, texts: Sequence[str]) -> list[str]:
    known = {normalize(t) for examples in intent.examples.values() for t in examples}
    new: dict[str, str] = {}
    for text in texts:
        form = normalize(text)
        if form and form not in known:
            new.setdefault(form, " ".join(text.split()))
    return list(new.values())


def _with_examples(text: str, path: Path, intent: str, language: str, new: list[str]) -> str:
    yaml = _yaml_for(text, path)
    data = yaml.load(text)
    target = _intent_map(data, intent, path)
    examples = target.get("examples")
    if not isinstance(examples, CommentedMap):
        raise InboxError("rules_refused", f"{path}: intent {intent!r} has no examples mapping")
    listed = examples.get(language)
    if listed is None:
        listed = examples[language] = _like_siblings(examples)
    if not isinstance(listed, CommentedSeq):
        raise InboxError(
            "rules_refused", f"{path}: {intent!r} examples in {language!r} are no list"
        )
    quote = _quoting(listed) or _quoting_of_any(examples)
    listed.extend(quote(t) if quote else t for t in new)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _yaml_for(text: str, path: Path) -> YAML:
    """A round-trip YAML set to the file's own indents (the first that rewrites it as it is)."""
    for mapping, sequence, offset in _LAYOUTS:
        yaml = _yaml(mapping, sequence, offset)
        try:
            data = yaml.load(text)
        except YAMLError as exc:
            raise InboxError("rules_refused", f"{path}: not readable YAML: {exc}") from exc
        out = io.StringIO()
        yaml.dump(data, out)
        if out.getvalue() == text:
            return yaml
    return _yaml(*_LAYOUTS[0])  # comments and order are kept even so; only spacing may move


def _yaml(mapping: int, sequence: int, offset: int) -> YAML:
    yaml = YAML()  # round-trip: comments, key order, flow or block style, quotes kept
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def _intent_map(data: Any, intent: str, path: Path) -> CommentedMap:
    intents = data.get("intents") if isinstance(data, CommentedMap) else None
    for item in intents if isinstance(intents, CommentedSeq) else ():
        if isinstance(item, CommentedMap) and item.get("name") == intent:
            return item
    raise InboxError("not_found", f"{path}: no intent {intent!r} in this file")


def _like_siblings(examples: CommentedMap) -> CommentedSeq:
    """An empty list for a new language, flow-style when the other languages' lists are."""
    made = CommentedSeq()
    siblings = [v for v in examples.values() if isinstance(v, CommentedSeq)]
    if siblings and siblings[0].fa.flow_style():
        made.fa.set_flow_style()
    return made


def _quoting(listed: CommentedSeq) -> type[str] | None:
    """The quotes the list's first example has, so new ones look like the old."""
    for item in listed:
        if isinstance(item, DoubleQuotedScalarString | SingleQuotedScalarString):
            return type(item)
        return None
    return None


def _quoting_of_any(examples: CommentedMap) -> type[str] | None:
    for listed in examples.values():
        if isinstance(listed, CommentedSeq) and listed:
            return _quoting(listed)
    return None


def _check(rules_dir: Path, path: Path, text: str) -> None:
    """Load a copy of the rules with the file rewritten; RulesError becomes a refusal that
    names the real files."""
    with tempfile.TemporaryDirectory(prefix="helpline-rules-") as scratch:
        copy = Path(scratch) / "rules"
        shutil.copytree(rules_dir, copy)
        (copy / path.relative_to(rules_dir)).write_text(text, encoding="utf-8")
        try:
            load_rulebook(copy)
        except RulesError as exc:
            found = str(exc).replace(str(copy), str(rules_dir))
            raise InboxError("rules_refused", f"the rules would not load:\n{found}") from exc


def _replace(path: Path, before: str, after: str) -> None:
    """Swap the file in whole (a reader never sees half of it), unless someone else
    changed it since it was read."""
    if path.read_text(encoding="utf-8") != before:
        raise InboxError("conflict", f"{path} changed while the examples were added; try again")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(after)
        shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _load(rules_dir: Path, why: str) -> Rulebook:
    try:
        return load_rulebook(rules_dir)
    except RulesError as exc:
        raise InboxError("rules_refused", f"{why}:\n{exc}") from exc
