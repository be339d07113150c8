"""Files over HTTP: the widget uploads and reads its conversation's files with the
conversation's token (/customer/attachments, any origin: the token is the credential, as
on /ws/customer), the console with the agent's session (/api/.../attachments). A file is
sent as the kind its bytes are, never as a page: nosniff, a sandbox, and downloaded
unless it is an image."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from helpline.attachment import BY_MIME, too_large
from helpline.errors import AttachmentError, ProtocolError, StoreError
from helpline.service.attachments import Attachments, Uploader, attachment_ref
from helpline.store.attachments import Attachment
from helpline.web.admission import address_of
from helpline.web.attempts import FailedAttempts
from helpline.web.auth import json_error, require_agent
from helpline.web.keys import CLOCK, DESK, RULES, STORE, TRUSTED_PROXIES, UPLOADS

log = logging.getLogger(__name__)

T = TypeVar("T")
TOKEN_HEADER = "X-Conversation-Token"
CHUNK_BYTES = 64 * 1024
# Customers' uploads per client address a minute, on each node: a person sends a few files
# a conversation; a script starting conversations to upload into is held to this.
UPLOADS_PER_MINUTE = 30
STATUS: dict[str, type[web.HTTPException]] = {
    "bad_request": web.HTTPBadRequest,
    "unauthorized": web.HTTPUnauthorized,
    "forbidden": web.HTTPForbidden,
    "not_found": web.HTTPNotFound,
    "unsupported_type": web.HTTPUnsupportedMediaType,
}
# Any page may embed the widget; the token, sent as a header (never a cookie), decides.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST",
    "Access-Control-Allow-Headers": f"{TOKEN_HEADER}, Content-Type",
    "Access-Control-Max-Age": "600",
}
# A file opened on its own is a document of this origin: it may run nothing, load nothing.
FILE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'"


async def customer_upload(request: web.Request) -> web.Response:
    """POST /customer/attachments?name=: the file as the body (or multipart `file`)."""
    files = _files(request)
    conversation = await _call(files.customer_conversation(request.headers.get(TOKEN_HEADER)))
    _count_upload(request)
    name, declared, content = await _call(_read_upload(request, files))
    kept = await _call(files.upload(conversation, Uploader("customer"), name, declared, content))
    return web.json_response({"attachment": attachment_ref(kept)}, status=201, headers=CORS)


def _count_upload(request: web.Request) -> None:
    """429 when the client's address has uploaded its fill this minute; counted before the
    body is read, so uploads sent at once cannot all slip through."""
    uploads = request.app[UPLOADS]
    address = address_of(request, request.app[TRUSTED_PROXIES])
    wait = uploads.retry_after(address)
    if wait is not None:
        error = json_error(
            web.HTTPTooManyRequests, "rate_limited",
            f"too many files from this address; try again in {wait} s", retry_after_s=wait,
        )  # fmt: skip
        error.headers.update({**CORS, "Retry-After": str(wait)})
        raise error
    uploads.record(address)


async def customer_file(request: web.Request) -> web.Response:
    files = _files(request)
    token = request.headers.get(TOKEN_HEADER)
    found = await _call(files.read_as_customer(token, request.match_info["id"]))
    return await _serve(files, found, CORS)


async def customer_preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=CORS)


async def agent_upload(request: web.Request) -> web.Response:
    """POST /api/conversations/{id}/attachments?name=: for the agent the conversation is
    assigned to, who sends it with their next reply."""
    agent = await require_agent(request)
    files = _files(request)
    try:
        request.app[DESK].owned(agent, request.match_info["id"])
    except ProtocolError as exc:
        raise json_error(web.HTTPForbidden, "forbidden", exc.message) from None
    conversation = await _call(request.app[STORE].conversation(request.match_info["id"]))
    if conversation is None:
        raise json_error(web.HTTPNotFound, "not_found", "no such conversation")
    name, declared, content = await _call(_read_upload(request, files))
    uploader = Uploader("agent", agent.id)
    kept = await _call(files.upload(conversation, uploader, name, declared, content))
    return web.json_response({"attachment": attachment_ref(kept)}, status=201)


async def agent_file(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    files = _files(request)
    found = await _call(files.read_as_agent(agent, request.match_info["id"]))
    return await _serve(files, found, {"Cross-Origin-Resource-Policy": "same-origin"})


def _files(request: web.Request) -> Attachments:
    app = request.app
    rules = app[RULES]
    try:
        return Attachments(
            app[STORE], lambda: rules.current.rulebook.config.attachments, app[CLOCK]
        )
    except StoreError as exc:
        raise _unavailable(exc) from exc


async def _serve(files: Attachments, found: Attachment, extra: dict[str, str]) -> web.Response:
    content = await _call(files.content(found))
    kind = BY_MIME.get(found.content_type)
    disposition = "inline" if kind is not None and kind.image else "attachment"
    headers = {
        **extra,
        "Content-Disposition": f"{disposition}; {_filename(found.name)}",
        "Content-Security-Policy": FILE_POLICY,
        "X-Content-Type-Options": "nosniff",
        # a file never changes under its id, but the right to read it can end
        "Cache-Control": "private, max-age=3600",
    }
    charset = "utf-8" if found.content_type == "text/plain" else None
    return web.Response(
        body=content, content_type=found.content_type, charset=charset, headers=headers
    )


def _filename(name: str) -> str:
    """Both forms: a plain one for old clients, RFC 5987's for the real (Korean) name."""
    plain = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)
    return f"filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


async def _read_upload(request: web.Request, files: Attachments) -> tuple[str, str, bytes]:
    """(name, the uploader's content type, the bytes), reading no more than the limit."""
    limit = files.settings().max_bytes
    if request.content_length is not None and request.content_length > limit + 64 * 1024:
        raise too_large(limit)  # not read at all (the margin: a multipart's own lines)
    if request.content_type == "multipart/form-data":
        return await _multipart(request, limit)
    content = await _capped(request.content.iter_chunked(CHUNK_BYTES), limit)
    return request.query.get("name", ""), request.content_type, content


async def _multipart(request: web.Request, limit: int) -> tuple[str, str, bytes]:
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if isinstance(part, BodyPartReader) and part.name == "file":
                content = await _capped(_part_chunks(part), limit)
                declared = part.headers.get("Content-Type", "")
                return part.filename or request.query.get("name", ""), declared, content
    except ValueError as exc:  # a body that is not the multipart it says
        raise AttachmentError("bad_request", f"the multipart body is malformed: {exc}") from None
    raise AttachmentError("bad_request", "the multipart body has no part named 'file'")


async def _part_chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK_BYTES):
        yield chunk


async def _capped(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    kept: list[bytes] = []
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        kept.append(chunk)
    return b"".join(kept)


async def _call(action: Awaitable[T]) -> T:
    """Await a files call; refusals become their HTTP status with a JSON body."""
    try:
        return await action
    except AttachmentError as exc:
        raise _refused(exc) from exc
    except StoreError as exc:
        raise _unavailable(exc) from exc


def _refused(exc: AttachmentError) -> web.HTTPException:
    error: web.HTTPException
    if exc.code == "too_large":  # its class wants the limit as an argument
        body = json.dumps({"error": exc.code, "message": exc.message, **exc.detail})
        limit = exc.detail.get("max_bytes", 0)
        error = web.HTTPRequestEntityTooLarge(
            limit if isinstance(limit, int) else 0, text=body, content_type="application/json"
        )
    else:
        status = STATUS.get(exc.code, web.HTTPBadRequest)
        error = json_error(status, exc.code, exc.message, **exc.detail)
    error.headers.update(CORS)  # the widget on another origin must read why
    return error


def _unavailable(exc: StoreError) -> web.HTTPException:
    log.warning("attachments: the store refused: %s", exc)
    return json_error(
        web.HTTPServiceUnavailable, "store_unavailable", "the database is unavailable"
    )


async def _start(app: web.Application) -> None:
    app[UPLOADS] = FailedAttempts(UPLOADS_PER_MINUTE, 60.0, app[CLOCK])


def setup_attachments(app: web.Application) -> None:
    app.on_startup.append(_start)
    app.router.add_post("/customer/attachments", customer_upload)
    app.router.add_route("OPTIONS", "/customer/attachments", customer_preflight)
    app.router.add_get("/customer/attachments/{id}", customer_file)
    app.router.add_route("OPTIONS", "/customer/attachments/{id}", customer_preflight)
    app.router.add_post("/api/conversations/{id}/attachments", agent_upload)
    app.router.add_get("/api/attachments/{id}", agent_file)
