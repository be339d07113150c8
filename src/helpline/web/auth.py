"""Who an agent request comes from: sessions by cookie or bearer token, and the guard
that keeps everyone else out of /api/agent/* and /ws/agent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from helpline.client_address import parse_networks
from helpline.password import Passwords
from helpline.store.agents import Agent, AgentStore, agent_store
from helpline.web.attempts import FailedAttempts
from helpline.web.auth_settings import AuthSettings, AuthState
from helpline.web.keys import AUTH, AUTH_SETTINGS, CLOCK, SETTINGS, STORE

COOKIE = "helpline_agent"
MAX_TOKEN_CHARS = 128  # ours are 43; anything much longer is not worth hashing
LOGIN_PATH = "/api/agent/login"

# the agent a request was authenticated as (None: looked up, nobody), cached per request
AGENT: web.RequestKey[Agent | None] = web.RequestKey("agent")


def token_hash(token: str) -> str:
    """What the store keeps of a session token: a leaked table logs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


def agent_view(agent: Agent) -> dict[str, Any]:
    """An agent as the wire shows it (login, /api/agent/me, agent.ready)."""
    return {
        "id": agent.id,
        "name": agent.name,
        "email": agent.email,
        "teams": list(agent.teams),
        "role": agent.role,
        "capacity": agent.capacity,
    }


def json_error(
    status: type[web.HTTPException], code: str, message: str, **extra: Any
) -> web.HTTPException:
    """An HTTP error whose body is {"error": code, "message": ..., **extra}."""
    body = json.dumps({"error": code, "message": message, **extra})
    return status(text=body, content_type="application/json")


def request_token(request: web.Request) -> str | None:
    """The session token a request carries: the Bearer header first, then the cookie."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else request.cookies.get(COOKIE, "")
    return token if 0 < len(token) <= MAX_TOKEN_CHARS else None


async def current_agent(request: web.Request) -> Agent | None:
    """The agent whose unexpired session the request carries (cookie or bearer), else None.

    Using a session extends it (sliding expiry), at most once per session_refresh_s."""
    if AGENT in request:
        return request[AGENT]
    token = request_token(request)
    agent = await session_agent(request.app, token) if token else None
    request[AGENT] = agent
    return agent


async def session_agent(app: web.Application, token: str) -> Agent | None:
    """The agent of an unexpired session, extending it if due (also for an open console,
    which re-checks its session now and then)."""
    store, settings, now = _store(app), app[AUTH_SETTINGS], app[CLOCK]()
    digest = token_hash(token)
    found = await store.session(digest, now)
    if found is None:
        return None
    # expires_at - ttl is when the session was last extended
    if now - (found.expires_at - settings.session_ttl_s) >= settings.session_refresh_s:
        await store.extend_session(digest, now + settings.session_ttl_s)
    return found.agent


async def require_agent(request: web.Request) -> Agent:
    """The request's agent, or HTTP 401 with a JSON body."""
    agent = await current_agent(request)
    if agent is None:
        raise unauthorized()
    return agent


def unauthorized() -> web.HTTPException:
    error = json_error(web.HTTPUnauthorized, "unauthorized", "log in as an agent first")
    error.headers["WWW-Authenticate"] = 'Bearer realm="helpline"'
    return error


def guarded(path: str) -> bool:
    """Paths only a logged-in agent may reach (the agent websocket included)."""
    if path == "/ws/agent" or path.startswith("/ws/agent/"):
        return True
    return path.startswith("/api/agent/") and path != LOGIN_PATH


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
def agent_guard(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """Refuse guarded paths without a session before any handler runs (and, for the
    websocket, before the upgrade), so a new agent endpoint cannot forget to check."""
    if guarded(request.path):
        return _signed_in_first(request, handler)
    return handler(request)  # like paths.path_guard: no frame kept for a socket's lifetime


async def _signed_in_first(request: web.Request, handler: Handler) -> web.StreamResponse:
    await require_agent(request)
    return await handler(request)


def setup_auth(app: web.Application) -> None:
    """Default settings (a test may replace app[AUTH_SETTINGS] before start-up), the
    guard, and the login state built at start-up from the settings then in place."""
    if AUTH_SETTINGS not in app:
        app[AUTH_SETTINGS] = AuthSettings()
    app.middlewares.append(agent_guard)
    app.on_startup.append(_start)


async def _start(app: web.Application) -> None:
    settings = app[AUTH_SETTINGS]
    app[AUTH] = AuthState(
        passwords=Passwords(settings.password, max_concurrent=settings.max_concurrent_hashes),
        attempts=FailedAttempts(
            settings.max_failed_logins, settings.failed_login_window_s, app[CLOCK]
        ),
        trusted_proxies=parse_networks(app[SETTINGS].trusted_proxies),
    )


def _store(app: web.Application) -> AgentStore:
    return agent_store(app[STORE])
