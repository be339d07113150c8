"""GET /api/reports and /api/reports/conversations: the desk's figures, for supervisors."""

from __future__ import annotations

from aiohttp import web

from helpline.service.report import Desk, Period, desk_of, period, read_conversations, read_report
from helpline.store.reports import report_store
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import CLOCK, RULES, STORE

NO_STORE = {"Cache-Control": "no-store"}


async def reports(request: web.Request) -> web.Response:
    """The same object as `helpline report --format json`: ?since=7d&until=ISO&by=day."""
    desk, span = await _asked(request)
    by = request.query.get("by") or None
    try:
        found = await read_report(report_store(request.app[STORE]), span, by, desk)
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from None
    return web.json_response(found, headers=NO_STORE)


async def report_conversations(request: web.Request) -> web.Response:
    """The conversations behind one figure (?figure=handoffs:frustration), within a group
    when ?by=&key= say which (the drill-down from a bar or a table row)."""
    desk, span = await _asked(request)
    figure = request.query.get("figure", "")
    by, key = request.query.get("by") or None, request.query.get("key")
    try:
        found = await read_conversations(
            report_store(request.app[STORE]), span, figure, desk, by, key
        )
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from None
    return web.json_response(found, headers=NO_STORE)


async def _asked(request: web.Request) -> tuple[Desk, Period]:
    """The supervisor's desk and period, or 401/403/400 before anything is read."""
    agent = await require_agent(request)
    if agent.role != "supervisor":
        raise json_error(web.HTTPForbidden, "forbidden", "reports are for supervisors")
    desk = desk_of(request.app[RULES].current.rulebook.config)
    query = request.query
    try:
        span = period(
            query.get("since") or "7d", query.get("until"), desk.zone, request.app[CLOCK]()
        )
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from None
    return desk, span
