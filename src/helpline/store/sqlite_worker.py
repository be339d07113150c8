"""Runs a SQLite connection's operations on the event loop, in group commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpline.errors import StoreError

log = logging.getLogger(__name__)

Operation = Callable[[sqlite3.Connection], Any]
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]
# Pauses between tries of the write lock another process holds (the last one repeats):
# its transactions last a fraction of a millisecond, so the lock is soon free again
LOCK_RETRY_S = (0.0005, 0.001, 0.002)


@dataclass(frozen=True)
class _Job:
    operation: Operation
    future: asyncio.Future[Any]


class Worker:
    """Runs operations one at a time on one connection, committing them in batches.

    Whatever was submitted during one turn of the event loop is run just after it, in ONE
    transaction (when there are several and one fails, each is run again in a SAVEPOINT of
    its own, so a failing operation undoes only itself), and the callers' futures are
    settled only after COMMIT returns: nothing is reported stored before it is.

    Why on the loop and not on a thread of its own: the sqlite3 module lets go of the GIL
    around every statement, and a thread that wants it back while the loop is busy (the
    matcher is pure Python) waits the interpreter's switch interval, 5 ms, each time, so an
    operation of a dozen statements took tens of milliseconds under load. Here a statement
    costs its own few microseconds. The loop blocks only where SQLite does not wait: under
    WAL with synchronous=NORMAL a commit writes to the OS, it does not fsync. Opening
    (migrations) goes to a thread; a database another process holds locked is tried again
    on the loop every millisecond or two, up to the busy timeout (_wait_for_lock).
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        loop: asyncio.AbstractEventLoop,
        max_batch: int = 128,
        on_commit: Callable[[], None] | None = None,  # after each batch that committed
    ) -> None:
        self._connect = connect
        self._on_commit = on_commit
        self._loop = loop
        self._max_batch = max_batch
        self._conn: sqlite3.Connection | None = None
        self._patient_ms = 0  # the connection's own busy timeout: how long a lock is waited for
        self._pending: list[_Job] = []
        self._scheduled = False  # a flush is due on the loop
        self._waiting = False  # a batch waits for another process's lock
        self._busy_seen = False  # the first wait is logged at INFO, later ones at DEBUG
        self._stopping = False
        self._gone = False  # closed or failed: a new job would wait forever
        self.ready: asyncio.Future[None] = loop.create_future()
        self.stopped: asyncio.Future[None] = loop.create_future()

    def start(self) -> None:
        """Open the connection (and migrate) on a thread; `ready` settles when it is open."""
        opening = self._loop.run_in_executor(None, self._connect)
        opening.add_done_callback(self._opened)

    def submit(self, operation: Operation) -> asyncio.Future[Any]:
        """Queue an operation; call from the loop's thread."""
        if self._gone or self._stopping:
            raise StoreError("the database thread has stopped")
        future = self._loop.create_future()
        self._pending.append(_Job(operation, future))
        self._schedule()
        return future

    def stop(self) -> None:
        """Finish what is queued, then close the connection."""
        self._stopping = True
        if not self.ready.done():
            return  # _opened closes it
        self._schedule()

    def _opened(self, opening: asyncio.Future[sqlite3.Connection]) -> None:
        exc = opening.exception()
        if exc is not None:
            self._gone = True
            self.ready.set_exception(exc)
            self.stopped.set_result(None)
            return
        conn = opening.result()
        self._patient_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute("PRAGMA busy_timeout = 0")  # on the loop: never sleep in the busy handler
        self._conn = conn
        self.ready.set_result(None)
        self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled and self._conn is not None and not self._waiting:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        conn = self._conn
        if conn is None or self._waiting:
            return
        batch = self._pending[: self._max_batch]
        del self._pending[: self._max_batch]
        if batch:
            ran, outcomes = self._attempt(conn, batch, busy_ok=True)
            if not ran:
                return
            if outcomes is None:
                self._wait_for_lock(conn, batch)
                return
            self._settled(outcomes)
        if self._pending:
            self._schedule()
        elif self._stopping:
            self._close()

    def _attempt(
        self, conn: sqlite3.Connection, batch: list[_Job], *, busy_ok: bool
    ) -> tuple[bool, list[Outcome] | None]:
        """(True, _run_batch's answer), or (False, None) when it raised: the batch's callers
        have then been failed."""
        try:
            return True, _run_batch(conn, batch, busy_ok=busy_ok)
        except (KeyboardInterrupt, SystemExit):
            self._fail(batch)
            raise
        except BaseException:  # a bug: logged once here, callers get StoreError below
            log.exception("the database thread failed")
            self._fail(batch)
            return False, None

    def _wait_for_lock(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        """Another process holds the write lock: try again on the loop after a short pause,
        for as long as the busy timeout allows, the jobs queued meanwhile joining the batch.

        Not on a thread under SQLite's busy handler, as first done: that handler sleeps up
        to 100 ms between tries, and the batch then ran off the loop, taking the GIL back
        for each statement (5 ms each while the loop is busy) with the write lock held, so
        the other process waited in turn: two workers of `serve --workers 2` offered
        1,200 msg/s answered 240/s, each mostly asleep."""
        level = logging.DEBUG if self._busy_seen else logging.INFO
        self._busy_seen = True
        log.log(level, "database busy; waiting for another process's lock, loop free")
        self._waiting = True
        deadline = self._loop.time() + self._patient_ms / 1000
        self._loop.call_later(LOCK_RETRY_S[0], self._retry, conn, batch, deadline, 1)

    def _retry(
        self, conn: sqlite3.Connection, batch: list[_Job], deadline: float, attempt: int
    ) -> None:
        room = self._max_batch - len(batch)
        if room > 0 and self._pending:
            batch = [*batch, *self._pending[:room]]
            del self._pending[:room]
        ran, outcomes = self._attempt(conn, batch, busy_ok=self._loop.time() < deadline)
        if not ran:
            return
        if outcomes is None:
            pause = LOCK_RETRY_S[min(attempt, len(LOCK_RETRY_S) - 1)]
            self._loop.call_later(pause, self._retry, conn, batch, deadline, attempt + 1)
            return
        self._waiting = False
        self._settled(outcomes)
        self._schedule()
        if not self._pending and self._stopping:
            self._close()

    def _settled(self, outcomes: list[Outcome]) -> None:
        _settle_all(outcomes)
        if self._on_commit is not None:
            self._on_commit()

    def _fail(self, batch: list[_Job]) -> None:
        """Fail the batch in hand and whatever is queued; the connection is unusable."""
        error = StoreError("the database thread has stopped")
        jobs, self._pending = [*batch, *self._pending], []
        _settle_all([(job.future, None, error) for job in jobs])
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        self._gone = True
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            conn.close()
        if not self.stopped.done():
            self.stopped.set_result(None)


def _run_batch(conn: sqlite3.Connection, batch: list[_Job], busy_ok: bool) -> list[Outcome] | None:
    """The batch's outcomes; None (nothing done) when busy_ok and another process holds the
    write lock."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if busy_ok and exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            return None
        log.warning("database transaction failed: %s", exc)
        return [(job.future, None, exc) for job in batch]
    outcomes: list[Outcome] = []
    try:
        if len(batch) == 1:
            outcomes.append(_run_alone(conn, batch[0]))
        else:
            outcomes.extend(_run_together(conn, batch))
        if conn.in_transaction:
            conn.execute("COMMIT")
    except sqlite3.Error as exc:
        # COMMIT failed (disk full, I/O error): nothing is stored
        log.warning("database transaction failed: %s", exc)
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return [(job.future, None, exc) for job in batch]
    return outcomes


def _run_alone(conn: sqlite3.Connection, job: _Job) -> Outcome:
    """The only operation of its transaction: a failure rolls the transaction back, which
    undoes as much as a savepoint would, without the SAVEPOINT and RELEASE statements."""
    try:
        return (job.future, job.operation(conn), None)
    except Exception as exc:
        if conn.in_transaction:  # some errors (disk full) have rolled it back already
            conn.execute("ROLLBACK")
        return (job.future, None, exc)


def _run_together(conn: sqlite3.Connection, batch: list[_Job]) -> list[Outcome]:
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
            outcomes.append((job.future, job.operation(conn), None))
        except Exception:
            conn.execute("ROLLBACK TO batch")
            conn.execute("RELEASE batch")
            return _run_each_in_a_savepoint(conn, batch)
    conn.execute("RELEASE batch")
    return outcomes


def _run_each_in_a_savepoint(conn: sqlite3.Connection, batch: list[_Job]) -> list[Outcome]:
    """Each operation in a savepoint of its own: a failing one undoes only itself."""
    outcomes: list[Outcome] = []
    for job in batch:
        conn.execute("SAVEPOINT op")
        try:
            outcomes.append((job.future, job.operation(conn), None))
        except Exception as exc:
            conn.execute("ROLLBACK TO op")
            outcomes.append((job.future, None, exc))
        conn.execute("RELEASE op")
    return outcomes


def _settle_all(outcomes: list[Outcome]) -> None:
    for future, result, exc in outcomes:
        if future.done():  # the caller was cancelled; the work is done regardless
            continue
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)
