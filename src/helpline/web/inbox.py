"""The unanswered inbox's HTTP API: GET /api/inbox, /api/inbox/answers and
/api/inbox/intents, POST /api/inbox/{cluster}/add and /dismiss, for authors and supervisors
signed in to the console; and its page, /console/inbox."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from helpline.errors import InboxError, StoreError
from helpline.service.agent_answers import AgentAnswers, draft_view
from helpline.service.inbox import (
    AUTHOR_ROLES,
    InboxService,
    added_view,
    cluster_view,
    intents_view,
)
from helpline.store.agents import Agent
from helpline.store.inbox import inbox_store
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import CLOCK, INBOX, RULES, SETTINGS, STORE
from helpline.web.widget import serve_page

log = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store"}
MAX_MESSAGES = 500  # texts one request may name; a cluster shows far fewer
MAX_TEXT_CHARS = 2000
MAX_NAME_CHARS = 200
# what each refusal is over HTTP: none of them is the server's fault
STATUS: dict[str, type[web.HTTPException]] = {
    "not_found": web.HTTPNotFound,
    "bad_request": web.HTTPBadRequest,
    "rules_refused": web.HTTPUnprocessableEntity,
    "conflict": web.HTTPConflict,
    "no_rules_dir": web.HTTPConflict,
}


async def inbox_list(request: web.Request) -> web.Response:
    await _require_author(request)
    found = await _call(request, lambda service: service.clusters())
    body = {"clusters": [cluster_view(c) for c in found], "total": sum(c.size for c in found)}
    return web.json_response(body, headers=NO_STORE)


async def inbox_add(request: web.Request) -> web.Response:
    author = await _require_author(request)
    intent, texts = _add_request(await _json(request))
    cluster = request.match_info["cluster"]
    added = await _call(request, lambda service: service.add(cluster, intent, texts, author.id))
    log.info("agent %s added cluster %s to intent %s", author.id, cluster, intent)
    return web.json_response(added_view(added), headers=NO_STORE)


async def inbox_dismiss(request: web.Request) -> web.Response:
    author = await _require_author(request)
    cluster = request.match_info["cluster"]
    count = await _call(request, lambda service: service.dismiss(cluster, author.id))
    return web.json_response({"cluster": cluster, "dismissed": count}, headers=NO_STORE)


async def inbox_answers(request: web.Request) -> web.Response:
    """Agents' answers to customers' questions, grouped like the inbox: FAQ drafts."""
    await _require_author(request)
    app = request.app
    answers = AgentAnswers(app[STORE], inbox_store(app[STORE]), app[RULES], app[CLOCK])
    try:
        found = await answers.drafts()
    except StoreError as exc:
        log.warning("inbox: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc
    return web.json_response({"drafts": [draft_view(c) for c in found]}, headers=NO_STORE)


async def inbox_intents(request: web.Request) -> web.Response:
    """The intents the page offers to add messages to, as the rules are now."""
    await _require_author(request)
    body = intents_view(request.app[RULES].current.rulebook)
    return web.json_response(body, headers=NO_STORE)


async def inbox_page(request: web.Request) -> web.FileResponse:
    # the page itself is public, like /console: it signs in and asks the API, which checks
    return serve_page(request, "inbox.html")


async def _require_author(request: web.Request) -> Agent:
    agent = await require_agent(request)
    if agent.role not in AUTHOR_ROLES:
        raise json_error(
            web.HTTPForbidden, "forbidden", "only authors and supervisors use the inbox"
        )
    return agent


async def _call(request: web.Request, action: Any) -> Any:
    """Run a service call; its refusals become their HTTP status with a JSON body."""
    try:
        return await action(request.app[INBOX])
    except InboxError as exc:
        raise json_error(STATUS.get(exc.code, web.HTTPBadRequest), exc.code, exc.message) from exc
    except StoreError as exc:
        log.warning("inbox: the store refused: %s", exc)
        raise json_error(
            web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
        ) from exc


async def _json(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise json_error(web.HTTPBadRequest, "bad_request", "the body must be JSON") from None


def _add_request(body: Any) -> tuple[str, list[str] | None]:
    """{"intent": name, "messages": [text, ...] (optional: the whole cluster)}."""
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    intent = body.get("intent")
    if not isinstance(intent, str) or not intent.strip() or len(intent) > MAX_NAME_CHARS:
        raise _bad("give 'intent', the name of the intent to add the messages to")
    texts = body.get("messages")
    if texts is None:
        return intent.strip(), None
    if (
        not isinstance(texts, list)
        or not 0 < len(texts) <= MAX_MESSAGES
        or not all(isinstance(t, str) and 0 < len(t) <= MAX_TEXT_CHARS for t in texts)
    ):
        raise _bad(
            f"'messages' must be a list of 1-{MAX_MESSAGES} texts of the cluster"
            f" (each up to {MAX_TEXT_CHARS} characters), or left out for all of them"
        )
    return intent.strip(), texts


def _bad(message: str) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, "bad_request", message)


async def _start(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[INBOX] = InboxService(inbox_store(app[STORE]), app[RULES], settings.rules_dir, app[CLOCK])


def setup_inbox(app: web.Application) -> None:
    """The inbox's routes, and its service built at start-up (once the store is open)."""
    app.on_startup.append(_start)
    app.router.add_get("/api/inbox", inbox_list)
    app.router.add_get("/api/inbox/answers", inbox_answers)
    app.router.add_get("/api/inbox/intents", inbox_intents)
    app.router.add_get("/console/inbox", inbox_page)
    app.router.add_post("/api/inbox/{cluster}/add", inbox_add)
    app.router.add_post("/api/inbox/{cluster}/dismiss", inbox_dismiss)
