"""The unanswered inbox's HTTP API: GET /api/inbox, /api/inbox/answers and
/api/inbox/intents, POST /api/inbox/{cluster}/add and /dismiss, for authors and supervisors
signed in to the console; and its page, /console/inbox."""

from __future__ import annotations

import logging
import re
from typing import Any

from aiohttp import web

from helpline.errors import InboxError, StoreError
from helpline.inbox.new_intent import NewIntent
from helpline.service.agent_answers import AgentAnswers, draft_view
from helpline.service.inbox import (
    AUTHOR_ROLES,
    InboxService,
    added_intent_view,
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
MAX_ANSWER_CHARS = 4000
MAX_LANGUAGES = 10
MAX_EXAMPLES = 50  # per language, in one new intent
INTENT_NAME = re.compile(r"[a-z][a-z0-9_]*")  # the loader's snake_case, said before it runs
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


async def inbox_answer_add(request: web.Request) -> web.Response:
    """A new intent from agents' answers, written into an intents file the rules have."""
    author = await _require_author(request)
    file_name, new = _intent_request(await _json(request))
    added = await _call(request, lambda service: service.add_intent(file_name, new, author.id))
    return web.json_response(added_intent_view(added), headers=NO_STORE)


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


def _intent_request(body: Any) -> tuple[str, NewIntent]:
    """{"file": "billing.yaml", "name", "category", "title": {lang: text} (optional),
    "examples": {lang: [text, ...]}, "answer": {lang: text}}; the loader checks the rest."""
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object")
    file_name = _text(body.get("file"), "file", MAX_NAME_CHARS)
    name = _text(body.get("name"), "name", MAX_NAME_CHARS)
    if not INTENT_NAME.fullmatch(name):
        raise _bad("'name' must be snake_case: lower-case letters, digits and _")
    new = NewIntent(
        name=name,
        category=_text(body.get("category"), "category", MAX_NAME_CHARS),
        title=_per_language(body.get("title") or {}, "title", MAX_NAME_CHARS),
        examples=_examples(body.get("examples")),
        answer=_per_language(body.get("answer"), "answer", MAX_ANSWER_CHARS),
    )
    if not new.answer:
        raise _bad("give 'answer', the answer in each language")
    return file_name, new


def _text(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _bad(f"'{field}' must be a text of 1-{limit} characters")
    return value.strip()


def _languages(value: Any, field: str) -> dict[str, Any]:
    if (
        not isinstance(value, dict)
        or not 0 < len(value) <= MAX_LANGUAGES
        or not all(isinstance(k, str) and 0 < len(k) <= 10 for k in value)
    ):
        raise _bad(f"'{field}' must map language codes to texts, e.g. {{\"en\": ...}}")
    return value


def _per_language(value: Any, field: str, limit: int) -> dict[str, str]:
    if value == {}:
        return {}
    return {k: _text(v, f"{field}.{k}", limit) for k, v in _languages(value, field).items()}


def _examples(value: Any) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for language, texts in _languages(value, "examples").items():
        if not isinstance(texts, list) or not 0 < len(texts) <= MAX_EXAMPLES:
            raise _bad(f"'examples.{language}' must be a list of 1-{MAX_EXAMPLES} texts")
        found[language] = tuple(_text(t, f"examples.{language}", MAX_TEXT_CHARS) for t in texts)
    return found


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
    app.router.add_post("/api/inbox/answers", inbox_answer_add)
    app.router.add_get("/api/inbox/intents", inbox_intents)
    app.router.add_get("/console/inbox", inbox_page)
    app.router.add_post("/api/inbox/{cluster}/add", inbox_add)
    app.router.add_post("/api/inbox/{cluster}/dismiss", inbox_dismiss)
