from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from helpline.identity import Identity, identity_payload, sign_identity, verify_identity

SECRET = "s3cret"


def claim(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"id": "u-42", "name": "Mina", "email": "mina@example.com"}
    base["signature"] = sign_identity(SECRET, "u-42", "Mina", "mina@example.com")
    base.update(overrides)
    return base


def test_correctly_signed_identity_is_trusted() -> None:
    assert verify_identity(SECRET, claim()) == Identity("u-42", "Mina", "mina@example.com")


@pytest.mark.parametrize(
    "forged",
    [
        {"signature": "0" * 64},
        {"email": "attacker@example.com"},
        {"id": "u-43"},
        {"signature": None},
        {"id": 42},
    ],
)
def test_forged_or_unsigned_identity_is_ignored(forged: dict[str, object]) -> None:
    assert verify_identity(SECRET, claim(**forged)) is None


def test_identity_is_ignored_when_no_secret_is_configured() -> None:
    assert verify_identity(None, claim()) is None


def test_signed_identity_may_not_claim_the_rest_channels_namespace() -> None:
    signed = sign_identity(SECRET, "rest:user-123", None, None)

    assert verify_identity(SECRET, {"id": "rest:user-123", "signature": signed}) is None


def test_first_form_signature_is_refused_when_a_field_holds_a_newline() -> None:
    # the first form joined fields with newlines: a name "Mina\nvictim@example.com" signed
    # by the host site re-split into that name's owner with a "verified" email
    signed_name = hmac.new(SECRET.encode(), b"u-42\nMina\nvictim@example.com\n", hashlib.sha256)
    forged = {"id": "u-42", "name": "Mina", "email": "victim@example.com\n"}

    assert verify_identity(SECRET, {**forged, "signature": signed_name.hexdigest()}) is None


def test_signed_name_with_a_newline_cannot_be_re_split_into_an_email() -> None:
    signed = sign_identity(SECRET, "u-42", "Mina\nvictim@example.com", None)
    re_split = {"id": "u-42", "name": "Mina", "email": "victim@example.com"}

    assert verify_identity(SECRET, {**re_split, "signature": signed}) is None


def test_payload_is_a_json_array_as_javascript_stringifies_it() -> None:
    payload = identity_payload("u-42", 'Mi"na 민아', None)

    assert payload == '["u-42","Mi\\"na 민아",null]'.encode()
    assert json.loads(payload) == ["u-42", 'Mi"na 민아', None]


def test_first_form_signature_is_accepted_during_the_transition() -> None:
    legacy = hmac.new(SECRET.encode(), b"u-42\nMina\nmina@example.com", hashlib.sha256)

    assert verify_identity(SECRET, claim(signature=legacy.hexdigest())) == Identity(
        "u-42", "Mina", "mina@example.com"
    )


@pytest.mark.parametrize("field", ["id", "name", "email"])
def test_lone_surrogate_in_a_claim_makes_the_customer_anonymous(field: str) -> None:
    assert verify_identity(SECRET, claim(**{field: "Mina\ud83d"})) is None


def test_non_ascii_signature_is_ignored() -> None:
    assert verify_identity(SECRET, claim(signature="é" * 64)) is None
