"""Persistence: the Store contract and choosing a backend by its URL."""

from __future__ import annotations

from collections.abc import Callable

from helpline.errors import ConfigError
from helpline.store.base import (
    Appended,
    Conversation,
    Event,
    Message,
    Outgoing,
    Store,
    TurnRecord,
)
from helpline.store.sqlite import SQLiteStore

__all__ = [
    "Appended",
    "Conversation",
    "Event",
    "Message",
    "Outgoing",
    "SQLiteStore",
    "Store",
    "TurnRecord",
    "open_store",
]


def _sqlite(rest: str) -> Store:
    # SQLAlchemy's convention: sqlite:///rel/path.db is relative, sqlite:////abs/path.db
    # is absolute, sqlite:///:memory: keeps everything in memory
    return SQLiteStore(rest[1:] if rest.startswith("/") else rest)


def _postgres(rest: str) -> Store:
    from helpline.store.postgres import PostgresStore  # asyncpg only when it is asked for

    return PostgresStore(f"postgresql://{rest}")


# scheme -> factory taking what follows "scheme://"
_BACKENDS: dict[str, Callable[[str], Store]] = {
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


def open_store(url: str, *, setting: str = "database") -> Store:
    """The backend a URL names, not yet opened (await store.open()).

    "sqlite:///path/to.db" or a bare path means SQLite; "postgresql://user@host/db" (libpq's
    URL form, query parameters included) means PostgreSQL. `setting` names the option the
    URL came from, so a bad value is reported against it.
    """
    if not url.strip():
        raise ConfigError(setting, "is empty; give a file path or sqlite:///path/to.db")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return SQLiteStore(url)
    factory = _BACKENDS.get(scheme.lower())
    if factory is None:
        known = ", ".join(f"{name}://" for name in sorted(_BACKENDS))
        raise ConfigError(setting, f"unknown database scheme {scheme!r} (known: {known})")
    if scheme.lower() == "sqlite" and (not rest.startswith("/") or rest == "/"):
        raise ConfigError(setting, f"{url!r} names no file; write {scheme}:///path/to.db")
    return factory(rest)
