"""The matcher's index kept on disk between starts and reloads, keyed by all that goes into it.

A cold build of 15,000 examples takes 2-5 s of CPU (most of it Python over every example,
a third training the classifier), 50,000 about 45 s, and with the sentence encoders on,
minutes the first time; read back from here, 0.22 s at 15,000 (bench/rules_load.py; a whole
start: bench/serve_start.py), the big arrays mapped rather than copied (index_archive.py).
The file is index-<key>.npz in the encoder's cache folder ($HELPLINE_CACHE_DIR, else the
user's cache folder: encoder_cache.default_dir), written by index_file.py.

The key is a hash of everything a cold build reads: the rows in order, the synonyms, each
sentence encoder's identity (its model's files and code version), the source of the code
that builds an index (this package and text.py, so an edit there needs no version bump to
miss), helpline's version, numpy's and scipy's (the training's arithmetic) and the file's
FORMAT. A cold build stays what a read-back index is checked against (tests/test_index_cache.py).

Written to a temporary file beside the target and renamed into place, so a reader sees a
whole file or none. Processes starting at once (`serve --workers N`, several nodes on one
machine) share a lock per key: readers hold it shared, and the first to miss takes it
alone, builds and writes while the others wait, and they then read its file instead of each
training the same classifier. Nothing here may stop a start: a file that is not what it
should be is logged and built again, and a folder that cannot be written logs one warning
and every start builds cold.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import importlib.util
import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from helpline import __version__
from helpline.cache_files import forget_old, write_atomically
from helpline.matcher.encoder import CachedEncoder
from helpline.matcher.index import Index
from helpline.matcher.index_file import FORMAT, BadIndexFile, read_parts, write_parts
from helpline.matcher.string_table import string_arrays
from helpline.text import SynonymMap

log = logging.getLogger(__name__)

# Index files kept in the folder, the most recently used first: the rules served now, the
# last few edits (a reload back to one is a hit), and other rules directories on the
# machine. 15,000 examples take about 13 MB, 50,000 (1,185 intents) 144 MB, most of it the
# classifier's weights; older files are deleted after each write.
KEEP = 8
SOURCE = Path(__file__).resolve().parent  # the code that builds an index, with text.py
TEXT = SOURCE.parent / "text.py"


@functools.cache
def code_version() -> str:
    """A hash of the code that builds an index: every file of this package (source, and
    the data files by name, size and time, as model_key does) and text.py."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted([*SOURCE.iterdir(), TEXT]):
        if path.suffix == ".py":
            digest.update(path.name.encode() + path.read_bytes())
        elif path.is_dir():
            for data in sorted(path.iterdir()):
                stat = data.stat()
                digest.update(f"{data.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


@functools.cache
def scipy_version() -> str:
    """A hash of scipy's version.py (its version and git revision), found without importing
    scipy (a read-back needs none) and without importlib.metadata, whose scan of every
    installed package took 15-30 ms of each start."""
    spec = importlib.util.find_spec("scipy")
    for folder in (spec.submodule_search_locations or ()) if spec else ():
        with contextlib.suppress(OSError):
            return hashlib.sha256((Path(folder) / "version.py").read_bytes()).hexdigest()
    return "none"


def index_key(
    rows: Sequence[tuple[str, str]],
    synonyms: SynonymMap | None,
    encoders: Sequence[CachedEncoder],
) -> str | None:
    """What names the index of these rows; None when an encoder has no identity (no disk
    cache of its own, as in tests): its numbers could not be told from another model's."""
    identities = [encoder.identity for encoder in encoders]
    if None in identities:
        return None
    header = {
        "format": FORMAT,
        "code": code_version(),
        "numpy": np.__version__,
        "scipy": scipy_version(),
        "machine": platform.machine(),
        "encoders": identities,
        "synonyms": synonyms.pairs() if synonyms else [],
    }
    digest = hashlib.sha256(json.dumps(header).encode())
    # the intents, then the texts, as string tables (half the cost of the rows in JSON),
    # each after its sizes, so that no two lists of rows hash alike
    for column in list(zip(*rows, strict=True)) or [(), ()]:
        text, lengths = string_arrays(column)
        digest.update(np.array([text.nbytes, len(lengths)], np.int64).tobytes())
        digest.update(text.tobytes())
        digest.update(lengths.tobytes())
    return digest.hexdigest()[:32]


class IndexCache:
    """Index files in `directory`; `read` and `built` count what each call did."""

    def __init__(self, directory: Path, keep: int = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self.read = 0
        self.built = 0
        self._warned = False

    def index(
        self,
        rows: list[tuple[str, str]],
        synonyms: SynonymMap | None,
        encoders: Sequence[CachedEncoder] = (),
    ) -> Index:
        """The index of these rows: read back when a file has it, else built and kept."""
        key = index_key(rows, synonyms, encoders)
        if key is None:
            return Index(rows, synonyms, encoders)
        path = self.directory / f"index-{key}.npz"
        with self._locked(key) as exclusive:
            seen = _identity(path)
            found = self._read(path, key, rows, synonyms, encoders) if seen else None
            if found is None:
                exclusive()  # others that missed wait here, then find this one's file
                if _identity(path) != seen:
                    found = self._read(path, key, rows, synonyms, encoders)
            if found is not None:
                with contextlib.suppress(OSError):
                    os.utime(path)  # recently used: kept when older files are deleted
                self.read += 1
                return found
            started = time.perf_counter()
            index = Index(rows, synonyms, encoders)
            self.built += 1
            self._write(path, key, index)
        log.info("matcher index of %d examples built in %.1f s", len(rows), _since(started))
        forget_old(self.directory, "index-", ".npz", self.keep, companions=(".lock",))
        return index

    def _read(
        self,
        path: Path,
        key: str,
        rows: list[tuple[str, str]],
        synonyms: SynonymMap | None,
        encoders: Sequence[CachedEncoder],
    ) -> Index | None:
        started = time.perf_counter()
        try:
            parts = read_parts(path, key, rows, encoders)
            index = Index.restored(parts, synonyms, encoders)
        except FileNotFoundError:  # deleted since it was seen: as if never written
            return None
        # KeyError: a word whose form has no IDF, which no file this code wrote has
        except (BadIndexFile, KeyError) as exc:
            log.warning("matcher index %s unusable (%s); building it again", path, exc)
            return None
        log.info("matcher index read back from %s in %.2f s", path, _since(started))
        return index

    def _write(self, path: Path, key: str, index: Index) -> None:
        try:
            write_atomically(path, lambda file: write_parts(file, key, index.parts))
        except OSError as exc:
            self._failed(exc)

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[Callable[[], None]]:
        """Shared hold of the key's lock; the callable yielded makes it exclusive. Without
        a lock file (a folder that cannot be written) nothing is held."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = open(self.directory / f"index-{key}.lock", "a+b")  # noqa: SIM115
        except OSError as exc:
            self._failed(exc)
            yield lambda: None
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            yield lambda: fcntl.flock(handle, fcntl.LOCK_EX)

    def _failed(self, exc: OSError) -> None:
        if not self._warned:  # an unwritable folder fails at every start: said once
            self._warned = True
            log.warning(
                "matcher index not kept on disk in %s (%s): every start builds it again",
                self.directory,
                exc,
            )


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which file is at path now (None: none), to tell whether another process wrote it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _since(started: float) -> float:
    return time.perf_counter() - started
