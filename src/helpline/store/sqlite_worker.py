"""The thread that owns a SQLite connection and runs queued operations in group commits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpline.errors import StoreError

log = logging.getLogger(__name__)

Operation = Callable[[sqlite3.Connection], Any]
Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


@dataclass(frozen=True)
class _Job:
    operation: Operation
    future: asyncio.Future[Any]


class Worker(threading.Thread):
    """Runs operations one at a time on one connection, committing them in batches.

    Whatever is queued when the thread comes round is run in ONE transaction, each
    operation inside its own SAVEPOINT (a failing operation undoes only itself), and the
    callers' futures are settled only after COMMIT returns: nothing is reported stored
    before it is. Under load this turns N commits into one; alone, a call costs one commit
    as before.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        loop: asyncio.AbstractEventLoop,
        max_batch: int = 128,
    ) -> None:
        super().__init__(name="helpline-sqlite", daemon=True)
        self._connect = connect
        self._loop = loop
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._gone = False  # the thread has ended: a new job would wait forever
        self._running: list[_Job] = []  # the batch in hand, failed too if the thread dies
        self._gone_lock = threading.Lock()
        self.ready: asyncio.Future[None] = loop.create_future()
        self.stopped: asyncio.Future[None] = loop.create_future()

    def submit(self, operation: Operation) -> asyncio.Future[Any]:
        """Queue an operation; call from the loop's thread."""
        future = self._loop.create_future()
        with self._gone_lock:
            if self._gone:
                raise StoreError("the database thread has stopped")
            self._queue.put(_Job(operation, future))
        return future

    def stop(self) -> None:
        """Finish what is queued, then close the connection and end the thread."""
        self._queue.put(None)

    def run(self) -> None:
        try:
            conn = self._connect()
        except BaseException as exc:
            self._settle([(self.ready, None, exc), (self.stopped, None, None)])
            return
        self._settle([(self.ready, None, None)])
        try:
            self._serve(conn)
        except BaseException:  # a bug: logged once here, callers get StoreError below
            log.exception("the database thread failed")
        finally:
            conn.close()
            self._settle([*self._abandon(), (self.stopped, None, None)])

    def _abandon(self) -> list[Outcome]:
        """Fail whatever is still queued, so no caller waits on a thread that is gone."""
        with self._gone_lock:
            self._gone = True
        error = StoreError("the database thread has stopped")
        outcomes: list[Outcome] = [(job.future, None, error) for job in self._running]
        with contextlib.suppress(queue.Empty):
            while True:
                job = self._queue.get_nowait()
                if job is not None:
                    outcomes.append((job.future, None, error))
        return outcomes

    def _serve(self, conn: sqlite3.Connection) -> None:
        while True:
            batch, stopping = self._take()
            if batch:
                self._running = batch
                self._settle(_run_batch(conn, batch))
                self._running = []
            if stopping:
                return

    def _take(self) -> tuple[list[_Job], bool]:
        """Wait for one job, then take whatever else is already queued."""
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return batch, True
            batch.append(job)
        return batch, False

    def _settle(self, outcomes: list[Outcome]) -> None:
        # a loop closed without closing the store leaves nobody to tell
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(_settle_all, outcomes)


def _run_batch(conn: sqlite3.Connection, batch: list[_Job]) -> list[Outcome]:
    outcomes: list[Outcome] = []
    try:
        conn.execute("BEGIN IMMEDIATE")
        for job in batch:
            conn.execute("SAVEPOINT op")
            try:
                outcomes.append((job.future, job.operation(conn), None))
            except Exception as exc:
                conn.execute("ROLLBACK TO op")
                outcomes.append((job.future, None, exc))
            conn.execute("RELEASE op")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        # BEGIN or COMMIT failed (disk full, I/O error, locked too long): nothing is stored
        log.warning("database transaction failed: %s", exc)
        with contextlib.suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        return [(job.future, None, exc) for job in batch]
    return outcomes


def _settle_all(outcomes: list[Outcome]) -> None:
    for future, result, exc in outcomes:
        if future.done():  # the caller was cancelled; the work is done regardless
            continue
        if exc is None:
            future.set_result(result)
        else:
            future.set_exception(exc)
