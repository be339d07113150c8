"""Hot reload: poll a rules directory and hand each good new Rulebook (or the error) on."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from helpline.errors import RulesError
from helpline.rules.loader import load_rulebook
from helpline.rules.model import Rulebook
from helpline.rules.rulebook_cache import RulebookCache

log = logging.getLogger(__name__)

FOLDERS = ("", "intents", "tests", "actions")
Fingerprint = tuple[tuple[str, int, int], ...]  # (path, mtime_ns, size) of every rule file
OnChange = Callable[[Rulebook], Awaitable[None] | None]
OnError = Callable[[RulesError], Awaitable[None] | None]
_T = TypeVar("_T")


def fingerprint(directory: str | Path) -> Fingerprint:
    """Cheap snapshot of the rule files: one scandir per folder, no file is opened."""
    entries: list[tuple[str, int, int]] = []
    for folder in FOLDERS:
        try:
            with os.scandir(os.path.join(directory, folder)) as found:
                for entry in found:
                    if entry.name.startswith((".", "#")) or entry.name.endswith("~"):
                        continue  # editor swap and backup files change on every keystroke
                    if entry.is_file():
                        stat = entry.stat()
                        entries.append((entry.path, stat.st_mtime_ns, stat.st_size))
        except (FileNotFoundError, NotADirectoryError):
            continue
    return tuple(sorted(entries))


async def watch_rules(
    directory: str | Path,
    on_change: OnChange,
    on_error: OnError,
    interval: float = 1.0,
    *,
    since: Fingerprint | None = None,
    cache: RulebookCache | None = None,
) -> None:
    """Reload whenever the files change; runs until cancelled.

    on_change gets each new Rulebook; on_error gets the RulesError of a broken edit, and
    the caller keeps serving the rules it has. since: fingerprint() taken just before the
    caller loaded its rules (so an edit made meanwhile is not missed); default: the files
    as they are when the watch starts. cache: where checked rules are kept (an edit undone
    reads its rules back).
    """
    seen = fingerprint(directory) if since is None else since
    while True:
        now = fingerprint(directory)
        if now != seen:
            seen = now
            await _reload(directory, on_change, on_error, cache)
        await asyncio.sleep(interval)


async def _reload(
    directory: str | Path, on_change: OnChange, on_error: OnError, cache: RulebookCache | None
) -> None:
    try:
        # A big rulebook takes a moment to check; the event loop keeps serving meanwhile.
        rulebook = await asyncio.to_thread(load_rulebook, directory, cache)
    except RulesError as exc:
        log.warning("rules in %s not reloaded: %d problem(s)", directory, len(exc.problems))
        await _call(on_error, exc)
        return
    log.info("rules reloaded from %s: %d intents", directory, len(rulebook.intents))
    await _call(on_change, rulebook)


async def _call(callback: Callable[[_T], Awaitable[None] | None], value: _T) -> None:
    """Run a callback, sync or async; its failure is logged so watching goes on."""
    try:
        result = callback(value)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("rules watch callback %r failed", callback)
