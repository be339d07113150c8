"""A list of strings as two plain arrays: the strings' UTF-8, a NUL between each two, and
each one's length in characters.

The index file's lists of strings (every example's text and its forms, the features' names)
were a JSON document; parsing it and checking that each item was a string took a
15,000-example restart 0.04-0.1 s, and one of 50,000 about 0.3 s. Read back from here, the
text is decoded and split in C, and every item is a string by construction. Any string
round-trips: one that holds a NUL itself is cut out by the lengths instead (slower, and
no rule's text has one), and a lone surrogate is kept as it was written.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

import numpy as np

_ERRORS = "surrogatepass"  # a lone surrogate (YAML's "\ud800") is kept as it was written
_BETWEEN = "\x00"


class BadStringTable(ValueError):
    """The arrays are not a list of strings this module wrote."""


def string_arrays(strings: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes, lengths in characters) of the strings."""
    text = np.frombuffer(_BETWEEN.join(strings).encode("utf-8", _ERRORS), np.uint8)
    return text, np.fromiter(map(len, strings), np.int64, len(strings))


def strings_of(text: np.ndarray, lengths: np.ndarray) -> list[str]:
    """The strings string_arrays was given; BadStringTable for arrays it did not make."""
    try:
        joined = text.tobytes().decode("utf-8", _ERRORS)
    except UnicodeDecodeError as exc:
        raise BadStringTable(f"not UTF-8 ({exc.reason})") from exc
    count = len(lengths)
    if (count and lengths.min() < 0) or int(lengths.sum()) + max(count - 1, 0) != len(joined):
        raise BadStringTable("the lengths do not add up to the text")
    if not count:
        return []
    pieces = joined.split(_BETWEEN)
    if len(pieces) == count:  # no string holds a NUL of its own
        return pieces
    starts = [a + n for n, a in enumerate(accumulate(lengths.tolist(), initial=0))]
    return [joined[a : a + n] for a, n in zip(starts, lengths.tolist(), strict=False)]
