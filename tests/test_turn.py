"""The turn's values (turn.py): a state changed as dataclasses.replace would."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from helpline.service import codec
from helpline.turn import ConversationState, changed

STATE = ConversationState(
    status="bot", language="ko", fallbacks_in_row=1, frustration=0.4, frustration_at=10.0,
    recent_texts=("결제 오류",), last_answered="payment_failed", topic="payment_failed",
    customer_name="Mina", slots={"plan": "basic"},
)  # fmt: skip


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"language": "en"},
        {"status": "queued", "fallbacks_in_row": 0},
        {"frustration": 0.9, "frustration_at": 20.0, "recent_texts": ("a", "b"), "topic": None},
    ],
)
def test_a_changed_state_is_what_replace_makes_and_the_old_one_stays(
    changes: dict[str, object],
) -> None:
    new = changed(STATE, **changes)

    assert new == replace(STATE, **changes)
    assert repr(new) == repr(replace(STATE, **changes))
    assert STATE.language == "ko" and STATE.status == "bot"
    assert new is not STATE


def test_changing_a_field_the_state_does_not_have_is_refused() -> None:
    with pytest.raises(TypeError, match="no field moood"):
        changed(STATE, moood=0.5)


def test_a_changed_state_is_still_frozen() -> None:
    with pytest.raises(AttributeError):
        changed(STATE, language="en").language = "ko"


def test_a_state_as_stored_has_every_field_in_order_however_it_was_made() -> None:
    for state in (STATE, changed(STATE, topic=None, language="en")):
        stored = codec.shallow(state)

        assert list(stored) == [f.name for f in fields(ConversationState)]
        assert stored == {f.name: getattr(state, f.name) for f in fields(ConversationState)}
