"""The page a customer's widget says they are on: what we keep of it, and its tidy form."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

# Enough for real product pages with a query; a longer "URL" is noise or an attack, and
# every queue card carries it to every agent's console.
MAX_PAGE_URL_CHARS = 1000


def normalise_page_url(text: str) -> str | None:
    """The URL without its fragment and any user:password@, or None when it is not an
    absolute http(s) URL of at most MAX_PAGE_URL_CHARS.

    The fragment is the page's own state (often a token after a sign-in redirect) and
    credentials have no business in a support card; the query names the product shown.
    """
    candidate = text.strip()
    if len(candidate) > MAX_PAGE_URL_CHARS or any(ord(c) < 0x21 for c in candidate):
        return None
    try:
        parts = urlsplit(candidate)
        host, port = parts.hostname, parts.port  # port: ValueError when not a number
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    netloc = host if port is None else f"{host}:{port}"
    if ":" in host:  # an IPv6 literal keeps its brackets
        netloc = f"[{host}]" if port is None else f"[{host}]:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
