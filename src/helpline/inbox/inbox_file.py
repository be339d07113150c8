"""The file `helpline inbox export` writes and `import` reads: clusters an author decides
on in their editor (an intent to add them to, or dismiss)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from helpline.errors import InboxError

HEADER = """\
# Helpline's unanswered inbox: {clusters} cluster(s) of {messages} message(s) the bot fell
# back on, asked "did you mean" about, or was told did not help.
#
# For each cluster, write the intent its messages ask for after `intent:` (they become
# its examples), or set `dismiss: true` to set the cluster aside for good. Leave both as
# they are to decide later. Delete a message's line to leave that wording out. Then:
#   helpline inbox import {name}
"""


@dataclass(frozen=True)
class Choice:
    """What the author decided for one cluster of the file."""

    cluster: str
    line: int  # of the cluster's entry, for messages
    intent: str | None  # add to this intent
    dismiss: bool
    messages: tuple[str, ...]


def render(views: Sequence[Mapping[str, Any]], name: str) -> str:
    """The file for these clusters (cluster_view dicts with every message)."""
    entries = CommentedSeq()
    for view in views:
        entry = CommentedMap()
        entry["cluster"] = view["id"]
        entry["size"] = view["size"]
        entry["language"] = view["language"]
        nearest = view.get("nearest")
        entry["nearest"] = f"{nearest['intent']} ({nearest['score']})" if nearest else None
        entry["intent"] = None
        entry["dismiss"] = False
        entry["messages"] = list(view["messages"])
        entries.append(entry)
    out = io.StringIO()
    _yaml().dump(CommentedMap(clusters=entries), out)
    total = sum(int(v["size"]) for v in views)
    return HEADER.format(clusters=len(views), messages=total, name=name) + out.getvalue()


def parse(text: str, name: str) -> list[Choice]:
    """The clusters the author decided on (an intent or dismiss), in the file's order;
    InboxError naming `name:line` for the first thing wrong, before anything is applied."""
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise InboxError("bad_request", f"{name}: not readable YAML: {exc}") from exc
    entries = data.get("clusters") if isinstance(data, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        raise InboxError("bad_request", f"{name}: expected a mapping with a 'clusters' list")
    choices = [_choice(entry, name, _line(entries, i)) for i, entry in enumerate(entries)]
    return [c for c in choices if c.intent or c.dismiss]


def _choice(entry: Any, name: str, line: int) -> Choice:
    where = f"{name}:{line}"
    if not isinstance(entry, CommentedMap) or not isinstance(entry.get("cluster"), str):
        raise InboxError("bad_request", f"{where}: each entry needs its 'cluster' id")
    intent, dismiss = entry.get("intent"), entry.get("dismiss", False)
    if intent is not None and (not isinstance(intent, str) or not intent.strip()):
        raise InboxError("bad_request", f"{where}: 'intent' must be an intent's name")
    if not isinstance(dismiss, bool):
        raise InboxError("bad_request", f"{where}: 'dismiss' must be true or false")
    if intent and dismiss:
        raise InboxError("bad_request", f"{where}: give an intent or dismiss, not both")
    messages = entry.get("messages")
    if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
        raise InboxError("bad_request", f"{where}: 'messages' must be a list of texts")
    if intent and not messages:
        raise InboxError("bad_request", f"{where}: no messages left to add to {intent!r}")
    return Choice(
        entry["cluster"], line, intent.strip() if intent else None, dismiss, tuple(messages)
    )


def _line(entries: CommentedSeq, index: int) -> int:
    return int(entries.lc.item(index)[0]) + 1  # ruamel counts lines from 0


def _yaml() -> YAML:
    yaml = YAML()  # round-trip: None is written as nothing after `intent:`
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
