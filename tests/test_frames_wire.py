"""Server frames encoded once: the wire text a frame keeps for every socket it goes to."""

from __future__ import annotations

import json

from helpline.service import frames
from helpline.store.base import Message


def test_bot_typing_frame_is_one_constant_frame() -> None:
    assert frames.typing("typing.start", "bot") is frames.typing("typing.start", "bot")


def test_typing_frames_say_their_kind_and_sender() -> None:
    text = frames.encode(frames.typing("typing.stop", "bot"))
    assert json.loads(text) == {"type": "typing.stop", "sender": "bot"}


def test_message_frame_keeps_the_text_it_was_first_encoded_as() -> None:
    frame = frames.message(Message("c1", 3, "bot", {"text": "안녕"}, None, 1.5))
    assert frames.encode(frame) is frames.encode(frame)


def test_message_frame_text_is_compact_json_without_escapes() -> None:
    frame = frames.message(Message("c1", 3, "bot", {"text": "안녕"}, None, 1.5))
    text = frames.encode(frame)
    assert json.loads(text) == frame
    assert "안녕" in text and ", " not in text


def test_plain_mapping_is_encoded_too() -> None:
    assert frames.encode({"type": "pong"}) == '{"type":"pong"}'
