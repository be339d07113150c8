"""The sentence encoder's files on disk: its model unzipped once, and every text's encoding
kept between starts, keyed by the model and the exact text.

Encoding an example costs 7-10 ms, so bot_rules' 1,900 took about 7 s at every start and
every reload; read back from here they take milliseconds, and only new or changed texts
are encoded. The model's zip costs 1.2 s to inflate at every start; its unzipped copy here
is mapped instead (about 0.1 s), and several nodes on one machine share its pages.

Encodings live in SQLite (the standard library's sqlite3) rather than one .npy array and a
list of texts: a reload adds a few rows instead of rewriting the whole file, a lookup reads
only the texts asked for (one file serves every rules directory on the machine), and two
nodes starting at once are serialised by SQLite's own locking instead of one of them losing
its rows. 2,000 texts read back in about 30 ms, 50,000 in about 0.4 s (on a busy 2-core
machine).

Nothing here may stop a start: a file that is not what it should be (corrupt, truncated) is
replaced, and a folder that cannot be written logs one warning and the encoder runs without
a disk cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from helpline.cache_files import write_atomically

log = logging.getLogger(__name__)

ENVIRONMENT = "HELPLINE_CACHE_DIR"  # where the files go; default: the user's cache folder
# More rows than this (300 MB of vectors) and the table is emptied before the next write:
# texts edited away over months would otherwise grow it forever. What is still in use is
# encoded again once.
MAX_ROWS = 200_000
BUSY_TIMEOUT_S = 60.0  # another node writing its encodings: wait for it, it takes seconds
SQLITE_VARIABLES = 900  # texts per lookup query, under SQLite's oldest limit of 999


def default_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """$HELPLINE_CACHE_DIR, else $XDG_CACHE_HOME/helpline, else ~/.cache/helpline."""
    if environ.get(ENVIRONMENT):
        return Path(environ[ENVIRONMENT])
    base = environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "helpline"


def model_key(model_zip: Path, version: int) -> str:
    """Names the model's files: its zip's name, size and modification time (hashing its
    83 MB would cost a quarter of a second at every start; a reinstall changes the time),
    and the version of the code that turns texts into numbers."""
    stat = model_zip.stat()
    identity = f"{model_zip.name}:{stat.st_size}:{stat.st_mtime_ns}:{version}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


class EncodingCache:
    """One model's encodings (float32 vectors of `dimensions` numbers) by exact text, and
    its unzipped files, in `directory`. Safe to share between threads and processes."""

    def __init__(self, directory: Path, key: str, dimensions: int) -> None:
        self.directory = directory
        self.key = key
        self.dimensions = dimensions
        self.path = directory / f"encodings-{key}.sqlite3"
        self._warned = False

    def get(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """The encodings known for these texts (texts not known are left out)."""
        wanted = set(texts)
        with self._database() as database:
            if database is None:
                return {}
            (kept,) = database.execute("SELECT count(*) FROM encoding").fetchone()
            # Reading every row and keeping the wanted ones is twice as fast as asking for
            # them by name when they are most of the table (50,000: 0.45 s against 0.95 s);
            # by name, when the table also holds other rules' texts.
            if 2 * len(wanted) >= kept:
                rows = database.execute("SELECT text, vector FROM encoding")
                found = self._vectors(row for row in rows if row[0] in wanted)
            else:
                found = self._vectors(self._named(database, list(wanted)))
        return found

    def _named(self, database: sqlite3.Connection, texts: list[str]) -> Iterator[Any]:
        for start in range(0, len(texts), SQLITE_VARIABLES):
            part = texts[start : start + SQLITE_VARIABLES]
            marks = ",".join("?" * len(part))
            query = f"SELECT text, vector FROM encoding WHERE text IN ({marks})"  # noqa: S608
            yield from database.execute(query, part)

    def _vectors(self, rows: Iterable[Any]) -> dict[str, np.ndarray]:
        size = 4 * self.dimensions  # a row of another size is not trusted
        return {text: np.frombuffer(blob, np.float32) for text, blob in rows if len(blob) == size}

    def put(self, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep these encodings; a text already kept keeps its first vector."""
        if not vectors:
            return
        rows = [(text, np.asarray(v, np.float32).tobytes()) for text, v in vectors.items()]
        with self._database() as database:
            if database is None:
                return
            with database:  # one transaction: another process sees all the rows or none
                (count,) = database.execute("SELECT count(*) FROM encoding").fetchone()
                if count + len(rows) > MAX_ROWS:
                    database.execute("DELETE FROM encoding")
                database.executemany("INSERT OR IGNORE INTO encoding VALUES (?, ?)", rows)

    def unzipped(self, archive: Path, member: str) -> Path | None:
        """A member of the model's zip as a file of its own, unzipped the first time; None
        when the folder cannot be written (the caller reads the zip)."""
        target = self.directory / f"model-{self.key}-{member}"
        with zipfile.ZipFile(archive) as files:
            size = files.getinfo(member).file_size
            with contextlib.suppress(OSError):
                if target.stat().st_size == size:
                    return target
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                write_atomically(target, lambda out: _unzip(files, member, out))
            except OSError as exc:
                self._failed(exc)
                return None
        return target

    @contextlib.contextmanager
    def _database(self) -> Iterator[sqlite3.Connection | None]:
        """An open connection, or None when the cache cannot be used now. A file that is not
        a database (corrupt, truncated) is deleted, to be made again by the next write."""
        try:
            database = self._open()
        except (OSError, sqlite3.Error) as exc:
            self._failed(exc)
            yield None
            return
        try:
            yield database
        except sqlite3.Error as exc:  # the table is unusable, or another node held it too long
            self._failed(exc)
        finally:
            database.close()

    def _open(self) -> sqlite3.Connection:
        self.directory.mkdir(parents=True, exist_ok=True)
        database = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            database.execute(
                "CREATE TABLE IF NOT EXISTS encoding (text TEXT PRIMARY KEY, vector BLOB)"
            )
        except BaseException:
            database.close()
            raise
        return database

    def _failed(self, exc: Exception) -> None:
        corrupt = isinstance(exc, sqlite3.DatabaseError) and not isinstance(
            exc, sqlite3.OperationalError
        )
        if corrupt:
            log.warning("encoding cache %s unreadable (%s); it is made again", self.path, exc)
            with contextlib.suppress(OSError):
                self.path.unlink()
            return
        if not self._warned:  # an unwritable folder fails at every write: said once
            self._warned = True
            log.warning(
                "sentence encodings not cached on disk in %s (%s): every start encodes them"
                " again; set %s to a folder this user can write",
                self.directory,
                exc,
                ENVIRONMENT,
            )


def _unzip(files: zipfile.ZipFile, member: str, out: IO[bytes]) -> None:
    with files.open(member) as source:
        while chunk := source.read(1 << 20):
            out.write(chunk)
