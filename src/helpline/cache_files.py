"""The files of the on-disk caches (the matcher's index, the encoders' vectors, the checked
rules): written whole or not at all, and the least recently used ones deleted."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

LEFT_BEHIND_S = 3600.0  # a temporary file this old is not being written any more


def write_atomically(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write a temporary file beside the target, then rename it into place: a reader sees
    a whole file or none, and two processes writing at once each rename a whole one."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            write(out)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def forget_old(
    directory: Path, prefix: str, suffix: str, keep: int, companions: tuple[str, ...] = ()
) -> None:
    """Delete all but the `keep` most recently used `prefix*suffix` files (each with its
    companions: the same name with those suffixes), and temporary files a process killed
    while writing left behind."""
    with contextlib.suppress(OSError):
        for left in directory.glob(f"{prefix}*.tmp"):
            if left.stat().st_mtime < time.time() - LEFT_BEHIND_S:
                left.unlink()
        found = sorted(
            directory.glob(f"{prefix}*{suffix}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for path in found[keep:]:
            with contextlib.suppress(OSError):
                path.unlink()
                for companion in companions:
                    path.with_suffix(companion).unlink()
