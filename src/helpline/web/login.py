"""The agent login endpoints: POST /api/agent/login, POST /api/agent/logout, GET /api/agent/me."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from aiohttp import web

from helpline.client_address import client_address, client_scheme
from helpline.errors import ProtocolError
from helpline.service import inputs
from helpline.store.agents import Agent, agent_store
from helpline.web.auth import (
    COOKIE,
    agent_view,
    json_error,
    request_token,
    require_agent,
    token_hash,
)
from helpline.web.keys import AUTH, AUTH_SETTINGS, CLOCK, STORE

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


async def login(request: web.Request) -> web.Response:
    """Check {email, password}; on success start a session (cookie + token in the body).

    Failures count against the email at the client's address and against the address
    (AuthSettings says how many each may have); the attempt is counted before the (slow)
    password check and taken back if it succeeds."""
    email, password = await _credentials(request)
    state, settings = request.app[AUTH], request.app[AUTH_SETTINGS]
    address = client_address(
        request.remote, request.headers.get("X-Forwarded-For"), state.trusted_proxies
    )
    anyone = f"email:{email.casefold()}"  # this email from any address
    here = f"login:{email.casefold()} {address}"  # this email from this address
    everywhere = f"ip:{address}"  # any email from this address
    wait = state.attempts.retry_after(here)
    if wait is None:
        wait = state.attempts.retry_after(everywhere, limit=settings.max_failed_logins_per_address)
    if wait is not None:
        raise _too_many(wait)
    if state.attempts.retry_after(anyone) is not None:
        await asyncio.sleep(settings.login_slowdown_s)  # guessed from many addresses
    state.attempts.record(here, everywhere, anyone)
    store = agent_store(request.app[STORE])
    found = await store.agent_by_email(email)
    check = await state.passwords.verify(found[1] if found else None, password)
    if found is None or not check.ok:
        log.info("failed agent login from %s", address)
        raise json_error(web.HTTPUnauthorized, "bad_credentials", "wrong email or password")
    state.attempts.clear(here)
    state.attempts.forgive(everywhere)
    state.attempts.forgive(anyone)
    agent = found[0]
    if check.rehash:
        await store.update_password_hash(agent.id, await state.passwords.hash(password))
    return await _start_session(request, agent)


async def _credentials(request: web.Request) -> tuple[str, str]:
    # JSON only: a form or text/plain body is what another site can post without a CORS
    # preflight (login CSRF signs the victim in to the attacker's account)
    if request.content_type != "application/json":
        raise json_error(
            web.HTTPUnsupportedMediaType, "bad_request", "send the body as application/json"
        )
    try:
        body: Any = inputs.load_object(await request.read(), "the body")
    except ProtocolError as exc:
        raise json_error(web.HTTPBadRequest, "bad_request", exc.message) from None
    email = body.get("email") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not isinstance(email, str) or not isinstance(password, str) or not email.strip():
        raise json_error(web.HTTPBadRequest, "bad_request", "give 'email' and 'password'")
    if len(password) > request.app[AUTH_SETTINGS].max_password_chars or len(email) > 254:
        raise json_error(web.HTTPBadRequest, "bad_request", "email or password too long")
    return email.strip(), password


def _too_many(retry_after_s: int) -> web.HTTPException:
    error = json_error(
        web.HTTPTooManyRequests,
        "too_many_attempts",
        f"too many failed logins; try again in {retry_after_s} s",
        retry_after_s=retry_after_s,
    )
    error.headers["Retry-After"] = str(retry_after_s)
    return error


async def _start_session(request: web.Request, agent: Agent) -> web.Response:
    store = agent_store(request.app[STORE])
    now = request.app[CLOCK]()
    expires_at = now + request.app[AUTH_SETTINGS].session_ttl_s
    token = secrets.token_urlsafe(32)
    await store.delete_expired_sessions(now)  # logins are rare: a fine moment to tidy
    await store.create_session(agent.id, token_hash(token), expires_at)
    response = web.json_response(
        {"token": token, "expires_at": expires_at, "agent": agent_view(agent)}, headers=NO_STORE
    )
    # no Max-Age: the server decides when a session ends (sliding), the browser only
    # forgets the cookie when it closes
    response.set_cookie(
        COOKIE, token, path="/", httponly=True, samesite="Strict", secure=_https(request)
    )
    log.info("agent %s logged in", agent.id)
    return response


async def logout(request: web.Request) -> web.Response:
    """Revoke the request's session (the guard has checked there is one), clear the cookie."""
    agent = await require_agent(request)
    token = request_token(request)
    if token:
        await agent_store(request.app[STORE]).delete_session(token_hash(token))
    response = web.Response(status=204, headers=NO_STORE)
    response.del_cookie(COOKIE, path="/", secure=_https(request), httponly=True, samesite="Strict")
    log.info("agent %s logged out", agent.id)
    return response


def _https(request: web.Request) -> bool:
    """Whether the client reached us over TLS, here or at a trusted proxy in front."""
    trusted = request.app[AUTH].trusted_proxies
    proto = request.headers.get("X-Forwarded-Proto")
    return client_scheme(request.remote, request.scheme, proto, trusted) == "https"


async def me(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    return web.json_response(agent_view(agent), headers=NO_STORE)
