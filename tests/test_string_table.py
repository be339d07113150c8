"""The index file's lists of strings as two arrays: any list comes back as it was given."""

from __future__ import annotations

import numpy as np
import pytest

from helpline.matcher.string_table import BadStringTable, string_arrays, strings_of

LISTS = [
    [],
    [""],
    ["", "", "a"],
    ["결제가 안돼요", "my card was declined", "ㅠㅠ", "e\u0301"],
    ["a\x00b", "line\nbreak", "\ud800 alone", "😀 wide"],
]


@pytest.mark.parametrize("strings", LISTS)
def test_a_list_of_strings_comes_back_as_it_was_given(strings: list[str]) -> None:
    text, lengths = string_arrays(strings)
    assert (text.dtype, lengths.dtype) == (np.uint8, np.int64)
    assert strings_of(text, lengths) == strings


def test_lengths_that_do_not_add_up_to_the_text_are_refused() -> None:
    text, lengths = string_arrays(["one", "two"])
    with pytest.raises(BadStringTable, match="do not add up"):
        strings_of(text[:-1], lengths)
    with pytest.raises(BadStringTable, match="do not add up"):
        strings_of(text, np.array([7, -1], np.int64))
    with pytest.raises(BadStringTable, match="do not add up"):
        strings_of(text, np.array([], np.int64))


def test_bytes_that_are_not_utf8_are_refused() -> None:
    with pytest.raises(BadStringTable, match="not UTF-8"):
        strings_of(np.frombuffer(b"\xff\xfe", np.uint8), np.array([2], np.int64))
