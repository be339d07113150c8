"""GET /api/conversations and /api/conversations/{id}: the conversations view's API, and
the console page that shows it (/console/conversations)."""

from __future__ import annotations

import logging
from typing import cast

from aiohttp import web

from helpline.errors import StoreError, ViewError
from helpline.service.conversation_view import (
    ConversationView,
    ViewStore,
    page_view,
    parse_request,
)
from helpline.service.report import desk_of
from helpline.store.handoff import handoff_store
from helpline.store.search import search_store
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import CLOCK, RULES, STORE, TICKETS
from helpline.web.widget import serve_page

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
STATUS: dict[str, type[web.HTTPException]] = {
    "bad_request": web.HTTPBadRequest,
    "forbidden": web.HTTPForbidden,
    "not_found": web.HTTPNotFound,
}


async def conversations(request: web.Request) -> web.Response:
    """?status=&team=&agent=&intent=&language=&csat=&tag=&ticket=&sla=&since=&until=&q=
    &cursor=&limit="""
    agent = await require_agent(request)
    zone = desk_of(request.app[RULES].current.rulebook.config).zone
    try:
        asked = parse_request(request.query, agent, zone, request.app[CLOCK]())
        page = await _view(request).page(asked)
    except ViewError as exc:
        raise json_error(STATUS[exc.code], exc.code, exc.message) from None
    except StoreError as exc:
        raise _unavailable(exc) from exc
    return web.json_response(page_view(page), headers=NO_STORE)


async def conversation(request: web.Request) -> web.Response:
    """One conversation's transcript, notes and tickets, read-only."""
    agent = await require_agent(request)
    try:
        found = await _view(request).transcript(request.match_info["id"], agent)
    except ViewError as exc:
        raise json_error(STATUS[exc.code], exc.code, exc.message) from None
    except StoreError as exc:
        raise _unavailable(exc) from exc
    return web.json_response(found, headers=NO_STORE)


async def conversations_page(request: web.Request) -> web.FileResponse:
    return serve_page(request, "conversations.html")


def _view(request: web.Request) -> ConversationView:
    store = request.app[STORE]
    # StoreError when the backend does not search or keep tickets
    search_store(store)
    handoff_store(store)
    return ConversationView(cast(ViewStore, store), request.app[TICKETS])


def _unavailable(exc: StoreError) -> web.HTTPException:
    log.warning("conversations view: the store refused: %s", exc)
    return json_error(
        web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
    )


def setup_conversations(app: web.Application) -> None:
    app.router.add_get("/console/conversations", conversations_page)
    app.router.add_get("/api/conversations", conversations)
    app.router.add_get("/api/conversations/{id}", conversation)
