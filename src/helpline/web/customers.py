"""GET /api/customers, GET /api/customers/{id}, POST /api/customers/{id}/notes: the
customer directory's API, and the console page that shows it (/console/customers)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

from aiohttp import web

from helpline.errors import CustomerError, StoreError
from helpline.service.customer_profile import (
    CustomerDirectory,
    ProfileStore,
    note_view,
    page_view,
)
from helpline.store.customer_directory import customer_directory
from helpline.store.handoff import handoff_store
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import CLOCK, STORE
from helpline.web.widget import serve_page

log = logging.getLogger(__name__)

T = TypeVar("T")
NO_STORE = {"Cache-Control": "no-store"}
STATUS: dict[str, type[web.HTTPException]] = {
    "bad_request": web.HTTPBadRequest,
    "forbidden": web.HTTPForbidden,
    "not_found": web.HTTPNotFound,
}


async def customers(request: web.Request) -> web.Response:
    """?q=&cursor=&limit=: the customers this agent may see, most recently seen first."""
    agent = await require_agent(request)
    page = await _answer(request, lambda d: d.page(request.query, agent))
    return web.json_response(page_view(page), headers=NO_STORE)


async def customer(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    found = await _answer(request, lambda d: d.profile(request.match_info["id"], agent))
    return web.json_response(found, headers=NO_STORE)


async def add_note(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    try:
        body = await request.json()
    except ValueError:
        raise json_error(web.HTTPBadRequest, "bad_request", "the body must be JSON") from None
    now = request.app[CLOCK]()
    note = await _answer(request, lambda d: d.add_note(request.match_info["id"], agent, body, now))
    return web.json_response({"note": note_view(note)}, status=201, headers=NO_STORE)


async def customers_page(request: web.Request) -> web.FileResponse:
    return serve_page(request, "customers.html")


async def _answer(request: web.Request, call: Callable[[CustomerDirectory], Awaitable[T]]) -> T:
    """The directory's answer; its refusals as their HTTP status with a JSON body."""
    try:
        store = request.app[STORE]
        customer_directory(store)  # StoreError when the backend keeps none
        handoff_store(store)
        return await call(CustomerDirectory(cast(ProfileStore, store)))
    except CustomerError as exc:
        raise json_error(STATUS[exc.code], exc.code, exc.message) from None
    except StoreError as exc:
        log.warning("customer directory: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc


def setup_customers(app: web.Application) -> None:
    app.router.add_get("/console/customers", customers_page)
    app.router.add_get("/api/customers", customers)
    app.router.add_get("/api/customers/{id}", customer)
    app.router.add_post("/api/customers/{id}/notes", add_note)
