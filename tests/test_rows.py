"""rows.dump: the JSON text stored for a value, byte for byte what json.dumps writes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from helpline.store.rows import dump

_SHARED = {"same": "dict", "twice": [1]}

VALUES: list[Any] = [
    {"text": "how do I cancel my subscription"},
    {"text": "결제가 안 돼요 😤", "buttons": [{"label": "상담원", "payload": "/talk_to_agent"}]},
    {"decision": "answer", "score": 98.47, "candidates": [("cancel", 98.47), ("pause", 1e-05)]},
    {"nested": {"deep": [1, 2.5, -0.0, 10**20, True, False, None]}, "empty": {}, "list": []},
    {"quote": 'say "hi"\\ \n\t\u2028 \x00', "big": 1.7976931348623157e308},
    {1: "int key", 2.5: "float key", None: "null key", False: "bool key"},
    "a string alone",
    42,
    [("tuple", "in"), "a list"],
    {"nan": math.nan, "inf": math.inf, "-inf": -math.inf},
    {"body": {"decision": _SHARED}, "event": _SHARED},  # one object twice is not a cycle
]


@pytest.mark.parametrize("value", VALUES)
def test_dump_writes_what_json_dumps_writes(value: Any) -> None:
    assert dump(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_dump_of_a_value_json_cannot_encode_raises_type_error_and_the_next_dump_works() -> None:
    with pytest.raises(TypeError):
        dump({"when": object()})
    value = {"after": ["the", "failure"]}
    assert json.loads(dump(value)) == value
