"""Spike alerts and incident notices over HTTP (GET /api/alerts, GET/POST /api/incidents,
DELETE /api/incidents/{intent}), and the node's watcher, notices and webhook set up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from helpline.errors import IncidentError, StoreError
from helpline.service.alert import frames
from helpline.service.alert.incident import IncidentBoard
from helpline.service.alert.watch import SpikeWatcher
from helpline.service.alert.webhook import payload
from helpline.store.agents import Agent
from helpline.store.alerts import Alert, alert_store
from helpline.web.alert_webhook import WebhookSender
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import (
    BUS,
    CLOCK,
    CONVERSATIONS,
    INCIDENTS,
    METRICS,
    RULES,
    SETTINGS,
    SPIKES,
    STORE,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_STORE = {"Cache-Control": "no-store"}
STATUS: dict[str, type[web.HTTPException]] = {
    "not_found": web.HTTPNotFound,
    "bad_request": web.HTTPBadRequest,
}


async def alert_snapshot(app: web.Application) -> dict[str, Any]:
    """The alerts.snapshot frame: the standing alerts (from the store: every node's) and
    the standing notices."""
    found = await alert_store(app[STORE]).active_alerts()
    return frames.snapshot(found, app[INCIDENTS].standing())


async def alerts_list(request: web.Request) -> web.Response:
    """What stands now: the alerts and the notices (any signed-in agent)."""
    await require_agent(request)
    body = await _call(alert_snapshot(request.app))
    del body["type"]
    return web.json_response(body, headers=NO_STORE)


async def incidents_list(request: web.Request) -> web.Response:
    await require_agent(request)
    standing = request.app[INCIDENTS].standing()
    return web.json_response(
        {"incidents": [frames.incident_view(i) for i in standing]}, headers=NO_STORE
    )


async def incident_post(request: web.Request) -> web.Response:
    """{"intent": name, "texts": {"ko": ..., "en": ...}} (one language is enough)."""
    supervisor = await _require_supervisor(request)
    intent, texts = _post_request(await _json(request))
    posted = await _call(request.app[INCIDENTS].post(intent, texts, supervisor.id))
    return web.json_response({"incident": frames.incident_view(posted)}, status=201)


async def incident_delete(request: web.Request) -> web.Response:
    supervisor = await _require_supervisor(request)
    intent = request.match_info["intent"]
    lifted = await _call(request.app[INCIDENTS].lift(intent, supervisor.id))
    return web.json_response({"incident": frames.incident_view(lifted)}, headers=NO_STORE)


async def _require_supervisor(request: web.Request) -> Agent:
    agent = await require_agent(request)
    if agent.role != "supervisor":
        raise json_error(
            web.HTTPForbidden, "forbidden", "only supervisors post and lift incident notices"
        )
    return agent


async def _call(action: Awaitable[T]) -> T:
    """Await a service call; its refusals become their HTTP status with a JSON body."""
    try:
        return await action
    except IncidentError as exc:
        raise json_error(STATUS.get(exc.code, web.HTTPBadRequest), exc.code, exc.message) from exc
    except StoreError as exc:
        log.warning("alerts: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise json_error(web.HTTPBadRequest, "bad_request", "the body must be JSON") from None


def _post_request(body: Any) -> tuple[str, dict[str, str]]:
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    intent, texts = body.get("intent"), body.get("texts")
    if not isinstance(intent, str) or not intent.strip():
        raise _bad("give 'intent', the name of the intent the notice is about")
    if not isinstance(texts, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in texts.items()
    ):
        raise _bad('give \'texts\', the notice per language: {"ko": ..., "en": ...}')
    return intent.strip(), texts


def _bad(message: str) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, "bad_request", message)


async def alerts_ctx(app: web.Application) -> AsyncIterator[None]:
    """The node's notices (read before the first turn), spike watcher and webhook; after
    the services and metrics exist (app's _bus_ctx, metrics_ctx)."""
    store, bus, rules, clock = alert_store(app[STORE]), app[BUS], app[RULES], app[CLOCK]
    board = IncidentBoard(store, bus, rules, clock)
    await board.load()
    app[INCIDENTS] = board
    app[CONVERSATIONS].notices = board
    on_raised: list[Callable[[Alert], None]] = [app[METRICS].alert_raised]
    on_cleared: list[Callable[[Alert], None]] = []
    sender = _webhook(app)
    if sender is not None:

        def post(alert: Alert) -> None:
            sender.send(payload(alert, rules.current.rulebook.config))

        on_raised.append(post)
        on_cleared.append(post)
        await sender.start()
    app[SPIKES] = watcher = SpikeWatcher(
        store, bus, rules, clock, on_raised=on_raised, on_cleared=on_cleared
    )
    tasks = [asyncio.create_task(board.follow()), asyncio.create_task(watcher.run())]
    yield
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if sender is not None:
        await sender.close()
    app[CONVERSATIONS].notices = None


def _webhook(app: web.Application) -> WebhookSender | None:
    url = app[SETTINGS].alert_webhook_url
    return WebhookSender(url) if url else None


def setup_alerts(app: web.Application) -> None:
    app.router.add_get("/api/alerts", alerts_list)
    app.router.add_get("/api/incidents", incidents_list)
    app.router.add_post("/api/incidents", incident_post)
    app.router.add_delete("/api/incidents/{intent}", incident_delete)
