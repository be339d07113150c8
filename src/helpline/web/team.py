"""Team management over HTTP, for supervisors: GET and POST /api/agents, PATCH
/api/agents/{id}, GET /api/teams, and the console page that uses them (/console/team)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from helpline.errors import StoreError, TeamError
from helpline.service.team import TeamDesk
from helpline.service.team_change import change_from, new_agent_from
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import AUTH, CLOCK, DESK, HANDOFF
from helpline.web.widget import serve_page

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
STATUS: dict[str, type[web.HTTPException]] = {
    "bad_request": web.HTTPBadRequest,
    "forbidden": web.HTTPForbidden,
    "not_found": web.HTTPNotFound,
    "conflict": web.HTTPConflict,
}


async def agent_list(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    found = await _call(request, lambda desk: desk.agents(agent))
    return web.json_response({"agents": found}, headers=NO_STORE)


async def team_list(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    found = await _call(request, lambda desk: desk.teams(agent))
    return web.json_response({"teams": found}, headers=NO_STORE)


async def agent_add(request: web.Request) -> web.Response:
    """The new agent, with an initial password shown in this response only."""
    agent = await require_agent(request)
    body = await _body(request)
    added, password = await _call(request, lambda desk: desk.add(agent, new_agent_from(body)))
    return web.json_response(
        {"agent": added, "initial_password": password}, status=201, headers=NO_STORE
    )


async def agent_change(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    body = await _body(request)
    agent_id = request.match_info["agent"]
    changed = await _call(request, lambda desk: desk.change(agent, agent_id, change_from(body)))
    return web.json_response({"agent": changed}, headers=NO_STORE)


async def team_page(request: web.Request) -> web.FileResponse:
    return serve_page(request, "team.html")


async def _body(request: web.Request) -> Any:
    # JSON only: a form post from another site needs no CORS preflight
    if request.content_type != "application/json":
        raise json_error(
            web.HTTPUnsupportedMediaType, "bad_request", "send the body as application/json"
        )
    try:
        return await request.json()
    except ValueError:
        raise json_error(web.HTTPBadRequest, "bad_request", "the body must be JSON") from None


async def _call(request: web.Request, action: Callable[[TeamDesk], Awaitable[Any]]) -> Any:
    """Run a team desk call; its refusals become their HTTP status with a JSON body."""
    app = request.app
    desk = TeamDesk(app[HANDOFF], app[DESK], lambda: app[AUTH].passwords, app[CLOCK])
    try:
        return await action(desk)
    except TeamError as exc:
        extra = {"field": exc.field} if exc.field else {}
        raise json_error(STATUS[exc.code], exc.code, exc.message, **extra) from None
    except StoreError as exc:
        log.warning("team: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc


def setup_team(app: web.Application) -> None:
    app.router.add_get("/console/team", team_page)  # supervisors: the API checks
    app.router.add_get("/api/agents", agent_list)
    app.router.add_post("/api/agents", agent_add)
    app.router.add_patch("/api/agents/{agent}", agent_change)
    app.router.add_get("/api/teams", team_list)
