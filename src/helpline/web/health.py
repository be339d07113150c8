"""GET /healthz: whether this node can serve, for a load balancer and the operator.

200 and "ok" only when the store answers a cheap read, the bus answers a ping, and the
node has descriptors to spare; otherwise 503 and "degraded", naming the part, so a load
balancer sends new customers to a node that can take them.
"""

from __future__ import annotations

import asyncio
import logging
import os

from aiohttp import web

from helpline.web.keys import ADMISSION, BUS, STORE

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 2.0  # a store or bus slower than this to a trivial request is failing
PROBE_ID = "healthz-probe"  # no conversation has this id: the read finds nothing


async def healthz(request: web.Request) -> web.Response:
    app = request.app
    store_ok, bus_ok = await asyncio.gather(_store_answers(app), _bus_answers(app))
    descriptors = app[ADMISSION].descriptors.now()
    healthy = store_ok and bus_ok and not descriptors.refusing
    body = {
        "status": "ok" if healthy else "degraded",
        "store": "ok" if store_ok else "failing",
        "bus": "ok" if bus_ok else "failing",
        "descriptors": descriptors.as_json(),
        # which process answered: with `serve --workers N` the workers share the port
        "pid": os.getpid(),
    }
    return web.json_response(body, status=200 if healthy else 503)


async def _store_answers(app: web.Application) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await app[STORE].conversation(PROBE_ID)
    except Exception as exc:  # whatever a backend driver raises, the store is not serving
        log.warning("health probe: the store failed: %s: %s", type(exc).__name__, exc)
        return False
    return True


async def _bus_answers(app: web.Application) -> bool:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await app[BUS].ping()
    except Exception as exc:  # BusUnavailableError, a timeout, or the driver's own
        log.warning("health probe: the bus failed: %s: %s", type(exc).__name__, exc)
        return False
    return True
