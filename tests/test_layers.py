"""The package's layers, read from its imports: no cycles, nothing imported from above."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "helpline"

# Lowest first. A module may import its own layer and the ones before it, never one after.
# A module belongs to the longest prefix listed (so store.base is a contract, the rest of
# store/ an edge); every module must belong to one.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "core",  # the policy and its values: standard library and pure libraries only
        (
            "helpline", "helpline.address", "helpline.client_address",
            "helpline.dialogue", "helpline.errors", "helpline.evaluation", "helpline.hours",
            "helpline.identity", "helpline.lexicon", "helpline.matcher", "helpline.mood",
            "helpline.sla",  # SLA policies as config.yaml gives them
            "helpline.password", "helpline.routing", "helpline.rules", "helpline.scope",
            "helpline.sentence_model", "helpline.settings", "helpline.spike", "helpline.text",
            "helpline.turn", "helpline.utterance",
            "helpline.inbox",  # the inbox's clusters and its checked writes to bot_rules/
        ),
    ),
    (
        "contract",  # what the services use of the edges: Protocols, values, in-process defaults
        (
            "helpline.store.base", "helpline.store.agents", "helpline.store.customers",
            "helpline.store.handoff", "helpline.store.outbox", "helpline.store.reports",
            "helpline.bus.base",
            "helpline.bus.memory", "helpline.bus.locks", "helpline.actions.base",
            "helpline.store.inbox",
            "helpline.store.alerts",
            "helpline.store.search",
            "helpline.store.tickets",
            "helpline.store.customer_directory",
            "helpline.store.canned",
            "helpline.store.attachments",
            "helpline.store.visit",
            "helpline.store.early",
        ),
    ),
    ("service", ("helpline.service",)),  # conversation turns, the agent desk, mail; no aiohttp
    ("edge", ("helpline.store", "helpline.bus", "helpline.actions")),  # databases, Redis, rasa-sdk
    ("web", ("helpline.web",)),  # aiohttp handlers and sockets only
    ("cli", ("helpline.cli", "helpline.__main__")),
)  # fmt: skip

# Libraries of I/O that a layer may not use, by the layer's rank and below.
IO_LIBRARIES = {"aiohttp": "service", "asyncpg": "service", "redis": "service", "sqlite3": "core"}

# Known exceptions, each with the reason it stays for now.
ALLOWED = {
    # the sentence encoder's disk cache of encodings (one SQLite file): passing it in from
    # an edge would mean every build_matcher caller opening it
    ("helpline.matcher.encoder_cache", "sqlite3"),
}


def module_name(path: Path) -> str:
    parts = ("helpline", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts).removesuffix(".__init__")


MODULES = {module_name(path): path for path in SRC.rglob("*.py")}


def imports(name: str) -> Iterator[str]:
    """Every name the module imports (type-checking and in-function imports included)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield submodule if submodule in MODULES else base


def own_module(target: str) -> str | None:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


GRAPH = {name: {m for t in imports(name) if (m := own_module(t)) and m != name} for name in MODULES}


def layer_of(name: str) -> int:
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    return rank


def rank_of(layer: str) -> int:
    return [name for name, _ in LAYERS].index(layer)


def cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(sorted([v, *component]))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_every_module_belongs_to_a_layer() -> None:
    assert [name for name in sorted(MODULES) if layer_of(name) < 0] == []


def test_no_modules_import_each_other_in_a_cycle() -> None:
    assert cycles() == []


def test_no_module_imports_one_from_a_layer_above() -> None:
    upward = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for name, targets in sorted(GRAPH.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(name)
    ]
    assert upward == []


@pytest.mark.parametrize("library", sorted(IO_LIBRARIES))
def test_lower_layers_do_not_use_an_io_library(library: str) -> None:
    highest = rank_of(IO_LIBRARIES[library])
    users = sorted(
        name
        for name in MODULES
        if layer_of(name) <= highest
        and (name, library) not in ALLOWED
        and any(t == library or t.startswith(library + ".") for t in imports(name))
    )
    assert users == []


def test_the_walk_sees_imports_and_ranks_the_layers() -> None:
    # the walk itself: service/ imports the store's contract, and web/ imports service/
    assert "helpline.store.base" in GRAPH["helpline.service.conversation"]
    assert layer_of("helpline.web.app") > layer_of("helpline.service.conversation")
    assert layer_of("helpline.store.sqlite") > layer_of("helpline.store.base")
