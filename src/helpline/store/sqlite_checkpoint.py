"""Copies a SQLite file's write-ahead log into the database on a thread of its own."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

# The size the WAL file is cut back to (PRAGMA journal_size_limit on the writer, and the
# truncating checkpoint below). A steady load keeps the WAL at a few MiB: every passive
# checkpoint catches up and the writer starts the log again from its beginning. A flood
# does not let it catch up, so the log only grows (276 MB was seen), and SQLite never
# shrinks the file by itself.
WAL_LIMIT_BYTES = 16 * 1024 * 1024

# How long a truncating checkpoint waits for the writer's lock before it tries again on
# the next quiet interval; the writer's transactions on the event loop last microseconds.
TRUNCATE_WAIT_S = 0.1


class Checkpointer(threading.Thread):
    """PASSIVE checkpoints, at most once per interval and only after new commits; and
    after a burst, a checkpoint that truncates a WAL grown past its limit.

    SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages and
    fsyncs twice; the store commits on the event loop, so that would stall every socket
    for as long as the disk takes. A passive checkpoint on another connection takes no
    lock a writer waits for, so commits go on meanwhile. Durability is unchanged: a commit
    is safe once it is in the WAL, whether or not it has been copied yet.

    The truncating checkpoint holds the write lock while it copies what is left and cuts
    the file, so it runs only in an interval without commits (the burst is over, nobody is
    waiting), or when the WAL has passed four times its limit during a flood that does not
    stop: then the writer waits off the loop for the few milliseconds it takes.
    """

    def __init__(
        self, path: str, interval_s: float = 1.0, wal_limit_bytes: int = WAL_LIMIT_BYTES
    ) -> None:
        super().__init__(name="helpline-sqlite-checkpoint", daemon=True)
        self._path = path
        self._wal_path = f"{path}-wal"
        self._interval_s = interval_s
        self._wal_limit_bytes = wal_limit_bytes
        self._finish = threading.Event()
        self.dirty = False  # set by the writer after a commit; a plain flag, no wake-up
        self.truncated = threading.Event()  # set after each checkpoint that cut the WAL

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, timeout=TRUNCATE_WAIT_S)
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
        burst = self.dirty
        if burst:
            self.dirty = False
            if not self._run(conn, "PASSIVE"):
                self.dirty = True
        size = self._wal_bytes()
        flooded = size > 4 * self._wal_limit_bytes
        if size > self._wal_limit_bytes and (flooded or not burst):
            self._truncate(conn, size)

    def _truncate(self, conn: sqlite3.Connection, size: int) -> None:
        if self._run(conn, "TRUNCATE"):
            log.info("WAL of %s cut from %d bytes", self._path, size)
            self.truncated.set()

    def _run(self, conn: sqlite3.Connection, mode: str) -> bool:
        """One checkpoint; False when it could not finish (try again later)."""
        try:
            busy = conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()[0]
        except sqlite3.Error as exc:  # e.g. disk full: the WAL keeps it; try again later
            log.warning("checkpoint of %s failed: %s", self._path, exc)
            return False
        return mode == "PASSIVE" or busy == 0

    def _wal_bytes(self) -> int:
        try:
            return os.path.getsize(self._wal_path)
        except OSError:  # no WAL yet, or an in-memory database
            return 0

    def stop(self) -> None:
        """Ask the thread to finish (after one last checkpoint); join() waits for it."""
        self._finish.set()
