"""One Origin policy for every route a session cookie authenticates: /api/ and /ws/agent.

A browser attaches the agent's cookie to requests any page makes (SameSite=Strict stops
other sites, not another port of the same host), and websockets have no CORS at all. So a
request to those paths that says it comes from a page (Origin) must come from this server's
own origin or one the operator allowed (--allowed-origin). Requests without Origin are not
from a page's script (curl, the CLI, bearer-token clients) and carry no ambient credential.
New routes under /api/ get the policy without asking for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from helpline.client_address import client_scheme
from helpline.web.auth import json_error
from helpline.web.keys import SETTINGS, TRUSTED_PROXIES

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def cookie_route(path: str) -> bool:
    return path.startswith("/api/") or path == "/ws/agent" or path.startswith("/ws/agent/")


def own_origin(request: web.Request) -> str:
    """This server's origin as the client sees it (through a trusted TLS proxy: https)."""
    trusted = request.app[TRUSTED_PROXIES]
    proto = request.headers.get("X-Forwarded-Proto")
    scheme = client_scheme(request.remote, request.scheme, proto, trusted)
    return f"{scheme}://{request.host}".lower()


def origin_allowed(request: web.Request, origin: str) -> bool:
    origin = origin.strip().lower()
    return origin == own_origin(request) or origin in request.app[SETTINGS].allowed_origins


@web.middleware
def origin_policy(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """403 before any handler (and before a websocket upgrade) for a foreign page. Not a
    coroutine: like paths.path_guard, it checks before and passes the handler's awaitable on."""
    origin = request.headers.get("Origin")
    if origin is not None and cookie_route(request.path) and not origin_allowed(request, origin):
        raise json_error(
            web.HTTPForbidden, "bad_origin", "requests from this page's origin are not accepted"
        )
    return handler(request)
