"""Run actions/*.py inside the node with rasa-sdk's own ActionExecutor."""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from helpline.actions import wire
from helpline.actions.base import ActionCall, ActionResult
from helpline.errors import ActionError, ActionNotFoundError

log = logging.getLogger(__name__)

MODULE_PREFIX = "helpline_actions"


class InProcessRunner:
    """Loads the files on first use and again when one of them changes on disk.

    Actions run on the event loop: an `async def run` that awaits is fine, a blocking one
    stalls the node (the timeout cannot interrupt it). Slow work belongs on an action server.
    """

    def __init__(self, files: Iterable[str | os.PathLike[str]]) -> None:
        self.files = tuple(Path(f) for f in files)
        self._stamp: tuple[float, ...] | None = None
        self._executor: Any = None  # rasa_sdk.executor.ActionExecutor, imported on first use

    async def run(self, call: ActionCall, domain: Mapping[str, Any]) -> ActionResult:
        from rasa_sdk.interfaces import (  # type: ignore[import-untyped]
            ActionExecutionRejection,
            ActionNotFoundException,
        )

        executor = self._loaded(call.name)
        try:
            done = await executor.run(wire.action_call(call, domain))
        except ActionNotFoundException as exc:
            raise ActionNotFoundError(call.name, _not_found(self.files)) from exc
        except ActionExecutionRejection as exc:
            raise ActionError(call.name, exc.message) from exc
        return wire.result(call.name, done.model_dump() if done is not None else None)

    async def close(self) -> None:
        self._executor = None

    def names(self) -> list[str]:
        """The registered action names (loads the files if needed)."""
        return sorted(self._loaded("").actions)

    def _loaded(self, action: str) -> Any:
        stamp = tuple(_mtime(f) for f in self.files)
        if self._executor is None or stamp != self._stamp:
            self._executor = _executor(self.files, action)
            self._stamp = stamp
        return self._executor


def _executor(files: tuple[Path, ...], action: str) -> Any:
    from rasa_sdk.executor import ActionExecutor  # type: ignore[import-untyped]

    executor = ActionExecutor()
    for path in files:
        for cls in _action_classes(_load_module(path, action)):
            executor.register_action(cls)
    log.info("loaded %d custom actions from %d files", len(executor.actions), len(files))
    return executor


def _load_module(path: Path, action: str) -> ModuleType:
    # A name per file path, so two rules directories (or tests) never share a module.
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    name = f"{MODULE_PREFIX}_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ActionError(action, f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling inside the file look it up here
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ActionError(action, f"failed to load {path}: {type(exc).__name__}: {exc}") from exc
    return module


def _action_classes(module: ModuleType) -> list[type]:
    """Concrete Action subclasses defined in the module itself (not the ones it imports)."""
    from rasa_sdk.interfaces import Action

    return [
        cls
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, Action)
        and cls.__module__ == module.__name__
        and not inspect.isabstract(cls)
    ]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return -1.0


def _not_found(files: tuple[Path, ...]) -> str:
    where = ", ".join(p.name for p in files) or "no actions/*.py files"
    return f"no Action with this name() in {where}"
