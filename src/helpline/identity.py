"""Signed customer identity from the host site: trusted only with a valid HMAC."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    customer_id: str
    name: str | None = None
    email: str | None = None


def identity_payload(customer_id: str, name: str | None, email: str | None) -> bytes:
    """What the host site signs: id, name and email, newline-separated (empty when absent).

    Name and email are signed too because the email receives offline replies; an unsigned
    email could be used to read someone else's answers.
    """
    return "\n".join((customer_id, name or "", email or "")).encode()


def sign_identity(secret: str, customer_id: str, name: str | None, email: str | None) -> str:
    """Hex HMAC-SHA256, as the host site's server computes it."""
    payload = identity_payload(customer_id, name, email)
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def verify_identity(secret: str | None, claim: Mapping[str, object] | None) -> Identity | None:
    """The identity if the claim's signature is valid; None for anything else, never trusted."""
    if not secret or not isinstance(claim, Mapping):
        return None
    customer_id, signature = claim.get("id"), claim.get("signature")
    name, email = claim.get("name"), claim.get("email")
    if not isinstance(customer_id, str) or not customer_id or not isinstance(signature, str):
        return None
    if not all(v is None or isinstance(v, str) for v in (name, email)):
        return None
    expected = sign_identity(secret, customer_id, name, email)  # type: ignore[arg-type]
    if not hmac.compare_digest(expected, signature.lower()):
        return None
    return Identity(customer_id, name or None, email or None)  # type: ignore[arg-type]
