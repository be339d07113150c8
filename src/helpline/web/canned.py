"""Canned answers over HTTP: GET /api/canned (what this agent may use), POST, PATCH and
DELETE /api/canned[/{id}] for supervisors, and their console page (/console/canned). Also
this node's copy of the answers, kept current from the bus."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

from aiohttp import web

from helpline.errors import CannedError, StoreError
from helpline.service.handoff.canned_library import CannedLibrary, answer_view
from helpline.store.canned import canned_store
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import BUS, CANNED, CLOCK, DESK, RULES, STORE
from helpline.web.widget import serve_page

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_STORE = {"Cache-Control": "no-store"}
STATUS: dict[str, type[web.HTTPException]] = {
    "not_found": web.HTTPNotFound,
    "bad_request": web.HTTPBadRequest,
    "forbidden": web.HTTPForbidden,
    "conflict": web.HTTPConflict,
}


async def canned_list(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    answers = [answer_view(a) for a in request.app[CANNED].answers(agent)]
    return web.json_response({"canned": answers}, headers=NO_STORE)


async def canned_add(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    body = await _json(request)
    added = await _call(request.app[CANNED].add(agent, body))
    return web.json_response({"canned": answer_view(added)}, status=201, headers=NO_STORE)


async def canned_change(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    body = await _json(request)
    changed = await _call(request.app[CANNED].change(agent, request.match_info["id"], body))
    return web.json_response({"canned": answer_view(changed)}, headers=NO_STORE)


async def canned_delete(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    await _call(request.app[CANNED].delete(agent, request.match_info["id"]))
    return web.Response(status=204, headers=NO_STORE)


async def canned_page(request: web.Request) -> web.FileResponse:
    return serve_page(request, "canned.html")


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise json_error(web.HTTPBadRequest, "bad_request", "the body must be JSON") from None


async def _call(action: Awaitable[T]) -> T:
    """Await a library call; its refusals become their HTTP status with a JSON body."""
    try:
        return await action
    except CannedError as exc:
        raise json_error(STATUS.get(exc.code, web.HTTPBadRequest), exc.code, exc.message) from exc
    except StoreError as exc:
        log.warning("canned answers: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc


async def canned_ctx(app: web.Application) -> AsyncIterator[None]:
    """After the desk exists (the app's _bus_ctx); read before the first agent searches."""
    rules = app[RULES]
    library = CannedLibrary(
        canned_store(app[STORE]), app[BUS], lambda: rules.current.rulebook.config.languages,
        app[CLOCK],
    )  # fmt: skip
    await library.load()
    app[CANNED] = library
    app[DESK].library = library
    following = asyncio.create_task(library.follow())
    try:
        yield
    finally:
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
        app[DESK].library = None


def setup_canned(app: web.Application) -> None:
    app.cleanup_ctx.append(canned_ctx)
    app.router.add_get("/console/canned", canned_page)
    app.router.add_get("/api/canned", canned_list)
    app.router.add_post("/api/canned", canned_add)
    app.router.add_patch("/api/canned/{id}", canned_change)
    app.router.add_delete("/api/canned/{id}", canned_delete)
