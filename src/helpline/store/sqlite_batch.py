"""One group commit's jobs on a SQLite connection: run, savepoints, commit, outcomes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Operation = Callable[[sqlite3.Connection], Any]


@dataclass(frozen=True)
class Job:
    operation: Operation
    future: asyncio.Future[Any]  # settled once the transaction it ran in has committed
    # settled as soon as the operation has run, before the commit (Worker.submit_early)
    early: asyncio.Future[Any] | None = None


Outcome = tuple[Job, Any, BaseException | None]


def run_batch(
    conn: sqlite3.Connection,
    batch: Sequence[Job],
    busy_ok: bool,
    *,
    held: Sequence[Outcome] | None = None,
    hold: bool = False,
) -> list[Outcome] | None:
    """The outcomes of `held` (run before, in the transaction still open) and of the
    batch, in order; None (nothing done) when busy_ok and another process holds the write
    lock. hold: leave the transaction open, uncommitted. When the transaction fails
    (COMMIT: disk full, I/O error) every outcome is that failure: nothing is stored."""
    if held is None:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if busy_ok and exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
                return None
            log.warning("database transaction failed: %s", exc)
            return [(job, None, exc) for job in batch]
    outcomes: list[Outcome] = list(held or ())
    try:
        if held is None and len(batch) == 1:
            outcomes.append(_run_alone(conn, batch[0]))
        elif batch:
            outcomes.extend(_run_together(conn, batch))
        if not hold and conn.in_transaction:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        log.warning("database transaction failed: %s", exc)
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return [(job, None, exc) for job in [*(o[0] for o in held or ()), *batch]]
    return outcomes


def _run_alone(conn: sqlite3.Connection, job: Job) -> Outcome:
    """The only operation of its transaction: a failure rolls the transaction back, which
    undoes as much as a savepoint would, without the SAVEPOINT and RELEASE statements."""
    try:
        return (job, job.operation(conn), None)
    except Exception as exc:
        if conn.in_transaction:  # some errors (disk full) have rolled it back already
            conn.execute("ROLLBACK")
        return (job, None, exc)


def _run_together(conn: sqlite3.Connection, batch: Sequence[Job]) -> list[Outcome]:
    """The batch under one savepoint; when an operation fails, all of them are undone and
    run again, each in a savepoint of its own (a failing one then undoes only itself).

    Operations rarely fail, and a savepoint each cost two statements per operation
    (SAVEPOINT, RELEASE) and a copy of every page it touched into the statement journal;
    one for the batch costs two statements in all. Running one again is safe: an operation
    is a function of the connection and its arguments, and the first run's effects were
    rolled back."""
    conn.execute("SAVEPOINT batch")
    outcomes: list[Outcome] = []
    for job in batch:
        try:
            outcomes.append((job, job.operation(conn), None))
        except Exception:
            conn.execute("ROLLBACK TO batch")
            conn.execute("RELEASE batch")
            return _run_each_in_a_savepoint(conn, batch)
    conn.execute("RELEASE batch")
    return outcomes


def _run_each_in_a_savepoint(conn: sqlite3.Connection, batch: Sequence[Job]) -> list[Outcome]:
    """Each operation in a savepoint of its own: a failing one undoes only itself."""
    outcomes: list[Outcome] = []
    for job in batch:
        conn.execute("SAVEPOINT op")
        try:
            outcomes.append((job, job.operation(conn), None))
        except Exception as exc:
            conn.execute("ROLLBACK TO op")
            outcomes.append((job, None, exc))
        conn.execute("RELEASE op")
    return outcomes


def settle_early(outcomes: Sequence[Outcome]) -> None:
    """Hand the early jobs' results over before the commit (their futures wait for it)."""
    for job, result, exc in outcomes:
        if job.early is not None:
            _settle(job.early, result, exc)


def settle_all(outcomes: Sequence[Outcome]) -> None:
    for job, result, exc in outcomes:
        if job.early is not None:
            _settle(job.early, result, exc)
        _settle(job.future, result, exc)


def _settle(future: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if future.done():  # the caller was cancelled; the work is done regardless
        return
    if exc is None:
        future.set_result(result)
    else:
        future.set_exception(exc)
