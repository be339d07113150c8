"""Copies a SQLite file's write-ahead log into the database on a thread of its own."""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)


class Checkpointer(threading.Thread):
    """PASSIVE checkpoints, at most once per interval and only after new commits.

    SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages and
    fsyncs twice; the store commits on the event loop, so that would stall every socket
    for as long as the disk takes. A passive checkpoint on another connection takes no
    lock a writer waits for, so commits go on meanwhile. Durability is unchanged: a commit
    is safe once it is in the WAL, whether or not it has been copied yet.
    """

    def __init__(self, path: str, interval_s: float = 1.0) -> None:
        super().__init__(name="helpline-sqlite-checkpoint", daemon=True)
        self._path = path
        self._interval_s = interval_s
        self._finish = threading.Event()
        self.dirty = False  # set by the writer after a commit; a plain flag, no wake-up

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:
            log.warning("checkpoints stopped: cannot open %s: %s", self._path, exc)
            return
        try:
            while not self._finish.wait(self._interval_s):
                self._checkpoint(conn)
            self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        if not self.dirty:
            return
        self.dirty = False
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # e.g. disk full: the WAL keeps it; try again later
            self.dirty = True
            log.warning("checkpoint of %s failed: %s", self._path, exc)

    def stop(self) -> None:
        """Ask the thread to finish (after one last checkpoint); join() waits for it."""
        self._finish.set()
