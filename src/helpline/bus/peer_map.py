"""Which workers of one machine listen to which topics: a file every worker maps.

For the workers of `helpline serve --workers N`, which share one machine and a private
Redis. A frame whose topic no other worker listens to needs no Redis at all: sent out and
read back by the worker that published it, it cost about 0.5 ms of a message's 1.3-2.0 ms
(docs/scaling.md). Each worker owns a slot of the file: per stripe of topics, how many of
its subscriptions listen there (so a publisher reads, without a system call, whether
another worker may want a frame), and how many frames it sent to Redis there (so a
receiver knows whether a frame of another worker may still be on its way; see
RedisBus._catch_up). Two topics on one stripe only cost a publish nobody reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

from helpline.errors import BusUnavailableError

STRIPES = 1 << 16  # with 600 topics a worker, 1 in 110 publishes goes out for nothing
SLOTS = 16  # workers of one machine at most (`serve --workers` refuses more)
_WORD = 8  # bytes of a count: 64 bits, so a sent count never wraps
_SLOT_WORDS = 2 * STRIPES  # listening counts, then sent counts
_HEADER_WORDS = 512  # a page before the slots: word 0 counts the slots ever claimed
_IN_USE = 0
_FILE_BYTES = (_HEADER_WORDS + SLOTS * _SLOT_WORDS) * _WORD


def stripe(topic: str) -> int:
    return zlib.crc32(topic.encode()) % STRIPES


class PeerMap:
    """This worker's slot (claimed with a lock on its byte, which the kernel frees when the
    worker dies, kill -9 included) and a view of every other slot.

    Only a slot's owner writes it, one event loop, so a count is a plain store. A dead
    worker's listening counts stay until a new worker claims its slot and clears them:
    meanwhile they only make others publish for nobody. Sent counts are never cleared,
    so a receiver never sees one go back and mistake a new frame for one it has.
    """

    slot: int

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _FILE_BYTES:
                os.ftruncate(fd, _FILE_BYTES)  # sparse: pages appear as stripes are used
            self._mmap = mmap.mmap(fd, _FILE_BYTES)
            self._words = memoryview(self._mmap).cast("Q")
            with _claiming(fd):
                self.slot = _free_slot(fd, self.path)
                self._words[_IN_USE] = max(self._words[_IN_USE], self.slot + 1)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        base = _HEADER_WORDS + self.slot * _SLOT_WORDS
        self._listening = base
        self._sent = base + STRIPES
        self._clear_listening()
        self._in_use = 0
        self._others: list[tuple[int, int]] = []  # (slot, base) of the others ever claimed

    def _clear_listening(self) -> None:
        base = self._listening
        if any(self._words[base : base + STRIPES]):
            self._words[base : base + STRIPES] = memoryview(bytes(STRIPES * _WORD)).cast("Q")

    def _other_slots(self) -> list[tuple[int, int]]:
        in_use = self._words[_IN_USE]
        if in_use != self._in_use:  # a worker took a slot never used before
            self._in_use = in_use
            self._others = [(slot, _HEADER_WORDS + slot * _SLOT_WORDS)
                            for slot in range(in_use) if slot != self.slot]  # fmt: skip
        return self._others

    def listen(self, topic_stripe: int) -> None:
        self._words[self._listening + topic_stripe] += 1

    def unlisten(self, topic_stripe: int) -> None:
        if self._words[self._listening + topic_stripe]:
            self._words[self._listening + topic_stripe] -= 1

    def others_listen(self, topic_stripe: int) -> bool:
        words = self._words
        return any(words[base + topic_stripe] for _, base in self._other_slots())

    def count_sent(self, topic_stripe: int) -> int:
        """One more frame of this worker's on the stripe; the new count, sent with it."""
        index = self._sent + topic_stripe
        count = self._words[index] = self._words[index] + 1
        return count

    def sent(self, topic_stripe: int) -> dict[int, int]:
        """Every other slot's count of frames it sent on the stripe (those not yet 0)."""
        words = self._words
        counts = {}
        for slot, base in self._other_slots():
            count = words[base + STRIPES + topic_stripe]
            if count:
                counts[slot] = count
        return counts

    def close(self) -> None:
        self._clear_listening()
        self._words.release()
        self._mmap.close()
        os.close(self._fd)  # frees the slot


@contextlib.contextmanager
def _claiming(fd: int) -> Iterator[None]:
    """One worker at a time choosing its slot (a lock on the byte past the slots')."""
    _lock(fd, fcntl.F_WRLCK, SLOTS, wait=True)
    try:
        yield
    finally:
        _lock(fd, fcntl.F_UNLCK, SLOTS, wait=True)


def _free_slot(fd: int, path: Path) -> int:
    for slot in range(SLOTS):
        try:
            _lock(fd, fcntl.F_WRLCK, slot, wait=False)
        except (BlockingIOError, PermissionError):  # EAGAIN or EACCES: a live worker's
            continue
        return slot
    raise BusUnavailableError(str(path), f"more than {SLOTS} workers share it")


def _lock(fd: int, kind: int, byte: int, *, wait: bool) -> None:
    """An open file description lock on one byte: it belongs to this file descriptor, not
    (as lockf's does) to the process, so two maps in one process claim two slots, and
    closing the descriptor frees it."""
    flock = struct.pack("hhqqi4x", kind, os.SEEK_SET, byte, 1, 0)  # struct flock
    fcntl.fcntl(fd, fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK, flock)
