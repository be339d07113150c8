"""The tickets' HTTP API: GET /api/tickets (with SLA due times), GET and PATCH
/api/tickets/{id}; agents see their teams' tickets, supervisors all and change them.
Also the SLA breach check's lifetime on this node."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from helpline.errors import StoreError, TicketError
from helpline.service.sla.tickets import MAX_LIST, TicketDesk, change_from, statuses_from
from helpline.service.sla.watch import BreachWatch
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import BREACH_WATCH, BUS, CLOCK, DESK, RULES, STORE, TICKETS
from helpline.web.sla_webhook import SlaWebhook

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
STATUS: dict[str, type[web.HTTPException]] = {
    "not_found": web.HTTPNotFound,
    "bad_request": web.HTTPBadRequest,
    "forbidden": web.HTTPForbidden,
    "conflict": web.HTTPConflict,
}


async def ticket_list(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    query = request.query
    limit = _limit(query.get("limit"))
    team = query.get("team") or None
    found = await _call(
        lambda desk: desk.listed(agent, statuses_from(query.get("status")), team, limit), request
    )
    body = {"tickets": found, "now": request.app[CLOCK]()}
    return web.json_response(body, headers=NO_STORE)


async def ticket_one(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    found = await _call(lambda desk: desk.one(agent, request.match_info["ticket"]), request)
    return web.json_response({"ticket": found, "now": request.app[CLOCK]()}, headers=NO_STORE)


async def ticket_change(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    try:
        body = await request.json()
    except ValueError:
        raise json_error(web.HTTPBadRequest, "bad_request", "the body must be JSON") from None
    ticket_id = request.match_info["ticket"]
    changed = await _call(lambda desk: desk.change(agent, ticket_id, change_from(body)), request)
    return web.json_response({"ticket": changed, "now": request.app[CLOCK]()}, headers=NO_STORE)


def _limit(text: str | None) -> int:
    if text is None:
        return MAX_LIST
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIST:
        raise json_error(
            web.HTTPBadRequest, "bad_request", f"limit must be a whole number from 1 to {MAX_LIST}"
        )
    return int(text)


async def _call(action: Any, request: web.Request) -> Any:
    """Run a desk call; its refusals become their HTTP status with a JSON body."""
    try:
        return await action(request.app[TICKETS])
    except TicketError as exc:
        raise json_error(STATUS.get(exc.code, web.HTTPBadRequest), exc.code, exc.message) from exc
    except StoreError as exc:
        log.warning("tickets: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc


async def tickets_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the desk's context (it needs the desk), before the store closes."""
    rules = app[RULES]
    desk = TicketDesk(app[STORE], rules, app[CLOCK], app[DESK])
    app[TICKETS] = desk
    webhook = SlaWebhook(lambda: rules.current.rulebook.config.sla.webhook)
    watch = BreachWatch(desk, app[BUS], webhook)
    app[BREACH_WATCH] = watch
    watch.start()
    try:
        yield
    finally:
        await watch.stop()
        await webhook.close()


def setup_tickets(app: web.Application) -> None:
    app.cleanup_ctx.append(tickets_ctx)
    app.router.add_get("/api/tickets", ticket_list)
    app.router.add_get("/api/tickets/{ticket}", ticket_one)
    app.router.add_patch("/api/tickets/{ticket}", ticket_change)
