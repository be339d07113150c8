"""`helpline serve --workers N`: N worker processes on one port, kept running.

Each worker is a whole node (`helpline serve` with --supervisor-fd): its own event loop,
store connection and bus client, listening on the same port with SO_REUSEPORT, so the
kernel deals new connections out among the workers and both cores do work. They share
what several nodes share: the database (SQLite's WAL takes writers from several
processes: each waits for the write lock, off its loop, while another commits) and a
Redis bus (--redis, or a private one this supervisor starts: cli/local_redis.py), over
which a conversation's turns hold one lock for every worker.

The supervisor itself serves nothing. It migrates the database once (workers starting
together would race to), keeps the port bound so a worker that restarts gets it back,
starts a worker again when it dies (kill -9 included: the sockets it held reconnect to
the others and resume from the store), forwards SIGTERM/SIGINT as a graceful stop, and
exits non-zero when a worker cannot start or keeps dying. It also gives the workers a
folder to add up their /metrics in (web/metrics.py), so a scrape of the port is the node's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.multiprocess import mark_process_dead

from helpline.bus.peer_map import SLOTS as PEER_SLOTS
from helpline.cli.local_redis import LocalRedis
from helpline.cli.worker_link import READY
from helpline.errors import ConfigError, HelplineError
from helpline.settings import Settings
from helpline.store import open_store
from helpline.web.metrics import SHARED_FOLDER

log = logging.getLogger(__name__)

# the serve options the supervisor decides for its workers instead of passing them on
_SUPERVISOR_ONLY = ("help", "workers", "port", "redis", "supervisor_fd", "lock_file")
STOP_GRACE_S = 10.0  # past the workers' own shutdown timeout, before they are killed


@dataclass(frozen=True)
class RestartPolicy:
    """When a dead worker starts again, and when the supervisor gives up on the node.

    A worker that dies is started again after a delay doubling with its recent deaths;
    more than max_restarts deaths of one worker within window_s is a crash loop (a bug,
    a full disk): the node stops with exit status 1 for whatever runs it to see."""

    max_restarts: int = 5
    window_s: float = 60.0
    first_delay_s: float = 0.1
    max_delay_s: float = 5.0

    def recent(self, deaths: Sequence[float], now: float) -> int:
        return sum(1 for at in deaths if now - at < self.window_s)

    def gives_up(self, deaths: Sequence[float], now: float) -> bool:
        return self.recent(deaths, now) > self.max_restarts

    def delay_s(self, deaths: Sequence[float], now: float) -> float:
        doublings = max(self.recent(deaths, now) - 1, 0)
        return float(min(self.first_delay_s * 2**doublings, self.max_delay_s))


def supervise(args: argparse.Namespace, parser: argparse.ArgumentParser, settings: Settings) -> int:
    """Run args.workers workers of `helpline serve` until a stop signal; the exit status."""
    if not hasattr(socket, "SO_REUSEPORT") or not sys.platform.startswith("linux"):
        print("helpline serve: --workers needs Linux (SO_REUSEPORT)", file=sys.stderr)
        return 2
    if settings.redis_url is None and args.workers > PEER_SLOTS:
        print(f"helpline serve: --workers: at most {PEER_SLOTS} with the workers' own Redis "
              "(give --redis for more)", file=sys.stderr)  # fmt: skip
        return 2
    try:
        holder = reserve_port(settings.host, settings.port)
    except OSError as exc:
        print(f"helpline serve: cannot listen on {settings.host}:{settings.port}: {exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    with holder:
        port = int(holder.getsockname()[1])

        def command(redis_url: str, lock_file: Path | None) -> list[str]:
            return worker_command(args, parser, port, redis_url, lock_file)

        supervisor = Supervisor(settings, args.workers, command, port)
        try:
            return asyncio.run(supervisor.run())
        except ConfigError as exc:
            print(f"helpline serve: {exc}", file=sys.stderr)
            return 2
        except HelplineError as exc:
            print(f"helpline serve: {exc}", file=sys.stderr)
            return 1


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to host:port (port 0: a free one) with SO_REUSEPORT, not listening:
    the kernel deals connections only to the workers' listening sockets, and while it is
    bound nobody outside the node can take the port between two workers' lives."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    holder = socket.socket(family, kind, proto)
    try:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(address)
    except OSError:
        holder.close()
        raise
    return holder


def worker_command(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    port: int,
    redis_url: str,
    lock_file: Path | None = None,
) -> list[str]:
    """The `helpline serve` command line of one worker: the options this one was given,
    on the reserved port and the shared Redis, with the conversation locks on lock_file
    when given (its --supervisor-fd is added at start)."""
    command = [sys.executable, "-m", "helpline"]
    if getattr(args, "verbose", False):
        command.append("--verbose")
    command.append("serve")
    for action in parser._actions:
        if action.option_strings and action.dest not in _SUPERVISOR_ONLY:
            command += _option(action, getattr(args, action.dest))
    command += ["--port", str(port), "--redis", redis_url]
    return command + (["--lock-file", str(lock_file)] if lock_file is not None else [])


def _option(action: argparse.Action, value: object) -> list[str]:
    flag = max(action.option_strings, key=len)
    if action.nargs == 0:  # a switch
        return [flag] if value else []
    if isinstance(value, list):  # repeated (action="append")
        return [part for item in value for part in (flag, str(item))]
    return [] if value is None else [flag, str(value)]


class Worker:
    """One worker process and the supervisor's end of its socket pair."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def pid(self) -> int:
        return self.process.pid if self.process is not None else 0

    async def start(self, command: list[str], env: dict[str, str] | None = None) -> None:
        ours, theirs = socket.socketpair()
        try:
            fd = theirs.fileno()
            # a session of its own: Linux's autogroup scheduling gives each session an
            # equal share of a busy machine, so workers left in the supervisor's session
            # would share one (measured: two workers got the CPU one process got). A
            # terminal's Ctrl-C then reaches the supervisor only, which passes it on.
            self.process = await asyncio.create_subprocess_exec(
                *command, "--supervisor-fd", str(fd), pass_fds=(fd,), start_new_session=True,
                env=env,
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the worker's copy is its own; ours must not keep it open
        self._reader, self._writer = await asyncio.open_unix_connection(sock=ours)

    async def listening(self) -> bool:
        """True once the worker says it listens; False when it ends before that."""
        assert self._reader is not None
        try:
            return await self._reader.readline() == READY
        except OSError:
            return False

    async def wait(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        count: int,
        command: Callable[[str, Path | None], list[str]],
        port: int,
        policy: RestartPolicy | None = None,
    ) -> None:
        self.settings = settings
        self.count = count
        self.command = command
        self.port = port
        self.policy = policy or RestartPolicy()
        self.workers: dict[int, Worker] = {}
        self._outcome: asyncio.Future[int] | None = None
        self._listening = [asyncio.Event() for _ in range(count)]
        self._metrics: Path | None = None  # the folder the workers' figures are added up in

    def _finish(self, code: int) -> None:
        if self._outcome is not None and not self._outcome.done():
            self._outcome.set_result(code)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        self._outcome = loop.create_future()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._finish, 0)
        redis = LocalRedis() if self.settings.redis_url is None else None
        # a fresh folder each run: prometheus_client reads every file in it as a live
        # process's, so one left from an earlier run would count twice
        self._metrics = Path(tempfile.mkdtemp(prefix="helpline-metrics-"))
        try:
            if redis is not None:
                await redis.start()
            await _migrate(self.settings)
            return await self._serve(redis)
        finally:
            if redis is not None:
                await redis.stop()
            shutil.rmtree(self._metrics, ignore_errors=True)

    async def _serve(self, redis: LocalRedis | None) -> int:
        """With a private Redis every worker is on this machine: the conversation locks
        are fcntl locks on a file of the node's (bus/file_lock.py), not Redis keys."""
        assert self._outcome is not None
        if redis is not None:
            command = self.command(redis.url, redis.folder / "conversations.lock")
        else:
            command = self.command(str(self.settings.redis_url), None)
        tasks = [asyncio.create_task(self._keep(i, command)) for i in range(self.count)]
        tasks.append(asyncio.create_task(self._announce()))
        if redis is not None:
            tasks.append(asyncio.create_task(self._watch_bus(redis)))
        try:
            return await self._outcome
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._stop_workers()

    async def _keep(self, index: int, command: list[str]) -> None:
        try:
            await self._keep_running(index, command)
        except Exception:  # cannot start a process at all (no memory, no descriptors)
            log.exception("worker %d could not be started; stopping the node", index)
            self._finish(1)

    async def _keep_running(self, index: int, command: list[str]) -> None:
        """Worker index, started again whenever it dies, until the node stops."""
        deaths: list[float] = []
        listened_once = False
        env = {**os.environ, SHARED_FOLDER: str(self._metrics)} if self._metrics else None
        while True:
            worker = self.workers[index] = Worker(index)
            await worker.start(command, env)
            if await worker.listening():
                listened_once = True
                self._listening[index].set()
                log.info("worker %d (pid %d) is listening", index, worker.pid)
            code = await worker.wait()
            worker.close()
            if self._metrics is not None:  # its counts stay in the node's; its sockets go
                mark_process_dead(worker.pid, str(self._metrics))  # type: ignore[no-untyped-call]
            if not listened_once:  # its start failed (bad rules, the database): it would again
                log.error("worker %d exited with status %d before it listened", index, code)
                self._finish(code or 1)
                return
            now = time.monotonic()
            deaths.append(now)
            if self.policy.gives_up(deaths, now):
                log.error("worker %d died %d times in %.0f s; stopping the node", index,
                          self.policy.recent(deaths, now), self.policy.window_s)  # fmt: skip
                self._finish(1)
                return
            delay = self.policy.delay_s(deaths, now)
            log.warning("worker %d (pid %d) exited with status %d; starting it again in %.1f s",
                        index, worker.pid, code, delay)  # fmt: skip
            await asyncio.sleep(delay)

    async def _announce(self) -> None:
        for listening in self._listening:
            await listening.wait()
        settings = self.settings
        print(
            f"Helpline is running at http://{settings.host}:{self.port}/ "
            f"({self.count} workers, rules: {settings.rules_dir}, "
            f"database: {settings.database_url})",
            flush=True,
        )

    async def _watch_bus(self, redis: LocalRedis) -> None:
        """The workers' private Redis is part of the node: without it no conversation lock
        holds, so the node stops (non-zero) rather than serve without them."""
        code = await redis.wait()
        log.error("the workers' Redis exited with status %d; stopping the node", code)
        self._finish(1)

    async def _stop_workers(self) -> None:
        workers = list(self.workers.values())
        for worker in workers:
            worker.signal(signal.SIGTERM)
        waits = [asyncio.create_task(w.wait()) for w in workers if w.process is not None]
        if not waits:
            return
        _, late = await asyncio.wait(waits, timeout=self.settings.shutdown_timeout_s + STOP_GRACE_S)
        for worker in workers:
            if worker.process is not None and worker.process.returncode is None:
                log.warning("worker %d (pid %d) did not stop; killing it", worker.index, worker.pid)
                worker.signal(signal.SIGKILL)
        if late:
            await asyncio.wait(late)
        for worker in workers:
            worker.close()


async def _migrate(settings: Settings) -> None:
    """Open and close the store once: its schema is migrated before any worker opens it."""
    store = open_store(settings.database_url, setting="database_url")
    await store.open()
    await store.close()
