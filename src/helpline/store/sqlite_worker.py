"""Runs a SQLite connection's operations on the event loop, in group commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from helpline.errors import StoreError
from helpline.store.sqlite_batch import Job, Operation, Outcome, run_batch, settle_all, settle_early

log = logging.getLogger(__name__)
# Pauses between tries of the write lock another process holds (the last one repeats):
# its transactions last a fraction of a millisecond, so the lock is soon free again
LOCK_RETRY_S = (0.0005, 0.001, 0.002)
# How long a transaction that ran an early job (submit_early) stays open for the next
# job, in the usual case the bot's turn for the customer message just stored, decided in
# a fraction of a millisecond: one commit then writes the message and its answer, pages
# they share written once (20.6 -> 14.9 WAL pages a message, bench/store_writes.py). A turn
# that takes longer (a custom action) finds the message committed alone meanwhile.
HOLD_S = 0.002
# Only for a batch this small: at a light load a message and its turn are each a
# transaction of their own, and holding halves the commits; a heavy load already shares
# them (fifty messages at once: 0.04 commits a message), and holding its big batches cost
# the process more CPU than it saved (574-578 us a message against 520-527, same run).
HOLD_MAX_BATCH = 8
# Not while another process writes to the same file (`serve --workers N`): a transaction
# held open through the bot's decision would keep the others' writes waiting for it, and
# their turns would take the lock in turn. After a wait for another process's lock, none
# is held for this long.
SHARED_QUIET_S = 10.0


class Worker:
    """Runs operations one at a time on one connection, committing them in batches.

    Whatever was submitted during one turn of the event loop is run just after it, in ONE
    transaction (when one of several fails, all are rolled back and run again, each in a
    SAVEPOINT of its own, so a failing operation undoes only itself), and the callers'
    futures are settled only after COMMIT returns: nothing is reported stored before it is.

    An early job (submit_early) hands its result over as soon as it has run, and its
    transaction stays open, uncommitted, for up to `hold_s`: the next batch joins it and
    they commit together (its own future, like every other, settles only then).

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
        hold_s: float = HOLD_S,  # 0: an early job's transaction commits at once
    ) -> None:
        self._hold_s = hold_s
        self._held: list[Outcome] = []  # run in the transaction held open, not committed
        self._hold_timer: asyncio.TimerHandle | None = None
        self._connect = connect
        self._on_commit = on_commit
        self._loop = loop
        self._max_batch = max_batch
        self._conn: sqlite3.Connection | None = None
        self._patient_ms = 0  # the connection's own busy timeout: how long a lock is waited for
        self._pending: list[Job] = []
        self._scheduled = False  # a flush is due on the loop
        self._waiting = False  # a batch waits for another process's lock
        self._busy_seen = False  # the first wait is logged at INFO, later ones at DEBUG
        self._busy_at = float("-inf")  # when another process's lock was last waited for
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
        return self._queue(operation, early=False)[1]

    def submit_early(
        self, operation: Operation
    ) -> tuple[asyncio.Future[Any], asyncio.Future[Any]]:
        """Queue an operation: (its result once it has run, the same once committed). The
        first is NOT durable: nothing may be reported stored before the second settles."""
        return self._queue(operation, early=True)

    def _queue(
        self, operation: Operation, *, early: bool
    ) -> tuple[asyncio.Future[Any], asyncio.Future[Any]]:
        if self._gone or self._stopping:
            raise StoreError("the database thread has stopped")
        future = self._loop.create_future()
        ran = self._loop.create_future() if early else future
        self._pending.append(Job(operation, future, ran if early else None))
        self._schedule()
        return ran, future

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
        if self._held:
            if not self._run_in_held(conn, batch):
                return
        elif batch:
            hold = len(batch) <= HOLD_MAX_BATCH and self._may_hold() and any(j.early for j in batch)
            ran, outcomes = self._attempt(conn, batch, busy_ok=True, hold=hold)
            if not ran:
                return
            if outcomes is None:
                self._wait_for_lock(conn, batch)
                return
            if hold and conn.in_transaction:
                self._hold(outcomes)
            else:
                self._settled(outcomes)
        if self._pending:
            self._schedule()
        elif self._stopping:
            self._close()

    def _may_hold(self) -> bool:
        if self._hold_s <= 0 or self._stopping:
            return False
        return self._loop.time() - self._busy_at > SHARED_QUIET_S

    def _hold(self, outcomes: list[Outcome]) -> None:
        """Keep the transaction open for the next batch, at most hold_s."""
        self._held = outcomes
        settle_early(outcomes)
        self._hold_timer = self._loop.call_later(self._hold_s, self._hold_over)

    def _hold_over(self) -> None:
        self._hold_timer = None
        if self._held:
            self._schedule()

    def _run_in_held(self, conn: sqlite3.Connection, batch: list[Job]) -> bool:
        """The batch in the transaction held open, then COMMIT for all of it; False when
        the flush stops here (failed, or waiting for another process's lock)."""
        held, self._held = self._held, []
        if self._hold_timer is not None:
            self._hold_timer.cancel()
            self._hold_timer = None
        ran, outcomes = self._attempt(conn, batch, busy_ok=True, held=held)
        if not ran:
            return False
        if outcomes is None:  # rolled back to be run again, and the lock was taken meanwhile
            self._wait_for_lock(conn, [*(o[0] for o in held), *batch])
            return False
        self._settled(outcomes)
        return True

    def _attempt(
        self,
        conn: sqlite3.Connection,
        batch: list[Job],
        *,
        busy_ok: bool,
        held: list[Outcome] | None = None,
        hold: bool = False,
    ) -> tuple[bool, list[Outcome] | None]:
        """(True, run_batch's answer), or (False, None) when it raised: the batch's callers
        (and the held ones') have then been failed."""
        try:
            return True, run_batch(conn, batch, busy_ok, held=held, hold=hold)
        except (KeyboardInterrupt, SystemExit):
            self._fail([*(o[0] for o in held or ()), *batch])
            raise
        except BaseException:  # a bug: logged once here, callers get StoreError below
            log.exception("the database thread failed")
            self._fail([*(o[0] for o in held or ()), *batch])
            return False, None

    def _wait_for_lock(self, conn: sqlite3.Connection, batch: list[Job]) -> None:
        """Another process holds the write lock: try again on the loop after a short pause,
        for as long as the busy timeout allows, the jobs queued meanwhile joining the batch.

        Not on a thread under SQLite's busy handler, as first done: that handler sleeps up
        to 100 ms between tries, and the batch then ran off the loop, taking the GIL back
        for each statement (5 ms each while the loop is busy) with the write lock held, so
        the other process waited in turn: two workers of `serve --workers 2` offered
        1,200 msg/s answered 240/s, each mostly asleep."""
        level = logging.DEBUG if self._busy_seen else logging.INFO
        self._busy_seen = True
        self._busy_at = self._loop.time()
        log.log(level, "database busy; waiting for another process's lock, loop free")
        self._waiting = True
        deadline = self._loop.time() + self._patient_ms / 1000
        self._loop.call_later(LOCK_RETRY_S[0], self._retry, conn, batch, deadline, 1)

    def _retry(
        self, conn: sqlite3.Connection, batch: list[Job], deadline: float, attempt: int
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
        settle_all(outcomes)
        if self._on_commit is not None:
            self._on_commit()

    def _fail(self, batch: list[Job]) -> None:
        """Fail the batch in hand and whatever is queued; the connection is unusable."""
        error = StoreError("the database thread has stopped")
        held, self._held = [o[0] for o in self._held], []
        jobs, self._pending = [*held, *batch, *self._pending], []
        settle_all([(job, None, error) for job in jobs])
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
