"""The file authors fill in: what export writes reads back, and a mistake names its line."""

from __future__ import annotations

import pytest

from helpline.errors import InboxError
from helpline.inbox.inbox_file import Choice, parse, render

VIEWS = [
    {"id": "aaa", "size": 3, "language": "en", "nearest": {"intent": "gift_card", "score": 51.2},
     "messages": ["can i pay with bitcoin", "do you accept bitcoin"]},
    {"id": "bbb", "size": 1, "language": "ko", "nearest": None, "messages": ["택배가 안 와요"]},
]  # fmt: skip


def test_an_exported_file_left_as_it_is_decides_nothing() -> None:
    text = render(VIEWS, "inbox.yaml")

    assert text.startswith("# Helpline's unanswered inbox: 2 cluster(s) of 4 message(s)")
    assert "    nearest: gift_card (51.2)\n    intent:\n    dismiss: false\n" in text
    assert "      - 택배가 안 와요\n" in text
    assert parse(text, "inbox.yaml") == []


def test_filled_in_intents_and_dismissals_are_read_with_the_messages_left() -> None:
    text = render(VIEWS, "inbox.yaml")
    text = text.replace("    intent:\n", "    intent: update_payment_method\n", 1)
    text = text.replace("      - do you accept bitcoin\n", "")
    text = text.replace(
        "dismiss: false\n    messages:\n      - 택배", "dismiss: true\n    messages:\n      - 택배"
    )

    assert parse(text, "inbox.yaml") == [
        Choice("aaa", 9, "update_payment_method", False, ("can i pay with bitcoin",)),
        Choice("bbb", 17, None, True, ("택배가 안 와요",)),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clusters: [\n", "not readable YAML"),
        ("- a\n", "expected a mapping with a 'clusters' list"),
        ("clusters:\n  - size: 3\n", "inbox.yaml:2: each entry needs its 'cluster' id"),
        ("clusters:\n  - {cluster: a, intent: 3, messages: [x]}\n", "'intent' must be an intent"),
        ("clusters:\n  - {cluster: a, dismiss: maybe, messages: [x]}\n", "true or false"),
        ("clusters:\n  - {cluster: a, intent: b, messages: []}\n", "no messages left to add"),
        ("clusters:\n  - {cluster: a, intent: b, messages: x}\n", "a list of texts"),
    ],
)
def test_a_mistake_is_named_with_its_line(text: str, message: str) -> None:
    with pytest.raises(InboxError, match=message):
        parse(text, "inbox.yaml")
