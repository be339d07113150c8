"""An index's parts (index.IndexParts) as one file: numpy arrays and one JSON document.

Never pickle: the file sits in a cache folder, and reading it must not be able to run code.
np.load(allow_pickle=False) reads only plain arrays, and JSON only data; everything read is
then checked (types, shapes, ranges) before the index uses it, so a file that is damaged,
cut short or made by someone else raises BadIndexFile here instead of failing a message
later. The arrays are members of an uncompressed zip (.npz, index_archive.py: the big ones
memory-mapped), and zip's CRC-32 of each member is checked as it is read, so a changed
byte among the numbers is found too.

Floats keep their exact bits both ways (float64 and float32 arrays, and JSON's shortest
repr of a float), and every dict keeps its order, so a read-back index scores every message
exactly as the cold build that wrote it.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from itertools import chain
from pathlib import Path
from typing import IO, Any, TypeGuard

import numpy as np

from helpline.matcher.classifier import BIAS, SoftmaxClassifier
from helpline.matcher.encoder import CachedEncoder
from helpline.matcher.index_archive import read_arrays, write_arrays
from helpline.matcher.index_parts import IndexParts, Postings, StoredVectors
from helpline.matcher.meaning import DIMENSIONS as WORD_DIMENSIONS

# The layout of the file: change it whenever what is written here changes.
FORMAT = 1


class BadIndexFile(ValueError):
    """The file is not an index this code wrote for this key."""


def write_parts(file: IO[bytes], key: str, parts: IndexParts) -> None:
    names = list(dict.fromkeys(f for vector in parts.vectors for f in vector))
    number = {f: n for n, f in enumerate(names)}
    document = {
        "format": FORMAT,
        "key": key,
        "intents": parts.intents,
        "example_intents": parts.example_intents,
        "texts": parts.texts,
        "words": parts.words,
        "plain": parts.plain,
        "joined": parts.joined,
        "sorted_plain": parts.sorted_plain,
        "features": names,
        "idf": parts.idf,
        "classifier_features": list(parts.classifier.features),
        "centred": [centre is not None for centre in parts.centres],
    }
    ends = np.cumsum([len(vector) for vector in parts.vectors], dtype=np.int64)
    arrays = {
        "document": np.frombuffer(json.dumps(document).encode(), np.uint8),
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
    intents = _strings(document, "intents")
    texts = _strings(document, "texts")
    example_intents = _numbers(document, "example_intents", len(intents))
    found = document.get("words")
    if not _is_list_of(found, list) or not _is_list_of(list(chain.from_iterable(found)), str):
        raise BadIndexFile("words: not lists of strings")
    words: list[list[str]] = found
    plain, joined, sorted_plain = (
        _strings(document, n) for n in ("plain", "joined", "sorted_plain")
    )
    if (
        len(
            {
                len(texts),
                len(words),
                len(example_intents),
                len(plain),
                len(joined),
                len(sorted_plain),
            }
        )
        != 1
    ):
        raise BadIndexFile("examples: not as many of each part")
    idf = document.get("idf")
    if not isinstance(idf, dict) or not _is_list_of(list(idf.values()), float):
        raise BadIndexFile("idf: not a table of numbers")
    dimensions = WORD_DIMENSIONS + sum(encoder.dimensions for encoder in encoders)
    meanings = _array(arrays, "meanings", np.float32, 2, (len(texts), dimensions))
    columns = _strings(document, "classifier_features")
    if columns[:1] != [BIAS] or len(set(columns)) != len(columns):
        raise BadIndexFile("classifier_features: not the classifier's columns")
    classifier = SoftmaxClassifier.trained(
        columns,
        _array(arrays, "classifier_weights", np.float32, 2, (len(columns) + 1, len(intents))),
        _array(arrays, "classifier_meaning_weights", np.float32, 2, (dimensions, len(intents))),
    )
    vectors, postings = _vectors(document, arrays, len(texts))
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


def _vectors(
    document: dict[str, Any], arrays: dict[str, np.ndarray], count: int
) -> tuple[StoredVectors, Postings]:
    """Each example's vector, its features in the order they were written (made when
    asked for), and their inverted lists, made from the arrays as index_parts.postings
    makes them from the vectors."""
    names = _strings(document, "features")
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


def _strings(document: dict[str, Any], name: str) -> list[str]:
    found = document.get(name)
    if not isinstance(found, list) or not _is_list_of(found, str):
        raise BadIndexFile(f"{name}: not a list of strings")
    return found


def _is_list_of(found: object, kind: type) -> TypeGuard[list[Any]]:
    """A list whose items are all exactly of this type (types gathered in C: 50,000
    examples' words are half a million items)."""
    return isinstance(found, list) and set(map(type, found)) <= {kind}


def _numbers(document: dict[str, Any], name: str, below: int) -> list[int]:
    found = document.get(name)
    if not isinstance(found, list) or not _is_list_of(found, int):
        raise BadIndexFile(f"{name}: not a list of numbers under {below}")
    if found and (min(found) < 0 or max(found) >= below):
        raise BadIndexFile(f"{name}: not a list of numbers under {below}")
    return found
