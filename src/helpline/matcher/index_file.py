"""An index's parts (index.IndexParts) as one file: numpy arrays and a small JSON header.

Never pickle: the file sits in a cache folder, and reading it must not be able to run code.
np.load(allow_pickle=False) reads only plain arrays, and JSON only data; everything read is
then checked (types, shapes, ranges) before the index uses it, so a file that is damaged,
cut short or made by someone else raises BadIndexFile here instead of failing a message
later. The arrays are members of an uncompressed zip (.npz, index_archive.py: the big ones
memory-mapped), and zip's CRC-32 of each member is checked as it is read, so a changed
byte among the numbers is found too. The lists of strings (the examples' texts and forms,
the features' names) are string tables (string_table.py), not JSON: a start parsed and
checked them item by item.

Floats keep their exact bits both ways (float64 and float32 arrays), and every dict keeps
its order, so a read-back index scores every message exactly as the cold build that wrote
it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from itertools import accumulate, chain
from pathlib import Path
from typing import IO, Any

import numpy as np

from helpline.matcher.classifier import BIAS, SoftmaxClassifier
from helpline.matcher.encoder import CachedEncoder
from helpline.matcher.index_archive import read_arrays, write_arrays
from helpline.matcher.index_parts import IndexParts, Postings, StoredVectors
from helpline.matcher.meaning import DIMENSIONS as WORD_DIMENSIONS
from helpline.matcher.string_table import BadStringTable, string_arrays, strings_of

# The layout of the file: change it whenever what is written here changes.
FORMAT = 2


class BadIndexFile(ValueError):
    """The file is not an index this code wrote for this key."""


def write_parts(file: IO[bytes], key: str, parts: IndexParts) -> None:
    names = list(dict.fromkeys(f for vector in parts.vectors for f in vector))
    number = {f: n for n, f in enumerate(names)}
    document = {
        "format": FORMAT,
        "key": key,
        "centred": [centre is not None for centre in parts.centres],
    }
    ends = np.cumsum([len(vector) for vector in parts.vectors], dtype=np.int64)
    arrays: dict[str, np.ndarray] = {
        "document": np.frombuffer(json.dumps(document).encode(), np.uint8),
        "example_intents": np.array(parts.example_intents, np.int64),
        "word_counts": np.fromiter(map(len, parts.words), np.int64, len(parts.words)),
        "idf": np.fromiter(parts.idf.values(), np.float64, len(parts.idf)),
        "vector_starts": np.concatenate([np.zeros(1, np.int64), ends]),
        "vector_features": np.fromiter(
            (number[f] for vector in parts.vectors for f in vector), np.int32
        ),
        "vector_weights": np.fromiter(
            (w for vector in parts.vectors for w in vector.values()), np.float64
        ),
        "meanings": parts.meanings,
        "classifier_weights": parts.classifier.weights,
        "classifier_meaning_weights": parts.classifier.meaning_weights,
    }
    tables = {
        "intents": parts.intents, "texts": parts.texts,
        "words": list(chain.from_iterable(parts.words)), "plain": parts.plain,
        "joined": parts.joined, "sorted_plain": parts.sorted_plain, "features": names,
        "idf_features": list(parts.idf), "classifier_features": list(parts.classifier.features),
    }  # fmt: skip
    for name, strings in tables.items():
        arrays[f"{name}_text"], arrays[f"{name}_lengths"] = string_arrays(strings)
    for n, centre in enumerate(parts.centres):
        if centre is not None:
            arrays[f"centre_{n}"] = centre
    write_arrays(file, arrays)


def read_parts(
    path: Path, key: str, rows: Sequence[tuple[str, str]], encoders: Sequence[CachedEncoder]
) -> IndexParts:
    """The parts written for `key`, the index of `rows`; FileNotFoundError when there is
    no file, BadIndexFile when there is one and it is not what it should be."""
    try:
        arrays = _arrays(path)
        document = json.loads(_array(arrays, "document", np.uint8, 1).tobytes())
    except FileNotFoundError:
        raise
    # ValueError: a pickled member, a bad header or JSON; RecursionError: JSON nested deep
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, RecursionError) as exc:
        raise BadIndexFile(f"not readable: {exc}") from exc
    if not isinstance(document, dict):
        raise BadIndexFile("the document is not an object")
    if document.get("format") != FORMAT or document.get("key") != key:
        raise BadIndexFile("written by other code or for other rules")
    parts = _parts(document, arrays, encoders)
    # the key names these rows; that the file holds them too costs a millisecond
    if parts.texts != [text for _, text in rows] or [
        parts.intents[n] for n in parts.example_intents
    ] != [name for name, _ in rows]:
        raise BadIndexFile("examples: not the rules' own")
    return parts


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with open(path, "rb") as file:
        if file.read(4) != b"PK\x03\x04":  # np.load would read a lone .npy file too
            raise BadIndexFile("not an .npz file")
    return read_arrays(path)


def _parts(
    document: dict[str, Any], arrays: dict[str, np.ndarray], encoders: Sequence[CachedEncoder]
) -> IndexParts:
    intents, texts = _strings(arrays, "intents"), _strings(arrays, "texts")
    example_intents = _numbers(arrays, "example_intents", len(intents))
    plain, joined, sorted_plain = (_strings(arrays, n) for n in ("plain", "joined", "sorted_plain"))
    words = _words(arrays, len(texts))
    if len({len(texts), len(example_intents), len(plain), len(joined), len(sorted_plain)}) != 1:
        raise BadIndexFile("examples: not as many of each part")
    idf_features = _strings(arrays, "idf_features")
    weights = _array(arrays, "idf", np.float64, 1, (len(idf_features),))
    idf = dict(zip(idf_features, weights.tolist(), strict=True))
    if len(idf) != len(idf_features):
        raise BadIndexFile("idf_features: a feature named twice")
    dimensions = WORD_DIMENSIONS + sum(encoder.dimensions for encoder in encoders)
    meanings = _array(arrays, "meanings", np.float32, 2, (len(texts), dimensions))
    columns = _strings(arrays, "classifier_features")
    if columns[:1] != [BIAS] or len(set(columns)) != len(columns):
        raise BadIndexFile("classifier_features: not the classifier's columns")
    classifier = SoftmaxClassifier.trained(
        columns,
        _array(arrays, "classifier_weights", np.float32, 2, (len(columns) + 1, len(intents))),
        _array(arrays, "classifier_meaning_weights", np.float32, 2, (dimensions, len(intents))),
    )
    vectors, postings = _vectors(arrays, len(texts))
    return IndexParts(
        intents,
        example_intents,
        texts,
        words,
        plain,
        joined,
        sorted_plain,
        vectors,
        idf,
        meanings,
        _centres(document, arrays, encoders),
        classifier,
        postings=postings,
    )


def _words(arrays: dict[str, np.ndarray], count: int) -> list[list[str]]:
    """Each example's words: the words of all of them, cut by each one's count."""
    words = _strings(arrays, "words")
    counts = _array(arrays, "word_counts", np.int64, 1, (count,))
    if len(counts) and (counts.min() < 0 or int(counts.sum()) != len(words)):
        raise BadIndexFile("word_counts: not as many words as the examples have")
    ends = list(accumulate(counts.tolist()))
    return [words[a:b] for a, b in zip([0, *ends], ends, strict=False)]


def _vectors(arrays: dict[str, np.ndarray], count: int) -> tuple[StoredVectors, Postings]:
    """Each example's vector, its features in the order they were written (made when
    asked for), and their inverted lists, made from the arrays as index_parts.postings
    makes them from the vectors."""
    names = _strings(arrays, "features")
    starts = _array(arrays, "vector_starts", np.int64, 1, (count + 1,))
    features = _array(arrays, "vector_features", np.int32, 1)
    weights = _array(arrays, "vector_weights", np.float64, 1, features.shape)
    if starts[0] != 0 or starts[-1] != len(features) or (np.diff(starts) < 0).any():
        raise BadIndexFile("vector_starts: not where the vectors start")
    if len(features) and (features.min() < 0 or features.max() >= len(names)):
        raise BadIndexFile("vector_features: a feature that is not named")
    examples = np.repeat(np.arange(count), np.diff(starts))
    return StoredVectors(names, starts, features, weights), Postings(
        names, features, examples, weights
    )


def _centres(
    document: dict[str, Any], arrays: dict[str, np.ndarray], encoders: Sequence[CachedEncoder]
) -> list[np.ndarray | None]:
    centred = document.get("centred")
    if not isinstance(centred, list) or len(centred) != len(encoders):
        raise BadIndexFile("centred: not one flag per encoder")
    return [
        _array(arrays, f"centre_{n}", np.float32, 1, (encoder.dimensions,)) if flag else None
        for n, (flag, encoder) in enumerate(zip(centred, encoders, strict=True))
    ]


def _array(
    arrays: dict[str, np.ndarray],
    name: str,
    dtype: type[np.generic],
    dimensions: int,
    shape: tuple[int, ...] | None = None,
) -> np.ndarray:
    found = arrays.get(name)
    if found is None or found.dtype != dtype or found.ndim != dimensions:
        raise BadIndexFile(f"{name}: missing, or not {dimensions}-D {np.dtype(dtype).name}")
    if shape is not None and found.shape != shape:
        raise BadIndexFile(f"{name}: shape {found.shape}, not {shape}")
    return found


def _strings(arrays: dict[str, np.ndarray], name: str) -> list[str]:
    text = _array(arrays, f"{name}_text", np.uint8, 1)
    try:
        return strings_of(text, _array(arrays, f"{name}_lengths", np.int64, 1))
    except BadStringTable as exc:
        raise BadIndexFile(f"{name}: {exc}") from exc


def _numbers(arrays: dict[str, np.ndarray], name: str, below: int) -> list[int]:
    found = _array(arrays, name, np.int64, 1)
    if len(found) and (found.min() < 0 or found.max() >= below):
        raise BadIndexFile(f"{name}: not a list of numbers under {below}")
    numbers: list[int] = found.tolist()
    return numbers
