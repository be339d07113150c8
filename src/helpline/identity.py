"""Signed customer identity from the host site: trusted only with a valid HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helpline.errors import AttributesError

# The REST channel's senders live under this prefix (their conversations' tokens, the id
# custom actions see), and a signed identity may not claim it: a REST client, which proves
# nothing about who it is, can never be taken for a verified customer.
REST_PREFIX = "rest:"

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_ordered = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode

# Attributes are a label or two for the agent (plan, country), not a data store: a few
# short values keep the hello frame and each customer row small.
MAX_ATTRIBUTES = 20
MAX_ATTRIBUTE_KEY_CHARS = 40
MAX_ATTRIBUTE_VALUE_CHARS = 200
MAX_ATTRIBUTES_BYTES = 2048
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_.\-]+")
# Integers only, within JavaScript's exact range: Python and JavaScript print every such
# number alike, which they do not for floats (1e-07 against 1e-7), and a signature needs
# the same bytes on both sides.
_MAX_SAFE_INTEGER = 2**53 - 1


@dataclass(frozen=True)
class Identity:
    customer_id: str
    name: str | None = None
    email: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def identity_payload(customer_id: str, name: str | None, email: str | None) -> bytes:
    """What the host site signs: the JSON array [id, name, email] (null when absent), in
    UTF-8 with no spaces, which is JavaScript's `JSON.stringify([id, name, email])` and
    Python's `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`.

    An array cannot be re-split: a newline or quote inside the name stays inside the name.
    Name and email are signed too because the email receives offline replies; an unsigned
    email could be used to read someone else's answers. UnicodeEncodeError for a lone
    surrogate (a string no host site can have signed)."""
    return _canonical([customer_id, name or None, email or None]).encode()


def attributed_payloads(
    customer_id: str, name: str | None, email: str | None, attributes: dict[str, Any]
) -> list[bytes]:
    """What the host site signs when it passes attributes: [id, name, email, attributes],
    the object with its keys sorted (Python's `sort_keys=True`), or in the order the claim
    carries them (`JSON.stringify` of the very object the widget is given): either is the
    same content under the same secret."""
    fields = [customer_id, name or None, email or None]
    sorted_form = _ordered([*fields, attributes]).encode()
    given_form = _canonical([*fields, attributes]).encode()
    return [sorted_form] if sorted_form == given_form else [sorted_form, given_form]


def claimed_attributes(claim: Mapping[str, object] | None) -> dict[str, Any] | None:
    """The claim's attributes checked for shape and size (None when it has none), before
    any signature is looked at; AttributesError naming what is wrong, so the host site's
    developer learns why, where a bad signature only makes the customer anonymous."""
    if not isinstance(claim, Mapping) or claim.get("attributes") is None:
        return None
    attributes = claim["attributes"]
    if not isinstance(attributes, dict):
        raise AttributesError("identity.attributes: not a JSON object")
    if len(attributes) > MAX_ATTRIBUTES:
        raise AttributesError(f"identity.attributes: more than {MAX_ATTRIBUTES} attributes")
    for key, value in attributes.items():
        _check_attribute(key, value)
    try:
        size = len(_canonical(attributes).encode())
    except UnicodeEncodeError:
        raise AttributesError("identity.attributes: not valid UTF-8 text") from None
    if size > MAX_ATTRIBUTES_BYTES:
        raise AttributesError(
            f"identity.attributes: {size} bytes as JSON, more than {MAX_ATTRIBUTES_BYTES}"
        )
    return attributes


def _check_attribute(key: str, value: object) -> None:
    if len(key) > MAX_ATTRIBUTE_KEY_CHARS or not _ATTRIBUTE_KEY.fullmatch(key):
        raise AttributesError(
            f"identity.attributes: {key[:MAX_ATTRIBUTE_KEY_CHARS]!r} is not a name of"
            f" 1 to {MAX_ATTRIBUTE_KEY_CHARS} letters, digits, '_', '.' or '-'"
        )
    if isinstance(value, str):
        if len(value) > MAX_ATTRIBUTE_VALUE_CHARS:
            raise AttributesError(
                f"identity.attributes.{key}: longer than {MAX_ATTRIBUTE_VALUE_CHARS} characters"
            )
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise AttributesError(f"identity.attributes.{key}: beyond 2^53 - 1")
    else:
        raise AttributesError(
            f"identity.attributes.{key}: not a string, an integer, true, false or null"
        )


def legacy_payload(customer_id: str, name: str | None, email: str | None) -> bytes | None:
    """The first form, fields joined by newlines: accepted during the transition (see
    docs/security.md), but never when a field holds a newline, where it is ambiguous."""
    fields = (customer_id, name or "", email or "")
    if any("\n" in field for field in fields):
        return None
    return "\n".join(fields).encode()


def sign_identity(secret: str, customer_id: str, name: str | None, email: str | None) -> str:
    """Hex HMAC-SHA256, as the host site's server computes it."""
    return _mac(secret, identity_payload(customer_id, name, email))


def sign_attributed_identity(
    secret: str, customer_id: str, name: str | None, email: str | None,
    attributes: dict[str, Any],
) -> str:  # fmt: skip
    """Hex HMAC-SHA256 over the identity with its attributes (keys sorted)."""
    return _mac(secret, attributed_payloads(customer_id, name, email, attributes)[0])


def verify_identity(secret: str | None, claim: Mapping[str, object] | None) -> Identity | None:
    """The identity if the claim's signature is valid; None for anything else, never trusted.
    A claim with attributes must be signed with them: no older form covers them.
    AttributesError for attributes of the wrong shape or size (claimed_attributes)."""
    attributes = claimed_attributes(claim)
    if not secret or not isinstance(claim, Mapping):
        return None
    customer_id, signature = claim.get("id"), claim.get("signature")
    name, email = claim.get("name"), claim.get("email")
    if not isinstance(customer_id, str) or not customer_id or not isinstance(signature, str):
        return None
    if customer_id.startswith(REST_PREFIX):
        return None
    if not (_optional_str(name) and _optional_str(email)):
        return None
    try:
        payloads = _payloads(customer_id, name, email, attributes)  # type: ignore[arg-type]
    except UnicodeEncodeError:
        return None  # a lone surrogate (a name cut mid-emoji): anonymous, as documented
    given = signature.lower()
    if not _HEX_DIGEST.fullmatch(given):
        return None  # and compare_digest refuses non-ASCII text
    if not any(hmac.compare_digest(_mac(secret, p), given) for p in payloads):
        return None
    return Identity(customer_id, name or None, email or None, attributes or {})  # type: ignore[arg-type]


def _payloads(
    customer_id: str, name: str | None, email: str | None, attributes: dict[str, Any] | None
) -> list[bytes]:
    if attributes is not None:
        return attributed_payloads(customer_id, name, email, attributes)
    payloads = [identity_payload(customer_id, name, email)]
    legacy = legacy_payload(customer_id, name, email)
    if legacy is not None:
        payloads.append(legacy)
    return payloads


def is_rest_token(token: str) -> bool:
    """Whether a conversation token is a REST sender's (which no widget may resume)."""
    return token.startswith(REST_PREFIX)


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def _mac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
