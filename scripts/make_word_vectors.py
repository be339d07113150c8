"""Makes src/helpline/matcher/data/glove-6b-50d-50k.npz from the published GloVe vectors.

Run: python scripts/make_word_vectors.py glove.6B.50d.txt [OUT.npz]

glove.6B.50d.txt is in glove.6B.zip (https://nlp.stanford.edu/projects/glove/, public
domain under PDDL 1.0): one word per line, most frequent first, then its 50 numbers. The
file kept is the first 50,000 lower-case alphabetic words (an apostrophe inside allowed),
each vector stored as int8 times one float16 scale per word. The largest error this adds
to any number is about 0.02 (the numbers reach 5.5); the matcher only ever adds vectors
up and compares directions, which that does not change in any way that shows.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

WORDS = 50_000
KEPT = re.compile(r"[a-z]+(?:'[a-z]+)?")
OUT = Path(__file__).resolve().parent.parent / "src/helpline/matcher/data/glove-6b-50d-50k.npz"


def main(source: str, out: Path = OUT) -> None:
    words: list[str] = []
    rows: list[np.ndarray] = []
    with open(source, encoding="utf-8") as lines:
        for line in lines:
            word, _, numbers = line.rstrip("\n").partition(" ")
            if KEPT.fullmatch(word):
                words.append(word)
                rows.append(np.array(numbers.split(" "), np.float32))
                if len(words) == WORDS:
                    break
    vectors = np.stack(rows)
    scales = np.abs(vectors).max(axis=1) / 127.0
    quantised = np.round(vectors / scales[:, None]).astype(np.int8)
    np.savez_compressed(
        out, words=np.array("\n".join(words)), vectors=quantised, scales=scales.astype(np.float16)
    )
    print(f"{out}: {len(words)} words, {out.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]) if len(sys.argv) > 2 else OUT)
