"""Hot reload: an edit reaches the server; a broken edit is reported and the old rules stay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fixtures_rules import BASE_INTENTS, intent, marked_line, write_rules
from helpline.errors import RulesError
from helpline.rules import Rulebook, load_rulebook
from helpline.rules.watch import fingerprint, watch_rules

WAIT_S = 5.0
INTERVAL_S = 0.01


@dataclass
class Server:
    """Stands in for the web app: serves `rules`, replaced only by a good reload."""

    rules: Rulebook
    changes: asyncio.Queue[Rulebook] = field(default_factory=asyncio.Queue)
    errors: asyncio.Queue[RulesError] = field(default_factory=asyncio.Queue)

    def on_change(self, rulebook: Rulebook) -> None:
        self.rules = rulebook
        self.changes.put_nowait(rulebook)

    async def on_error(self, error: RulesError) -> None:
        self.errors.put_nowait(error)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Server]:
    write_rules(tmp_path)
    since = fingerprint(tmp_path)
    server = Server(load_rulebook(tmp_path))
    task = asyncio.create_task(
        watch_rules(tmp_path, server.on_change, server.on_error, INTERVAL_S, since=since)
    )
    yield server
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def add_intent(root: Path, name: str, *extra: str) -> None:
    text = BASE_INTENTS + intent(name, *extra)
    (root / "intents" / "base.yaml").write_text(text, encoding="utf-8")


async def test_an_edit_is_loaded_and_handed_over(tmp_path: Path, served: Server) -> None:
    add_intent(tmp_path, "plan_prices")
    rulebook = await asyncio.wait_for(served.changes.get(), WAIT_S)
    assert "plan_prices" in rulebook.by_name
    assert served.rules is rulebook


async def test_a_broken_edit_is_reported_and_the_old_rules_stay(
    tmp_path: Path, served: Server
) -> None:
    before = served.rules
    add_intent(tmp_path, "plan_prices", "priority: hihg  #<")
    error = await asyncio.wait_for(served.errors.get(), WAIT_S)
    line = marked_line((tmp_path / "intents" / "base.yaml").read_text())
    assert [(Path(p.file).name, p.line) for p in error.problems] == [("base.yaml", line)]
    assert served.rules is before and served.changes.empty()


async def test_fixing_a_broken_edit_loads_the_fixed_rules(tmp_path: Path, served: Server) -> None:
    add_intent(tmp_path, "plan_prices", "priority: hihg")
    await asyncio.wait_for(served.errors.get(), WAIT_S)
    add_intent(tmp_path, "plan_prices", "priority: high")
    rulebook = await asyncio.wait_for(served.changes.get(), WAIT_S)
    assert rulebook.by_name["plan_prices"].priority == "high"


async def test_a_new_file_is_noticed(tmp_path: Path, served: Server) -> None:
    (tmp_path / "intents" / "plans.yaml").write_text("intents:\n" + intent("plan_prices"))
    rulebook = await asyncio.wait_for(served.changes.get(), WAIT_S)
    assert "plan_prices" in rulebook.by_name


async def test_a_failing_callback_does_not_stop_the_watch(tmp_path: Path) -> None:
    write_rules(tmp_path)
    seen: asyncio.Queue[Rulebook] = asyncio.Queue()

    def on_change(rulebook: Rulebook) -> None:
        seen.put_nowait(rulebook)
        raise RuntimeError("the server could not swap rules")

    task = asyncio.create_task(
        watch_rules(tmp_path, on_change, seen.put_nowait, INTERVAL_S, since=fingerprint(tmp_path))
    )
    try:
        add_intent(tmp_path, "plan_prices")
        await asyncio.wait_for(seen.get(), WAIT_S)
        add_intent(tmp_path, "plan_prices_and_more")
        second = await asyncio.wait_for(seen.get(), WAIT_S)
        assert isinstance(second, Rulebook) and "plan_prices_and_more" in second.by_name
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_editor_swap_and_backup_files_do_not_change_the_fingerprint(tmp_path: Path) -> None:
    write_rules(tmp_path)
    before = fingerprint(tmp_path)
    for name in (".base.yaml.swp", "base.yaml~", "#base.yaml#"):
        (tmp_path / "intents" / name).write_text("scratch")
    assert fingerprint(tmp_path) == before


def test_the_fingerprint_changes_when_a_file_grows(tmp_path: Path) -> None:
    write_rules(tmp_path)
    before = fingerprint(tmp_path)
    with (tmp_path / "config.yaml").open("a") as handle:
        handle.write("# a note\n")
    assert fingerprint(tmp_path) != before
