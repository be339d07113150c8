"""Security headers on every response: one place, so pages added later get them too."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from aiohttp import web

from helpline.web.origin import cookie_route

BASE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
# Pages only this server frames: the console (signed in, so a frame would be clickjacking)
# and the agent API refuse every frame; the demo and example pages are a host site's stand-in.
FRAMES = {True: "'none'", False: "'self'"}
# style-src allows inline styles: the widget puts its stylesheet in a <style> element of its
# shadow root and the demo pages have one; styles cannot run script. img-src blob:: the
# widget shows its conversation's images from blob: URLs of the files it fetched.
POLICY = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {frames}"
)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def console_page(path: str) -> bool:
    """The console and its other pages (/console/inbox, ...): signed in, never framed."""
    return path == "/console" or path.startswith("/console/")


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response, errors and static files included."""
    for name, value in BASE.items():
        response.headers.setdefault(name, value)
    console = console_page(request.path) or cookie_route(request.path)
    if console:
        response.headers.setdefault("X-Frame-Options", "DENY")
    # the raw header, not response.content_type: that parses it and keeps the result on
    # the response, a dict kept for the life of every websocket (their 101 has none)
    if _media_type(response.headers.get("Content-Type")) == "text/html":
        hashes = _inline_hashes(getattr(response, "_path", None))
        policy = POLICY.format(hashes=hashes, frames=FRAMES[console])
        response.headers.setdefault("Content-Security-Policy", policy)


def _media_type(header: str | None) -> str:
    return "" if header is None else header.partition(";")[0].strip().lower()


def _inline_hashes(path: object) -> str:
    """The page's own inline scripts, allowed by their hashes (no 'unsafe-inline'): an
    injected script has none of them."""
    if not isinstance(path, Path):  # aiohttp's FileResponse keeps the file it sends
        return ""
    try:
        stat = path.stat()
    except OSError:
        return ""
    return _hashes_of(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _hashes_of(path: Path, _mtime_ns: int, _size: int) -> str:  # an edit is a new key
    text = path.read_text(encoding="utf-8", errors="replace")
    digests = (hashlib.sha256(body.encode()).digest() for body in _INLINE_SCRIPT.findall(text))
    return "".join(f" 'sha256-{base64.b64encode(d).decode()}'" for d in digests)
