"""Safe YAML reading that keeps the line of every key and value, for `file:line` errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from helpline.errors import Problem

MAX_FILE_BYTES = 1024 * 1024  # rule files are hand-written; anything bigger is a mistake

# The C composer is several times faster on big intent files; fall back when libyaml is absent.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_COLLECTIONS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class Map(dict[str, Any]):
    """A YAML mapping as a plain dict that also knows where it and its entries are."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}
        self.value_lines: dict[str, int] = {}
        self.raw: dict[str, str] = {}  # source text of values YAML turned into non-text


class Seq(list[Any]):
    """A YAML sequence as a plain list that also knows where it and its items are."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []
        self.raw: dict[int, str] = {}


def line_of(container: object, key: str | int | None = None) -> int:
    """Line of a value inside a Map/Seq (or of the container itself); 0 for plain data."""
    if isinstance(container, Map) and isinstance(key, str):
        return container.value_lines.get(key, container.line)
    if isinstance(container, Seq) and isinstance(key, int) and key < len(container.item_lines):
        return container.item_lines[key]
    return int(getattr(container, "line", 0))


def key_line(container: object, key: str) -> int:
    if isinstance(container, Map):
        return container.key_lines.get(key, container.line)
    return 0


def raw_text(container: object, key: str | int) -> str | None:
    """How the author wrote a value YAML read as a number, boolean or null."""
    raw = getattr(container, "raw", None)
    return raw.get(key) if isinstance(raw, dict) else None


def read_yaml(path: Path, shown: str, limit: int = MAX_FILE_BYTES) -> tuple[Any, list[Problem]]:
    """Read one file; (value, problems). value is None when the file is unusable or empty."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return None, [Problem(shown, 0, f"cannot read the file: {exc.strerror or exc}")]
    if len(data) > limit:
        size = path.stat().st_size / (1024 * 1024)
        limit_mib = limit / (1024 * 1024)
        message = (
            f"file is {size:.1f} MiB; the limit is {limit_mib:g} MiB (split it into smaller files)"
        )
        return None, [Problem(shown, 0, message)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, "not valid UTF-8 text; save the file as UTF-8")]
    return parse_yaml(text, shown)


def parse_yaml(text: str, shown: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document with the safe loader; (value, problems)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(shown, 0, "file is empty")]
        return _Builder(loader, shown).build(node)
    except yaml.MarkedYAMLError as exc:
        return None, [_syntax_problem(exc, shown, text)]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, 0, f"YAML error: {exc}")]
    finally:
        loader.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, shown: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    what = exc.problem or "invalid YAML"
    if exc.context:
        start = exc.context_mark.line + 1 if exc.context_mark is not None else line
        where = f" started on line {start}" if start != line else ""
        what = f"{what} ({exc.context}{where})"
    lines = text.splitlines()
    if 0 < line <= len(lines) and "\t" in lines[line - 1]:
        what += "; YAML indents with spaces, not tabs"
    if "expected a single document" in str(exc.context):
        what = "a second document (---) in one file; keep one document per file"
    if "maximum nesting depth" in str(exc.problem):
        # newer PyYAML releases (6.0.4 here) stop deep nesting in the parser, before our own
        # builder's RecursionError check: the same problem, told the same way
        return Problem(shown, line, "nested too deeply")
    return Problem(shown, line, f"YAML syntax error: {what}")


class _Builder:
    """Turns composed nodes into Map/Seq/scalars, collecting problems instead of raising."""

    def __init__(self, loader: yaml.SafeLoader, shown: str) -> None:
        self._loader = loader
        self._shown = shown
        self._done: dict[int, Any] = {}  # aliases share one value, so `&a` bombs stay linear
        self._building: set[int] = set()
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node) -> tuple[Any, list[Problem]]:
        try:
            value = self._value(node)
        except RecursionError:
            return None, [Problem(self._shown, node.start_mark.line + 1, "nested too deeply")]
        return value, self.problems

    def _error(self, node: yaml.Node, message: str) -> None:
        self.problems.append(Problem(self._shown, node.start_mark.line + 1, message))

    def _value(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if node.tag not in _COLLECTIONS:
            self._error(node, f"unsupported YAML tag {node.tag!r}; write a plain list or mapping")
            return None
        key = id(node)
        if key in self._done:
            return self._done[key]
        if key in self._building:
            self._error(node, "an alias refers to the value that contains it")
            return None
        self._building.add(key)
        try:
            if isinstance(node, yaml.MappingNode):
                value: Any = self._map(node)
            else:
                value = self._seq(node)
        finally:
            self._building.discard(key)
        self._done[key] = value
        return value

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        try:
            return self._loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            self._error(node, f"unsupported YAML tag {node.tag!r}; write plain text")
            return None

    def _seq(self, node: yaml.Node) -> Seq:
        seq = Seq(node.start_mark.line + 1)
        for item in node.value:
            if item.tag == _STR and isinstance(item, yaml.ScalarNode):  # most items: text
                seq.append(item.value)
                seq.item_lines.append(item.start_mark.line + 1)
                continue
            value = self._value(item)
            if isinstance(item, yaml.ScalarNode) and not isinstance(value, str):
                seq.raw[len(seq)] = item.value
            seq.append(value)
            seq.item_lines.append(item.start_mark.line + 1)
        return seq

    def _map(self, node: yaml.MappingNode) -> Map:
        result = Map(node.start_mark.line + 1)
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            key = self._key(key_node)
            if key is None:
                continue
            if key in result:
                first = result.key_lines[key]
                self._error(
                    key_node, f"key {key!r} appears twice in one mapping (first on line {first})"
                )
                continue
            self._put(result, key, key_node, value_node)
        for source in merged:
            self._merge(result, source)
        return result

    def _key(self, node: yaml.Node) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self._error(node, "a key must be plain text, not a list or mapping")
            return None
        # The source text, so `no:` or `1:` stay the strings the author typed.
        return str(node.value)

    def _put(self, result: Map, key: str, key_node: yaml.Node, value_node: yaml.Node) -> None:
        value = self._value(value_node)
        result[key] = value
        result.key_lines[key] = key_node.start_mark.line + 1
        result.value_lines[key] = value_node.start_mark.line + 1
        if isinstance(value_node, yaml.ScalarNode) and not isinstance(value, str):
            result.raw[key] = value_node.value

    def _merge(self, result: Map, source: yaml.Node) -> None:
        """`<<: *defaults`: copy entries the mapping does not set itself."""
        sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
        for item in sources:
            if not isinstance(item, yaml.MappingNode):
                self._error(item, "`<<` must name a mapping (or a list of mappings)")
                continue
            for key_node, value_node in item.value:
                key = self._key(key_node)
                if key is not None and key not in result:
                    self._put(result, key, key_node, value_node)
