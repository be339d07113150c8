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
    batch, in order; None (nothing done, the transaction rolled back) when busy_ok and
    another process holds the write lock. hold: leave the transaction open, uncommitted.
    When the transaction fails (COMMIT: disk full, I/O error) every outcome is that
    failure: nothing is stored."""
    jobs = [*(o[0] for o in held or ()), *batch]
    try:
        if held is None and not _began(conn, busy_ok):
            return None
        if held is None and len(batch) == 1:
            outcomes: list[Outcome] | None = [_run_alone(conn, batch[0])]
        else:
            outcomes = _run_plainly(conn, batch)
        if outcomes is None:  # one failed: all undone; again, each in a savepoint
            conn.execute("ROLLBACK")
            if not _began(conn, busy_ok):
                return None
            outcomes, hold = _run_each_in_a_savepoint(conn, jobs), False
        else:
            outcomes = [*(held or ()), *outcomes]
        if not hold and conn.in_transaction:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        return _failed(conn, jobs, exc)
    return outcomes


def _began(conn: sqlite3.Connection, busy_ok: bool) -> bool:
    """BEGIN IMMEDIATE; False when busy_ok and another process holds the write lock."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if busy_ok and exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            return False
        raise
    return True


def _failed(conn: sqlite3.Connection, jobs: Sequence[Job], exc: sqlite3.Error) -> list[Outcome]:
    log.warning("database transaction failed: %s", exc)
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    return [(job, None, exc) for job in jobs]


def _run_alone(conn: sqlite3.Connection, job: Job) -> Outcome:
    """The only operation of its transaction: a failure rolls the transaction back, which
    undoes as much as a savepoint would, without the SAVEPOINT and RELEASE statements."""
    try:
        return (job, job.operation(conn), None)
    except Exception as exc:
        if conn.in_transaction:  # some errors (disk full) have rolled it back already
            conn.execute("ROLLBACK")
        return (job, None, exc)


def _run_plainly(conn: sqlite3.Connection, batch: Sequence[Job]) -> list[Outcome] | None:
    """The batch with no savepoint; None as soon as an operation fails (the transaction
    then holds part of its work: the caller rolls it back and runs each in a savepoint).

    Operations rarely fail, and a savepoint costs more than its two statements: while one
    is open every page a statement changes is first copied into the statement journal,
    which spills to a temporary file past 64 KiB. Fifty messages and their turns written
    with no savepoint cost 153 us a message, each in its own 267, all under one 348.
    Running an operation again is safe: it is a function of the connection and its
    arguments, and the first run was rolled back; an early one (Worker.submit_early, the
    customer's message) gives the same result again, since it runs from the same state."""
    outcomes: list[Outcome] = []
    for job in batch:
        try:
            outcomes.append((job, job.operation(conn), None))
        except sqlite3.Error as exc:
            if not conn.in_transaction:  # disk full and the like: nothing to run again
                raise exc
            return None
        except Exception:
            return None
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
