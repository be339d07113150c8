"""The canned answers part of the storage contract: the answers supervisors write for
agents to insert with a `/shortcut`, each with a body per language and an optional team."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from helpline.errors import CannedError, StoreError

CANNED_COLUMNS = "id, shortcut, title, bodies, team, created_by, updated_at"


@dataclass(frozen=True)
class CannedAnswer:
    id: str
    shortcut: str  # without the slash, lower case: unique across the desk
    title: str
    bodies: Mapping[str, str]  # language -> the text the agent inserts
    team: str | None  # None: every agent may use it
    created_by: str  # the supervisor's agent id
    updated_at: float


@dataclass(frozen=True)
class CannedChange:
    """What a supervisor changes on a canned answer; None: left as it is (team: `clear_team`
    sets it back to everyone, since None already means "unchanged")."""

    shortcut: str | None = None
    title: str | None = None
    bodies: Mapping[str, str] | None = None
    team: str | None = None
    clear_team: bool = False


def to_canned(row: Sequence[Any]) -> CannedAnswer:
    """A row of CANNED_COLUMNS, on either backend."""
    bodies = row[3] if isinstance(row[3], dict) else json.loads(row[3])
    return CannedAnswer(row[0], row[1], row[2], bodies, row[4], row[5], float(row[6]))


def changed(old: CannedAnswer, change: CannedChange, now: float) -> CannedAnswer:
    """The answer with `change` applied: one rule for both backends."""
    team = None if change.clear_team else (change.team if change.team is not None else old.team)
    return CannedAnswer(
        old.id, change.shortcut or old.shortcut, change.title or old.title,
        dict(change.bodies) if change.bodies is not None else old.bodies, team,
        old.created_by, now,
    )  # fmt: skip


@runtime_checkable
class CannedStore(Protocol):
    """Shortcuts are unique: adding, or renaming to, a taken one writes nothing and raises
    CannedError("conflict"), on every backend and across nodes (a unique index decides)."""

    async def canned_answers(self) -> list[CannedAnswer]:
        """Every canned answer, by shortcut."""
        ...

    async def add_canned(self, answer: CannedAnswer) -> CannedAnswer: ...

    async def change_canned(
        self, canned_id: str, change: CannedChange, now: float
    ) -> CannedAnswer | None:
        """The changed answer; None: no such answer."""
        ...

    async def delete_canned(self, canned_id: str) -> bool:
        """False: no such answer."""
        ...


def taken(shortcut: str) -> CannedError:
    return CannedError("conflict", f"the shortcut /{shortcut} is taken by another canned answer")


def canned_store(store: object) -> CannedStore:
    """The given store as a CannedStore; StoreError when its backend keeps none."""
    if not isinstance(store, CannedStore):
        raise StoreError(f"the {type(store).__name__} backend does not store canned answers")
    return store
