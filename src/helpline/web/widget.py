"""Static files of the web pages: /widget.js, the demo /, the console /console, /widget/{name}."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
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


def serve_page(request: web.Request, name: str) -> web.FileResponse:
    """A page of web_widget/ by its name (the console's other pages)."""
    return _serve(request.app[SETTINGS].widget_dir, name)


async def widget_script(request: web.Request) -> web.Response:
    return _serve_script(request, assembled_widget(request.app[SETTINGS].widget_dir))


async def widget_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name == WIDGET_SOURCE:  # the source alone would lack its parts: the same as /widget.js
        return await widget_script(request)
    return _serve(request.app[SETTINGS].widget_dir, name)


# The widget is one script for the host page (one tag, no build step): the server joins
# its parts, kept apart in web_widget/ so the console shares the helpers and the styles
# are a stylesheet, into one file, read again whenever one of them changes.
WIDGET_PARTS = ("widget.css", "common.js", "widget.js")
WIDGET_SOURCE = "widget.js"
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True)
class Script:
    text: str
    etag: str


_assembled: dict[Path, tuple[tuple[int, ...], Script]] = {}


def assembled_widget(root: Path) -> Script:
    """widget.js with common.js and widget.css inlined, all inside one function scope (the
    page gets no global but `Helpline`); built once per change of its parts."""
    try:
        stamps = tuple(stamp for name in WIDGET_PARTS for stamp in _stamp(root / name))
    except FileNotFoundError:
        raise web.HTTPNotFound() from None
    kept = _assembled.get(root)
    if kept is not None and kept[0] == stamps:
        return kept[1]
    css, common, widget = ((root / name).read_text(encoding="utf-8") for name in WIDGET_PARTS)
    css = _CSS_COMMENT.sub("", css).strip()  # the stylesheet's notes are for its readers
    text = (
        "(function () {\n/* Helpline customer chat widget: common.js, widget.css and widget.js"
        " of web_widget/, joined by the server. */\n"
        f"var HELPLINE_WIDGET_CSS = {json.dumps(css)};\n{common}\n{widget}\n}})();\n"
    )
    script = Script(text, hashlib.sha256(text.encode()).hexdigest()[:32])
    _assembled[root] = (stamps, script)
    return script


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


def _serve_script(request: web.Request, script: Script) -> web.Response:
    headers = {"Cache-Control": "no-cache", "ETag": f'"{script.etag}"'}
    if any(tag.value == script.etag for tag in request.if_none_match or ()):
        return web.Response(status=304, headers=headers)
    response = web.Response(text=script.text, content_type="text/javascript", headers=headers)
    response.charset = "utf-8"
    return response
