"""GET /metrics: this node's figures in Prometheus' text format, and their set-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from helpline.errors import StoreError
from helpline.store.reports import report_store
from helpline.web.keys import CLOCK, CONVERSATIONS, HANDOFF, METRICS, SOCKETS, STORE
from helpline.web.metrics import NodeMetrics, NodeState, shared_folder

# How often a worker of several writes down its open sockets for the others' scrapes: a
# scrape reaching another worker sees this worker's count at most this old
SOCKETS_EVERY_S = 1.0


async def metrics_ctx(app: web.Application) -> AsyncIterator[None]:
    """The node's metrics, watching its turns; after the services exist (app's _bus_ctx)."""
    state = NodeState(
        queue=lambda: app[HANDOFF].board.rows,
        sockets=lambda: len(app[SOCKETS]),
        clock=app[CLOCK],
    )
    app[METRICS] = metrics = NodeMetrics(state, shared_folder())
    app[CONVERSATIONS].observer = metrics
    counting = asyncio.create_task(_count_sockets(metrics)) if metrics.shared else None
    yield
    app[CONVERSATIONS].observer = None
    if counting is not None:
        counting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await counting


async def _count_sockets(metrics: NodeMetrics) -> None:
    while True:
        metrics.count_sockets()
        await asyncio.sleep(SOCKETS_EVERY_S)


async def metrics(request: web.Request) -> web.Response:
    found = request.app[METRICS]
    try:  # the one figure the node does not hold: it lives in the shared store
        found.state.outbox = await report_store(request.app[STORE]).outbox_counts()
    except StoreError:
        found.state.outbox = None  # an unreachable database must not hide the other figures
    return web.Response(body=found.page(), headers={"Content-Type": CONTENT_TYPE_LATEST})
