"""Fuzzing the frame and body parsers: whatever a client sends, a ProtocolError at worst.

Bounded in time: a fixed number of examples per parser and no deadline per example (the
machine is shared; a slow example is not a failure). An exception other than ProtocolError
is what becomes server_error or HTTP 500 at the socket or the handler.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.errors import ProtocolError
from helpline.service import frames, inputs
from helpline.service.agent_frames import parse_agent_frame
from helpline.settings import Limits
from helpline.web import rasa_rest

LIMITS = Limits()
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# any text, lone surrogates included
TEXT = st.text(st.characters(codec=None), max_size=40)
SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | TEXT
)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)  # fmt: skip
CUSTOMER_TYPES = ["session.hello", "message.new", "feedback.new", "email.submit", "csat.submit"]
AGENT_TYPES = ["message.new", "canned.search", "conversation.close", "presence.set"]
FIELDS = ["id", "text", "token", "last_seq", "lang", "seq", "helpful", "email", "rating",
          "comment", "payload", "identity", "conversation", "query", "tags", "status"]  # fmt: skip


def frame_like(types: list[str]) -> st.SearchStrategy[str]:
    """Objects shaped like real frames (a known type, known fields, any values), as text."""
    body = st.fixed_dictionaries(
        {"type": st.sampled_from(types)},
        optional={name: JSON_VALUES for name in FIELDS},
    )
    return body.map(lambda value: json.dumps(value, ensure_ascii=False))


RAW = st.text(st.characters(codec=None), max_size=200) | st.builds(
    lambda depth: "[" * depth + "]" * depth, st.integers(0, 20_000)
)


def survives(parse: Any, raw: Any) -> None:
    with contextlib.suppress(ProtocolError):  # a clear error: what the client is told
        parse(raw)


@FUZZ
@given(frame_like(CUSTOMER_TYPES) | RAW)
def test_customer_frames_parse_or_get_a_protocol_error(raw: str) -> None:
    survives(lambda text: frames.parse_client_frame(text, LIMITS), raw)


@FUZZ
@given(frame_like(AGENT_TYPES) | RAW)
def test_agent_frames_parse_or_get_a_protocol_error(raw: str) -> None:
    survives(lambda text: parse_agent_frame(text, LIMITS), raw)


@FUZZ
@given(JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)) | RAW)
def test_rest_bodies_parse_or_get_a_protocol_error(raw: str) -> None:
    survives(lambda text: rasa_rest.parse(text.encode("utf-8", "surrogatepass"), LIMITS), raw)


@FUZZ
@given(frame_like(CUSTOMER_TYPES))
def test_whatever_parses_can_be_stored_and_sent(raw: str) -> None:
    """A parsed frame's strings encode as UTF-8: the store and the wire can take them."""
    try:
        parsed = frames.parse_client_frame(raw, LIMITS)
    except ProtocolError:
        return
    for value in vars(parsed).values():
        if isinstance(value, str):
            value.encode("utf-8")
        elif isinstance(value, int) and not isinstance(value, bool):
            assert -(2**63) <= value <= inputs.MAX_INT
