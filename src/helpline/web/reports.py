"""GET /api/reports, its drill-down /api/reports/conversations and one conversation's
transcript /api/reports/conversations/{conversation}: the desk's figures, for supervisors."""

from __future__ import annotations

import re

from aiohttp import web

from helpline.service.report import Desk, Period, desk_of, period, read_conversations, read_report
from helpline.service.report.export import csv_text
from helpline.service.report.names import name_groups, name_rows
from helpline.service.report.transcript import read_transcript
from helpline.store.agents import agent_store
from helpline.store.handoff import handoff_store
from helpline.store.reports import report_store
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import CLOCK, RULES, STORE

NO_STORE = {"Cache-Control": "no-store"}
FORMATS = ("json", "csv")
# what conversation ids are made of (c_ and hex); anything else names none, and is never
# handed to a database that refuses some characters (PostgreSQL: NUL)
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")


async def reports(request: web.Request) -> web.Response:
    """The same object as `helpline report --format json`: ?since=7d&until=ISO&by=day;
    with &format=csv, the same CSV as `--format csv`, as a file to save."""
    output = request.query.get("format") or "json"
    if output not in FORMATS:
        await _supervisor(request)  # who asks is told first: 401/403 before 400
        raise json_error(web.HTTPBadRequest, "bad_request", "format: one of json, csv")
    desk, span = await _asked(request)
    by = request.query.get("by") or None
    try:
        found = await read_report(report_store(request.app[STORE]), span, by, desk)
        await name_groups(found, agent_store(request.app[STORE]))
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from None
    if output == "csv":
        name = f"helpline-report-{by or 'period'}.csv"
        headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'}
        # a byte-order mark: spreadsheets read the file as UTF-8 then (Korean names and all)
        text = "\ufeff" + csv_text(found)
        return web.Response(text=text, content_type="text/csv", headers=headers)
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
        await name_rows(found, agent_store(request.app[STORE]))
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from None
    return web.json_response(found, headers=NO_STORE)


async def report_transcript(request: web.Request) -> web.Response:
    """One conversation of a drill-down, read-only: its customer, tickets and transcript."""
    await _supervisor(request)
    cid = request.match_info["conversation"]
    store = request.app[STORE]
    found = None
    if _CONVERSATION_ID.fullmatch(cid):
        found = await read_transcript(store, handoff_store(store), agent_store(store), cid)
    if found is None:
        raise json_error(web.HTTPNotFound, "not_found", "no such conversation")
    return web.json_response(found, headers=NO_STORE)


async def _supervisor(request: web.Request) -> None:
    """401 without a session, 403 for an agent who is not a supervisor."""
    agent = await require_agent(request)
    if agent.role != "supervisor":
        raise json_error(web.HTTPForbidden, "forbidden", "reports are for supervisors")


async def _asked(request: web.Request) -> tuple[Desk, Period]:
    """The supervisor's desk and period, or 401/403/400 before anything is read."""
    await _supervisor(request)
    desk = desk_of(request.app[RULES].current.rulebook.config)
    query = request.query
    try:
        span = period(
            query.get("since") or "7d", query.get("until"), desk.zone, request.app[CLOCK]()
        )
    except ValueError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", str(exc)) from None
    return desk, span
