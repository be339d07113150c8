"""Static files of the web pages: /widget.js, the demo /, the console /console, /widget/{name}."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from aiohttp import web

from helpline.web.keys import SETTINGS

_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".woff2": "font/woff2",
}


def _serve(root: Path, name: str) -> web.FileResponse:
    # Only plain names inside the widget directory: no separators, no dot-files, no "..".
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\0" in name:
        raise web.HTTPNotFound()
    path = root / name
    if not path.is_file():
        raise web.HTTPNotFound()
    suffix = path.suffix.lower()
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = web.FileResponse(path, headers={"Cache-Control": "no-cache"})
    response.content_type = content_type
    if content_type.startswith("text/") or suffix in (".js", ".json", ".svg"):
        response.charset = "utf-8"
    return response


async def demo_page(request: web.Request) -> web.FileResponse:
    return _serve(request.app[SETTINGS].widget_dir, "demo.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return _serve(request.app[SETTINGS].widget_dir, "console.html")


async def widget_script(request: web.Request) -> web.FileResponse:
    return _serve(request.app[SETTINGS].widget_dir, "widget.js")


async def widget_file(request: web.Request) -> web.FileResponse:
    return _serve(request.app[SETTINGS].widget_dir, request.match_info["name"])
