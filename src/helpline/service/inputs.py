"""What a client may send in JSON (frames and HTTP bodies): one check, one clear error each.

Python's json accepts more than the rest of the node can take: nesting deep enough to
exhaust the recursion limit, integers SQLite cannot bind (>= 2^63), NaN, and strings with
lone surrogates that cannot be encoded as UTF-8 (to the store or back on the wire). Each
of those used to surface as server_error or HTTP 500; here it is the client's error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from helpline.errors import ProtocolError

# the same codes as service.frames', which clients know (docs/protocol.md)
BAD_JSON = "bad_json"
BAD_FRAME = "bad_frame"

MAX_DEPTH = 32  # our frames and bodies nest 3 deep; metadata a little more
MAX_INT = 2**63 - 1  # SQLite's and PostgreSQL's bigint
MAX_NAME_CHARS = 255  # a file name (NAME_MAX): a longer path segment names nothing


def load_object(raw: str | bytes, what: str, opaque: Iterable[str] = ()) -> dict[str, Any]:
    """The JSON object in raw, checked; ProtocolError names what is wrong with it. Values
    under the `opaque` top-level keys are left for their own check (a signed claim, whose
    signature decides)."""
    try:
        if isinstance(raw, str) and not raw.startswith("\ufeff"):
            data = _decode(raw)  # json.loads would build a decoder per call for the options
        else:  # bytes (their encoding detected), or a BOM json.loads refuses
            data = json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise ProtocolError(BAD_JSON, f"{what} is nested too deeply") from None
    except ValueError:  # UnicodeDecodeError too: a body that is not UTF-8
        raise ProtocolError(BAD_JSON, f"{what} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ProtocolError(BAD_JSON, f"{what} must be a JSON object")
    skipped = set(opaque)
    check_value({k: v for k, v in data.items() if k not in skipped}, what)
    return data


def check_value(value: Any, what: str) -> None:
    """Depth and text of a decoded JSON value (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise ProtocolError(BAD_JSON, f"{what} nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            require_text(item, what)
        elif isinstance(item, dict):
            for key, inner in item.items():
                require_text(key, what)
                pending.append((inner, depth + 1))
        elif isinstance(item, list):
            pending.extend((inner, depth + 1) for inner in item)


def require_text(value: str, what: str) -> str:
    """value, if it can be encoded as UTF-8 (no lone surrogate, e.g. an emoji cut in half)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ProtocolError(
                BAD_FRAME, f"{what} has text that is not valid Unicode (a lone surrogate)"
            ) from None
    return value


def bounded_int(value: object, name: str, minimum: int) -> int:
    """value as an integer from minimum to MAX_INT; ProtocolError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_INT:
        raise ProtocolError(BAD_FRAME, f"field {name!r} must be an integer >= {minimum} and < 2^63")
    return value


def optional_text(value: object, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ProtocolError(BAD_FRAME, f"field {name!r} must be a string or null")
    return value


def _bounded_int(text: str) -> int:
    # digits are counted first: int() of a 100,000-digit number is itself slow
    if len(text.lstrip("-")) > 19 or not -MAX_INT - 1 <= (value := int(text)) <= MAX_INT:
        raise ProtocolError(BAD_FRAME, "integers must be between -2^63 and 2^63-1")
    return value


def _no_constant(text: str) -> Any:
    raise ProtocolError(BAD_JSON, f"{text} is not JSON")


_decode = json.JSONDecoder(parse_int=_bounded_int, parse_constant=_no_constant).decode
