"""docs/openapi.yaml against the node: a valid OpenAPI 3.1 document, the same routes as the
real router (both ways), and real responses, on every backend, that match its schemas."""

from __future__ import annotations

import copy
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from backends import STORE_BACKENDS, open_backend
from conftest import Customer
from handoff_kit import AgentClient, desk_rulebook, make_agent
from helpline.password import HashParams, Passwords
from helpline.settings import Limits, Settings
from helpline.store import SQLiteStore
from helpline.store.alerts import alert_store
from helpline.web.app import create_app
from helpline.web.auth_settings import AuthSettings
from helpline.web.keys import AUTH_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT_PATH = ROOT / "docs" / "openapi.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(DOCUMENT_PATH.read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BASE = "urn:helpline:openapi"
# argon2's cheapest settings: the login here is about its response, not the hash's cost
CHEAP = HashParams(time_cost=1, memory_kib=1024, parallelism=1)
PASSWORD = "correct horse battery"
SUE = "sue@desk.test"
NOTICE = {"ko": "결제가 늦어지고 있어요.", "en": "Payments are slow."}


def test_the_document_is_a_valid_openapi_3_1_document() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate_openapi(DOCUMENT)  # raises, naming the first thing wrong


# --- the routes -------------------------------------------------------------------------


def real_routes(settings: Settings, store: SQLiteStore) -> set[tuple[str, str]]:
    """(METHOD, path template) of every route the node registers; create_app wires them
    all, so the router is complete before the app starts."""
    app = create_app(settings, store=store, rulebook=desk_rulebook())
    found = set()
    for route in app.router.routes():
        # aiohttp adds a HEAD route beside every GET on its own: not a route anyone wrote
        if route.method == "HEAD":
            continue
        found.add((route.method, route.resource.canonical if route.resource else ""))
    return found


def documented_routes() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method in METHODS
    }


def test_every_route_the_node_registers_is_documented(
    make_settings: Callable[..., Settings], store: SQLiteStore
) -> None:
    missing = real_routes(make_settings(), store) - documented_routes()
    assert not missing, f"routes without documentation in docs/openapi.yaml: {sorted(missing)}"


def test_every_documented_route_exists(
    make_settings: Callable[..., Settings], store: SQLiteStore
) -> None:
    stale = documented_routes() - real_routes(make_settings(), store)
    assert not stale, f"docs/openapi.yaml documents routes the node lacks: {sorted(stale)}"


def test_every_operation_says_who_may_call_it_or_inherits_the_agent_session() -> None:
    schemes = set(DOCUMENT["components"]["securitySchemes"])
    for path, item in DOCUMENT["paths"].items():
        for method in set(item) & set(METHODS):
            for requirement in item[method].get("security", DOCUMENT["security"]):
                assert set(requirement) <= schemes, f"{method.upper()} {path}: {requirement}"


# --- real responses against the documented schemas ----------------------------------------


def closed(document: dict[str, Any]) -> dict[str, Any]:
    """A copy whose object schemas refuse fields they do not name, so a field a handler
    sends and the document leaves out fails the test (the schemas as published stay open,
    so a client is not broken by a field added later). A schema that is a member of an
    allOf stays open: the allOf around it, which sees every member's fields, is closed."""
    strict = copy.deepcopy(document)
    in_all_of = {
        member["$ref"]
        for node in _nodes(strict)
        for member in node.get("allOf", ())
        if "$ref" in member
    }
    for name, schema in strict["components"]["schemas"].items():
        _close(schema, open_here=f"#/components/schemas/{name}" in in_all_of)
    _close(strict["paths"], open_here=True)
    _close(strict["components"]["responses"], open_here=True)
    return strict


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _close(node: Any, open_here: bool = False) -> None:
    if isinstance(node, list):
        for value in node:
            _close(value)
        return
    if not isinstance(node, dict):
        return
    if "allOf" in node:
        node.setdefault("unevaluatedProperties", False)
        for member in node["allOf"]:
            _close(member, open_here=True)
    elif "properties" in node and "additionalProperties" not in node and not open_here:
        node["unevaluatedProperties"] = False
    for key, value in node.items():
        if key != "allOf":
            _close(value)


REGISTRY: Registry[Any] = Registry().with_resource(
    BASE, Resource.from_contents(closed(DOCUMENT), default_specification=DRAFT202012)
)


def _pointer_part(text: str) -> str:
    return text.replace("~", "~0").replace("/", "~1")


def documented_response(method: str, template: str, status: int) -> tuple[str, dict[str, Any]]:
    """The JSON pointer and body of what the document says this status means here."""
    responses = DOCUMENT["paths"][template][method.lower()]["responses"]
    entry = responses.get(str(status))
    assert entry is not None, f"{method} {template} answered {status}, which it does not document"
    pointer = f"/paths/{_pointer_part(template)}/{method.lower()}/responses/{status}"
    if "$ref" in entry:
        pointer = entry["$ref"].removeprefix("#")
        entry = DOCUMENT
        for part in pointer.strip("/").split("/"):
            entry = entry[part.replace("~1", "/").replace("~0", "~")]
    return pointer, entry


async def check_against_document(response: ClientResponse, method: str, template: str) -> None:
    """The response's status, media type and (JSON) body are what the document says."""
    pointer, entry = documented_response(method, template, response.status)
    content = entry.get("content")
    if not content:
        return
    media = response.content_type
    assert media in content, f"{method} {template}: {media} is not one of {sorted(content)}"
    if media != "application/json":
        return
    body = await response.json()
    schema_at = f"{BASE}#{pointer}/content/{_pointer_part(media)}/schema"
    validator = Draft202012Validator({"$ref": schema_at}, registry=REGISTRY)
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in validator.iter_errors(body)
    ]
    assert not errors, f"{method} {template} {response.status}:\n" + "\n".join(errors[:10])


@dataclass(frozen=True)
class Call:
    """One request to a running node: who makes it, and the status it must get."""

    who: str  # supervisor | agent (in another team) | nobody
    method: str
    template: str
    status: int
    query: str = ""
    body: Any = None
    values: dict[str, str] = field(default_factory=dict)  # path values other than the desk's
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # a body that is not JSON

    @property
    def name(self) -> str:
        return f"{self.who}-{self.method}-{self.template}{self.query}-{self.status}"


REPORTED = "/api/reports/conversations/{conversation}"
CALLS = (
    Call("nobody", "POST", "/api/agent/login", 400, body={"email": SUE}),
    Call("nobody", "POST", "/api/agent/login", 401, body={"email": SUE, "password": "guess"}),
    Call("nobody", "POST", "/api/agent/login", 415, text="email=sue@desk.test&password=x"),
    Call(
        "supervisor", "GET", "/api/agent/me", 403, headers={"Origin": "https://elsewhere.example"}
    ),
    Call("supervisor", "GET", "/api/agent/me", 200),
    Call("nobody", "GET", "/api/agent/me", 401),
    Call("supervisor", "POST", "/api/agent/logout", 204),
    Call("supervisor", "GET", "/api/conversations", 200),
    Call("supervisor", "GET", "/api/conversations", 200, query="?q=agent&status=with_agent"),
    Call("supervisor", "GET", "/api/conversations", 400, query="?colour=red"),
    Call("agent", "GET", "/api/conversations", 403, query="?team=general"),
    Call("supervisor", "GET", "/api/conversations/{id}", 200),
    Call("agent", "GET", "/api/conversations/{id}", 403),
    Call("supervisor", "GET", "/api/conversations/{id}", 404, values={"id": "c_none"}),
    Call("agent", "POST", "/api/conversations/{id}/attachments", 403, text="hello"),
    Call("supervisor", "GET", "/api/attachments/{id}", 404, values={"id": "f_none"}),
    Call("nobody", "GET", "/api/attachments/{id}", 401, values={"id": "f_none"}),
    Call("nobody", "POST", "/customer/attachments", 401, text="hello"),
    Call("nobody", "GET", "/customer/attachments/{id}", 401, values={"id": "f_none"}),
    Call("nobody", "OPTIONS", "/customer/attachments", 204),
    Call("supervisor", "GET", "/api/tickets", 200),
    Call("supervisor", "GET", "/api/tickets", 400, query="?status=lost"),
    Call("nobody", "GET", "/api/tickets", 401),
    Call("supervisor", "GET", "/api/tickets/{ticket}", 200),
    Call("supervisor", "GET", "/api/tickets/{ticket}", 404, values={"ticket": "t_none"}),
    Call("supervisor", "PATCH", "/api/tickets/{ticket}", 200, body={"tags": ["vip", "환불"]}),
    Call("supervisor", "PATCH", "/api/tickets/{ticket}", 400, body={"colour": "red"}),
    Call("agent", "PATCH", "/api/tickets/{ticket}", 403, body={"priority": "low"}),
    # the conversation is still with its agent: solving it is closing it in the console
    Call("supervisor", "PATCH", "/api/tickets/{ticket}", 409, body={"status": "solved"}),
    Call("supervisor", "GET", "/api/reports", 200),
    Call("supervisor", "GET", "/api/reports", 200, query="?by=agent"),
    Call("supervisor", "GET", "/api/reports", 200, query="?format=csv"),
    Call("supervisor", "GET", "/api/reports", 400, query="?since=someday"),
    Call("agent", "GET", "/api/reports", 403),
    Call("supervisor", "GET", "/api/reports/conversations", 200, query="?figure=handoffs"),
    Call("supervisor", "GET", "/api/reports/conversations", 400, query="?figure=luck"),
    Call("supervisor", "GET", REPORTED, 200),
    Call("supervisor", "GET", REPORTED, 404, values={"conversation": "c_none"}),
    Call("supervisor", "GET", "/api/inbox", 200),
    Call("agent", "GET", "/api/inbox", 403),
    Call("supervisor", "GET", "/api/inbox/answers", 200),
    Call("supervisor", "GET", "/api/inbox/intents", 200),
    Call("supervisor", "POST", "/api/inbox/{cluster}/dismiss", 200),
    Call("supervisor", "POST", "/api/inbox/{cluster}/dismiss", 404, values={"cluster": "none"}),
    Call("supervisor", "POST", "/api/inbox/{cluster}/add", 400, body={"messages": []}),
    Call("supervisor", "POST", "/api/inbox/answers", 400, body={"file": "billing.yaml"}),
    Call("supervisor", "GET", "/api/alerts", 200),
    Call("supervisor", "GET", "/api/incidents", 200),
    Call("supervisor", "POST", "/api/incidents", 201, body={"intent": "refund", "texts": NOTICE}),
    Call("agent", "POST", "/api/incidents", 403, body={"intent": "refund", "texts": {}}),
    Call("supervisor", "DELETE", "/api/incidents/{intent}", 200),
    Call("supervisor", "DELETE", "/api/incidents/{intent}", 404, values={"intent": "refund"}),
    Call("nobody", "POST", "/webhooks/rest/webhook", 200, body={"sender": 7, "message": "refund"}),
    Call("nobody", "POST", "/webhooks/rest/webhook", 400, body={"sender": "s1"}),
    Call("nobody", "GET", "/healthz", 200),
    Call("nobody", "GET", "/metrics", 200),
    Call("nobody", "GET", "/ws/customer", 400),  # a plain GET, not an upgrade
    Call("nobody", "GET", "/", 200),
    Call("nobody", "GET", "/console", 200),
    Call("nobody", "GET", "/console/reports", 200),
    Call("nobody", "GET", "/console/inbox", 200),
    Call("nobody", "GET", "/console/conversations", 200),
    Call("nobody", "GET", "/widget.js", 200),
    Call("nobody", "GET", "/widget/{name}", 200, values={"name": "console.css"}),
    Call("nobody", "GET", "/widget/{name}", 404, values={"name": ".env"}),
    Call("nobody", "GET", "/widget/vendor/{name}", 200, values={"name": "uPlot.iife.min.js"}),
)


@pytest.fixture(params=STORE_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with open_backend(request, tmp_path) as opened:
        yield opened  # type: ignore[misc]


@dataclass
class Desk:
    """A running node with a history: a conversation handed to an agent, who answered and
    left a note, after a question the bot could not answer; its ticket; a notice posted; a
    spike alert; a signed-in supervisor."""

    client: TestClient
    tokens: dict[str, str]
    values: dict[str, str]


@pytest.fixture
async def desk(
    store: SQLiteStore, aiohttp_client: Any, make_settings: Callable[..., Settings]
) -> Desk:
    settings = make_settings(widget_dir=ROOT / "web_widget", limits=Limits(burst=1000))
    app = create_app(settings, store=store, rulebook=desk_rulebook())
    app[AUTH_SETTINGS] = AuthSettings(password=CHEAP)
    client: TestClient = await aiohttp_client(app)
    await store.create_agent(
        email=SUE, name="Sue", teams=(), role="supervisor", capacity=2,
        password_hash=await Passwords(CHEAP).hash(PASSWORD), now=0.0,
    )  # fmt: skip
    login = await client.post("/api/agent/login", json={"email": SUE, "password": PASSWORD})
    assert login.status == 200, await login.text()
    await check_against_document(login, "POST", "/api/agent/login")
    client.session.cookie_jar.clear()  # from here on, each call says who makes it
    supervisor = (await login.json())["token"]
    _, ann_token = await make_agent(store, "Ann", ("general",))
    _, bob_token = await make_agent(store, "Bob", ("billing",))
    conversation = await _answered_conversation(client, ann_token)
    tickets = await client.get("/api/tickets", headers=_bearer(supervisor))
    [ticket] = (await tickets.json())["tickets"]
    notice = {"intent": "payment_failed", "texts": NOTICE}
    posted = await client.post("/api/incidents", json=notice, headers=_bearer(supervisor))
    assert posted.status == 201, await posted.text()
    # a spike as another node's watcher would store it: /api/alerts reads the store
    spike = dict(count=12, expected=2.5, since=time.time() - 600, now=time.time())
    assert await alert_store(store).raise_alert("payment_failed", **spike) is not None
    inbox = await client.get("/api/inbox", headers=_bearer(supervisor))
    [cluster] = (await inbox.json())["clusters"]
    return Desk(
        client,
        {"supervisor": supervisor, "agent": bob_token},
        {
            "id": conversation, "conversation": conversation, "ticket": ticket["id"],
            "intent": "payment_failed", "cluster": cluster["id"],
        },
    )  # fmt: skip


async def _answered_conversation(client: TestClient, agent_token: str) -> str:
    ann = await AgentClient.join(client, agent_token)
    customer = await Customer.join(client)
    await customer.say("m0", "where is my parcel")  # the bot cannot say: the inbox has it
    await customer.bot_reply()
    await customer.say("m1", "i want an agent")
    conversation: str = customer.ready["conversation"]
    await customer.next_of("conversation.status")  # queued: now it can be accepted
    await ann.accept(conversation)
    note = {"type": "note.new", "conversation": conversation, "id": "n1", "text": "repeat caller"}
    await ann.send(note)
    await ann.next_of("message.new", sender="note")
    reply = {"type": "message.new", "conversation": conversation, "id": "r1", "text": "Hello"}
    await ann.send(reply)
    await customer.next_of("message.new", text="Hello")
    await ann.close()
    await customer.ws.close()
    return conversation


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
async def test_a_real_response_is_what_the_document_says(desk: Desk, call: Call) -> None:
    path = call.template.format(**{**desk.values, **call.values}) + call.query
    token = desk.tokens.get(call.who)
    headers = {**(_bearer(token) if token else {}), **call.headers}
    if call.text is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await desk.client.request(call.method, path, data=call.text, headers=headers)
    else:
        response = await desk.client.request(call.method, path, json=call.body, headers=headers)
    assert response.status == call.status, await response.text()
    await check_against_document(response, call.method, call.template)
