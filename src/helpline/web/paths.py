"""Request paths checked before routing: a segment longer than any file name is a 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from helpline.service.inputs import MAX_NAME_CHARS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
def path_guard(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """A /widget/ name over NAME_MAX made the file system's error a 500: nothing that long
    exists here, whichever route it is for."""
    # A check before the handler only, so not a coroutine: the handler's awaitable is
    # passed on, and a websocket does not keep this frame for its lifetime (memory per
    # idle socket, bench/idle_sockets.py). aiohttp awaits what a middleware returns.
    if any(len(segment) > MAX_NAME_CHARS for segment in request.path.split("/")):
        raise web.HTTPNotFound(text="not found")
    return handler(request)
