"""Signed customer identity from the host site: trusted only with a valid HMAC."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

# The REST channel's senders live under this prefix (their conversations' tokens, the id
# custom actions see), and a signed identity may not claim it: a REST client, which proves
# nothing about who it is, can never be taken for a verified customer.
REST_PREFIX = "rest:"

_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class Identity:
    customer_id: str
    name: str | None = None
    email: str | None = None


def identity_payload(customer_id: str, name: str | None, email: str | None) -> bytes:
    """What the host site signs: the JSON array [id, name, email] (null when absent), in
    UTF-8 with no spaces, which is JavaScript's `JSON.stringify([id, name, email])` and
    Python's `json.dumps(..., ensure_ascii=False, separators=(",", ":"))`.

    An array cannot be re-split: a newline or quote inside the name stays inside the name.
    Name and email are signed too because the email receives offline replies; an unsigned
    email could be used to read someone else's answers. UnicodeEncodeError for a lone
    surrogate (a string no host site can have signed)."""
    return _canonical([customer_id, name or None, email or None]).encode()


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


def verify_identity(secret: str | None, claim: Mapping[str, object] | None) -> Identity | None:
    """The identity if the claim's signature is valid; None for anything else, never trusted."""
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
        payloads = [identity_payload(customer_id, name, email)]  # type: ignore[arg-type]
    except UnicodeEncodeError:
        return None  # a lone surrogate (a name cut mid-emoji): anonymous, as documented
    legacy = legacy_payload(customer_id, name, email)  # type: ignore[arg-type]
    if legacy is not None:
        payloads.append(legacy)
    given = signature.lower()
    if not _HEX_DIGEST.fullmatch(given):
        return None  # and compare_digest refuses non-ASCII text
    if not any(hmac.compare_digest(_mac(secret, p), given) for p in payloads):
        return None
    return Identity(customer_id, name or None, email or None)  # type: ignore[arg-type]


def is_rest_token(token: str) -> bool:
    """Whether a conversation token is a REST sender's (which no widget may resume)."""
    return token.startswith(REST_PREFIX)


def _optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def _mac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
