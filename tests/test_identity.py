from __future__ import annotations

import pytest

from helpline.identity import Identity, sign_identity, verify_identity

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
