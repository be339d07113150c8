"""Build the aiohttp application: shared objects, their lifetimes, the routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import WSCloseCode, web

from helpline.actions import step_for
from helpline.bus import Bus, MemoryBus
from helpline.bus.file_lock import FileLockRegistry
from helpline.bus.locks import LockRegistry
from helpline.client_address import parse_networks
from helpline.matcher import IndexCache
from helpline.matcher.encoder_cache import default_dir
from helpline.rules.model import Rulebook
from helpline.service.conversation import ConversationService
from helpline.service.handoff.actions import AgentDesk
from helpline.service.handoff.service import HandoffService
from helpline.service.rules_holder import RulesHolder
from helpline.settings import Settings
from helpline.store import SQLiteStore, open_store
from helpline.store.base import Store
from helpline.web.admission import Admission
from helpline.web.alerts import alerts_ctx
from helpline.web.descriptors import DescriptorBudget
from helpline.web.headers import add_security_headers
from helpline.web.keys import (
    ADMISSION,
    BUS,
    CLOCK,
    CONVERSATIONS,
    DESK,
    HANDOFF,
    MAILER,
    RULES,
    SETTINGS,
    SOCKETS,
    STORE,
    TRUSTED_PROXIES,
)
from helpline.web.mailer import mailer_ctx
from helpline.web.metrics_route import metrics_ctx
from helpline.web.origin import origin_policy
from helpline.web.paths import path_guard
from helpline.web.reload import watch_rules_ctx
from helpline.web.routes import setup_routes
from helpline.web.socket_watch import SocketWatch

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    rulebook: Rulebook | None = None,
    clock: Callable[[], float] | None = None,
) -> web.Application:
    """The node's app. A given store must be open and stays the caller's to close; without
    one the app opens settings.database_url. Without a rulebook it loads settings.rules_dir
    (RulesError on bad rules). Rule edits are picked up while reload_interval_s > 0."""
    app = web.Application()
    app[SETTINGS] = settings
    app[CLOCK] = clock or time.time
    # the matcher's index is kept beside the encoder's files: restarts and reloads to rules
    # served before read it back (matcher/index_cache.py)
    rules = rulebook if rulebook is not None else _load(settings)
    app[RULES] = RulesHolder(rules, IndexCache(default_dir()))
    app[SOCKETS] = SocketWatch(settings.limits)
    app[TRUSTED_PROXIES] = parse_networks(settings.trusted_proxies)
    descriptors = DescriptorBudget(settings.connections.fd_reserve)  # RLIMIT_NOFILE, read now
    app[ADMISSION] = Admission(settings.connections, descriptors, app[CLOCK])
    app.middlewares.append(path_guard)
    app.middlewares.append(origin_policy)  # before the agent guard: no store read for it
    app.on_response_prepare.append(add_security_headers)
    app.cleanup_ctx.append(_store_ctx(store))
    app.cleanup_ctx.append(_bus_ctx)
    app.cleanup_ctx.append(metrics_ctx)  # watches the turns _bus_ctx's services run
    app.cleanup_ctx.append(alerts_ctx)  # counted in the metrics
    app.cleanup_ctx.append(mailer_ctx)
    app.cleanup_ctx.append(watch_rules_ctx)
    app.on_shutdown.append(_close_sockets)
    setup_routes(app)
    return app


def _load(settings: Settings) -> Rulebook:
    from helpline.rules import load_rulebook

    return load_rulebook(settings.rules_dir)


def _store_ctx(
    given: Store | None,
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def store_ctx(app: web.Application) -> AsyncIterator[None]:
        if given is not None:
            app[STORE] = given
            yield
            return
        store = open_store(app[SETTINGS].database_url, setting="database_url")
        if isinstance(store, SQLiteStore) and app[SETTINGS].lock_file is not None:
            store.hold_s = 0.0  # other processes write to the file (serve --workers N)
        await store.open()
        app[STORE] = store
        try:
            yield
        finally:
            await store.close()

    return store_ctx


async def _shared_bus(settings: Settings) -> tuple[Bus, LockRegistry]:
    """This node's own bus and locks, or, with settings.redis_url, Redis's: frames fan out
    to every node and a conversation's turns hold its lock on all of them."""
    if settings.redis_url is None:
        return MemoryBus(), LockRegistry()
    from helpline.bus.redis import RedisBus
    from helpline.bus.redis_lock import RedisLockRegistry
    from helpline.bus.worker_bus import worker_bus

    if settings.lock_file is not None:  # every node on this machine: a system call a lock
        bus: RedisBus = worker_bus(
            settings.redis_url, settings.lock_file, prefix=settings.redis_prefix
        )
        await bus.open()
        return bus, FileLockRegistry(settings.lock_file)
    bus = RedisBus(settings.redis_url, prefix=settings.redis_prefix)
    await bus.open()
    return bus, RedisLockRegistry(bus.client, prefix=settings.redis_prefix)


async def _bus_ctx(app: web.Application) -> AsyncIterator[None]:
    bus, locks = await _shared_bus(app[SETTINGS])
    app[BUS] = bus
    actions = step_for(app[SETTINGS])
    conversations = ConversationService(
        app[STORE], bus, app[RULES], app[CLOCK], locks=locks, actions=actions
    )
    app[CONVERSATIONS] = conversations
    handoff = HandoffService(
        app[STORE], bus, app[RULES], app[CLOCK], conversations.locks,
        can_email=app[SETTINGS].smtp is not None,
    )  # fmt: skip
    await handoff.start()  # the queue as the store left it, even after a kill -9
    conversations.handoff = handoff
    app[HANDOFF] = handoff
    app[DESK] = AgentDesk(handoff, lambda: app.get(MAILER))
    yield
    await handoff.stop()
    await actions.close()
    await bus.close()
    if isinstance(locks, FileLockRegistry):
        locks.close()


async def _close_sockets(app: web.Application) -> None:
    live = app[SOCKETS]
    sockets = list(live.sockets())
    if sockets:
        log.info("closing %d open sockets", len(sockets))
    await asyncio.gather(
        *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown") for ws in sockets),
        return_exceptions=True,
    )
    await live.stop()
