"""`helpline serve`: run a node on one port until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from aiohttp import web

from helpline.cli.worker_link import SupervisorLink
from helpline.errors import ConfigError, HelplineError, RulesError
from helpline.rules.model import Rulebook
from helpline.settings import ConnectionLimits, Settings, from_environment

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("serve", help="run the chat server (widget, websocket, bot)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0: any free port)")
    parser.add_argument("--rules", default="bot_rules", help="rules directory (hot reloaded)")
    parser.add_argument(
        "--db",
        default="helpline.db",
        help="SQLite file or database URL (postgresql://user@host/db: shared by several nodes)",
    )
    parser.add_argument(
        "--redis",
        default=None,
        metavar="URL",
        help="Redis shared by several nodes, e.g. redis://localhost:6379/0 "
        "(default: this node alone, in-process fan-out and locks)",
    )
    parser.add_argument("--widget-dir", default=None, help="widget files (default: web_widget/)")
    parser.add_argument(
        "--action-endpoint",
        default=None,
        help="Rasa action server URL, e.g. http://localhost:5055/webhook "
        "(default: run the rules' actions/*.py in-process)",
    )
    parser.add_argument(
        "--action-timeout", type=float, default=5.0, help="seconds a custom action may take"
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="CIDR",
        help="a reverse proxy whose X-Forwarded-For names the client, e.g. 10.0.0.0/8 "
        "(repeat for several; default: none, the peer is the client)",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a page origin besides this server's own that may use the agent login, e.g. "
        "https://desk.example.com (repeat for several; default: none)",
    )
    defaults = ConnectionLimits()
    parser.add_argument(
        "--max-sockets-per-address",
        type=int,
        default=defaults.sockets_per_address,
        metavar="N",
        help="open websockets one client address may hold; more get HTTP 429 "
        f"(default: {defaults.sockets_per_address}, room for a busy office behind one NAT)",
    )
    parser.add_argument(
        "--max-new-conversations-per-minute",
        type=int,
        default=defaults.new_conversations_per_minute,
        metavar="N",
        help="new conversations one client address may start a minute; resumes never "
        f"count (default: {defaults.new_conversations_per_minute})",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=defaults.header_timeout_s,
        metavar="SECONDS",
        help="a connection must send its request headers this soon, and an idle keep-alive "
        f"connection is closed after it (default: {defaults.header_timeout_s:g})",
    )
    parser.add_argument(
        "--fd-reserve",
        type=int,
        default=defaults.fd_reserve,
        metavar="N",
        help="file descriptors kept free below `ulimit -n`; with fewer left new connections "
        f"get HTTP 503 (default: {defaults.fd_reserve})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes serving the one port (Linux SO_REUSEPORT), sharing the database and "
        "--redis, or a Redis this command starts for them (default: 1, this process alone)",
    )
    # a worker of `--workers N`: its end of the supervisor's socket pair (cli/worker_link.py)
    parser.add_argument("--supervisor-fd", type=int, default=None, help=argparse.SUPPRESS)
    # ...and the file whose fcntl locks are the conversation locks of the node's workers
    parser.add_argument("--lock-file", default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=partial(run, parser=parser))


def run(args: argparse.Namespace, parser: argparse.ArgumentParser | None = None) -> int:
    # A start makes millions of objects (the rules, the matcher's index) that live as long
    # as the node, and the collector walked them all again and again while they were made:
    # 15% of a 50,000-example start's CPU. Paused until the node listens; then what the
    # start made is left out of every later collection (_started).
    gc.disable()
    try:
        return _run(args, parser)
    finally:
        gc.enable()  # a start that stopped before it listened, or a supervisor's end


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser | None) -> int:
    try:
        settings = _settings(args)
        if args.workers > 1 and args.supervisor_fd is None:
            from helpline.cli.workers import supervise

            assert parser is not None, "the serve parser rebuilds the workers' command lines"
            gc.enable()  # the supervisor makes little, and runs as long as its workers
            return supervise(args, parser, settings)
        rulebook = _load_rules(settings.rules_dir)
    except RulesError as exc:
        print(f"helpline serve: the rules in {args.rules} have errors:", file=sys.stderr)
        print(exc, file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"helpline serve: {exc}", file=sys.stderr)
        return 2
    link = SupervisorLink(args.supervisor_fd) if args.supervisor_fd is not None else None
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        try:
            runner.run(serve(settings, rulebook, link))
        except HelplineError as exc:
            print(f"helpline serve: {exc}", file=sys.stderr)
            return 1
        finally:
            if link is not None:
                link.close()
    return 0


def _settings(args: argparse.Namespace) -> Settings:
    if args.workers < 1:
        raise ConfigError("--workers", f"must be 1 or more, not {args.workers}")
    settings = Settings(
        rules_dir=Path(args.rules), database_url=args.db, host=args.host, port=args.port
    )
    if args.widget_dir:
        settings = replace(settings, widget_dir=Path(args.widget_dir))
    settings = replace(
        settings,
        action_endpoint=args.action_endpoint,
        action_timeout_s=args.action_timeout,
        redis_url=args.redis,
        lock_file=Path(args.lock_file) if args.lock_file else None,
        trusted_proxies=tuple(args.trusted_proxy),
        allowed_origins=tuple(args.allowed_origin),
        connections=ConnectionLimits(
            sockets_per_address=args.max_sockets_per_address,
            new_conversations_per_minute=args.max_new_conversations_per_minute,
            header_timeout_s=args.header_timeout,
            fd_reserve=args.fd_reserve,
        ),
    )
    return from_environment(settings, os.environ)  # HELPLINE_IDENTITY_SECRET, HELPLINE_SMTP_*


def _load_rules(directory: Path) -> Rulebook:
    from helpline.matcher.encoder_cache import default_dir
    from helpline.rules import load_rulebook
    from helpline.rules.rulebook_cache import RulebookCache
    from helpline.sentence_model import KOREAN_WORDS_ONLY, WORDS_ONLY

    # kept beside the matcher's index: a restart with the same files reads both back
    rulebook = load_rulebook(directory, RulebookCache(default_dir()))
    # The one warning the operator must see at start: the bot answers worse than its rules
    # were tuned for. Only the start says it; hot reloads would repeat it for every edit.
    for problem in rulebook.warnings:
        if problem.message in (WORDS_ONLY, KOREAN_WORDS_ONLY):
            log.warning("%s", problem)
    return rulebook


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # optional speed-up; the default loop works the same
        return None
    return uvloop.new_event_loop


async def serve(
    settings: Settings, rulebook: Rulebook, supervisor: SupervisorLink | None = None
) -> None:
    """Listen until a stop signal, then close sockets with GOING_AWAY and the store. A
    worker of `--workers N` (with its supervisor's link) shares the port with the other
    workers, tells the supervisor when it listens, and stops when the supervisor is gone."""
    from helpline.web.app import create_app
    from helpline.web.keys import ADMISSION
    from helpline.web.listener import listen

    app = create_app(settings, rulebook=rulebook)
    runner = web.AppRunner(
        app,
        shutdown_timeout=settings.shutdown_timeout_s,
        handle_signals=False,
        access_log=None,
        # aiohttp closes a connection that has no complete request this long after it opened
        # or after its last response: the header-read timeout (slow headers were kept 615 s)
        keepalive_timeout=settings.connections.header_timeout_s,
    )
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    listener: asyncio.Server | None = None
    try:
        # not web.TCPSite: new connections are refused while descriptors are short
        budget = app[ADMISSION].descriptors
        shared = supervisor is not None
        listener = await listen(runner, budget, settings.host, settings.port, reuse_port=shared)
        _started()
        if supervisor is None:
            print(
                f"Helpline is running at http://{settings.host}:"
                f"{_bound_port(listener, settings)}/ "
                f"(rules: {settings.rules_dir}, database: {settings.database_url})",
                flush=True,
            )
        else:  # the supervisor says it once every worker listens
            supervisor.watch(loop, stop.set)
            supervisor.ready()
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
        if listener is not None:
            listener.close()  # no new connections; open ones are closed by the runner
        await runner.cleanup()


def _started() -> None:
    """The start is over: what it made stays out of the collector's walks, which resume."""
    gc.freeze()
    gc.enable()


def _bound_port(listener: asyncio.Server, settings: Settings) -> int:
    for sock in listener.sockets:
        address = sock.getsockname()
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return settings.port
