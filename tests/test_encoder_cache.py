"""The sentence encoder's disk cache: a restart and a reload encode only texts never seen, a
broken cache file never stops a start, two nodes filling one cache at once leave it whole,
and without the model the rules load on words alone with a warning."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fixtures_rules import CONFIG, write_rules
from helpline import sentence_model
from helpline.cli import main
from helpline.cli.check import check_directory
from helpline.cli.serve import _load_rules
from helpline.matcher import SoftIdfMatcher, build_matcher
from helpline.matcher import encoder as encoder_module
from helpline.matcher.encoder import DIMENSIONS, VERSION, SentenceEncoder
from helpline.matcher.encoder_cache import EncodingCache, default_dir, model_key
from helpline.rules import load_rulebook
from helpline.sentence_model import WORDS_ONLY, EncoderMissing, model_zip

ROWS = [
    ("refund", "I want a refund"), ("refund", "refund my order please"),
    ("refund", "how do I get my money back"),
    ("lost_card", "I lost my card"), ("lost_card", "my card was stolen"),
    ("lost_card", "block my lost card"),
    ("opening_hours", "when are you open"), ("opening_hours", "what are your opening hours"),
    ("opening_hours", "are you open on sunday"),
]  # fmt: skip
TEXTS = [text for _, text in ROWS]
MODEL = model_zip()
KEY = model_key(MODEL, VERSION) if MODEL is not None else ""


@pytest.fixture
def folder(tmp_path: Path, encoder_cache_dir: Path) -> Path:
    """An empty cache folder holding only the unzipped model, linked from the session's
    (unzipping it costs a second and 90 MB; the cache only ever replaces it, never writes
    into it, so the link is safe)."""
    SentenceEncoder.shipped()  # the session's folder has the model unzipped from here on
    name = f"model-{KEY}-{encoder_module.WEIGHTS}"
    os.link(encoder_cache_dir / name, tmp_path / name)
    return tmp_path


def encoder_in(folder: Path) -> SentenceEncoder:
    """The model as a new process would read it, with the cache in folder."""
    assert MODEL is not None
    return SentenceEncoder(MODEL, EncodingCache(folder, KEY, DIMENSIONS))


def test_a_restart_encodes_nothing_it_encoded_before(folder: Path) -> None:
    first = SoftIdfMatcher(ROWS, encoders=[before := encoder_in(folder)])
    again = SoftIdfMatcher(ROWS, encoders=[after := encoder_in(folder)])
    assert (before.encoded, after.encoded) == (len(ROWS), 0)
    assert np.array_equal(first.index.meanings, again.index.meanings)
    assert again.match("give me my money back", limit=1) == first.match(
        "give me my money back", limit=1
    )


def test_a_reload_encodes_only_the_texts_that_changed(folder: Path) -> None:
    encoder = encoder_in(folder)
    SoftIdfMatcher(ROWS, encoders=[encoder])
    edited = [*ROWS[:-1], ("opening_hours", "are you open on public holidays")]
    SoftIdfMatcher(edited, encoders=[encoder])  # a hot reload: the same process
    restarted = encoder_in(folder)
    SoftIdfMatcher([*edited, ("refund", "where is my refund")], encoders=[restarted])
    assert (encoder.encoded, restarted.encoded) == (len(ROWS) + 1, 1)


def test_a_start_stopped_halfway_keeps_what_it_encoded(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(encoder_module, "BATCH", 2)
    monkeypatch.setattr(encoder_module, "SAVE_EVERY", 2)
    stopped = encoder_in(folder)
    forward = stopped._forward

    def killed_on_the_third_batch(texts: list[str]) -> np.ndarray:
        if stopped.encoded >= 4:
            raise KeyboardInterrupt
        return forward(texts)

    monkeypatch.setattr(stopped, "_forward", killed_on_the_third_batch)
    with pytest.raises(KeyboardInterrupt):
        stopped.encode(TEXTS[:6])
    restarted = encoder_in(folder)
    restarted.encode(TEXTS[:6])
    assert restarted.encoded == 2


def test_the_cache_keeps_the_numbers_the_model_gave(folder: Path) -> None:
    made = encoder_in(folder).encode(TEXTS)
    read_back = encoder_in(folder).encode(TEXTS)
    assert np.array_equal(made, read_back)


def test_a_message_sent_again_is_not_encoded_again(folder: Path) -> None:
    encoder = encoder_in(folder)
    first = encoder.encode_one("talk to a person")
    again = encoder.encode_one("talk to a person")
    assert encoder.encoded == 1
    assert np.array_equal(first, again)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_broken_cache_file_is_ignored_and_made_again(folder: Path, damage: str) -> None:
    expected = encoder_in(folder).encode(TEXTS)
    path = EncodingCache(folder, KEY, DIMENSIONS).path
    if damage == "garbage":
        path.write_bytes(b"not a database at all " * 500)
    else:
        with sqlite3.connect(path) as database:  # more pages, so that half of them is cut
            rows = [(f"padding {n}", b"\0" * 4 * DIMENSIONS) for n in range(2000)]
            database.executemany("INSERT INTO encoding VALUES (?, ?)", rows)
        database.close()
        os.truncate(path, path.stat().st_size // 2)
    recovered = encoder_in(folder)
    assert np.allclose(recovered.encode(TEXTS), expected, atol=1e-5)
    assert recovered.encoded == len(TEXTS)
    after = encoder_in(folder)
    after.encode(TEXTS)
    assert after.encoded == 0  # the file was made again, whole


def test_a_truncated_unzipped_model_is_unzipped_again(tmp_path: Path) -> None:
    expected = SentenceEncoder.shipped().encode(TEXTS[:2])
    (tmp_path / f"model-{KEY}-{encoder_module.WEIGHTS}").write_bytes(b"\0" * 1000)
    assert np.allclose(encoder_in(tmp_path).encode(TEXTS[:2]), expected, atol=1e-5)


def test_an_unwritable_cache_folder_is_said_once_and_the_encoder_works(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache folder should be")
    encoder = encoder_in(blocked / "cache")
    with caplog.at_level(logging.WARNING):
        vectors = encoder.encode(TEXTS[:2])
        encoder.encode(TEXTS[2:4])
    assert np.allclose(vectors, SentenceEncoder.shipped().encode(TEXTS[:2]), atol=1e-5)
    said = [r for r in caplog.records if "not cached on disk" in r.getMessage()]
    assert len(said) == 1


CHILD = """
import sys
from pathlib import Path
from helpline.matcher.encoder import DIMENSIONS, VERSION, SentenceEncoder
from helpline.sentence_model import model_zip
from helpline.matcher.encoder_cache import EncodingCache, model_key
found = model_zip()
cache = EncodingCache(Path(sys.argv[1]), model_key(found, VERSION), DIMENSIONS)
encoder = SentenceEncoder(found, cache)
texts = sys.argv[2:]
print("ready", flush=True)
sys.stdin.readline()  # both processes start encoding when the test says so
encoder.encode(texts)
print(encoder.encoded, flush=True)
"""


def test_two_nodes_filling_one_cache_at_once_leave_it_whole(tmp_path: Path) -> None:
    # an empty folder: both also unzip the model at the same time
    shared = [f"a question both nodes have, number {n}" for n in range(40)]
    own = {side: [f"a question only node {side} has, {n}" for n in range(20)] for side in "ab"}
    nodes = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), *shared, *own[side]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for side in "ab"
    ]
    for node in nodes:
        assert node.stdout is not None and node.stdout.readline().strip() == "ready"
    for node in nodes:
        assert node.stdin is not None
        node.stdin.write("go\n")
        node.stdin.flush()
    outputs = [node.communicate(timeout=240)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0]
    assert [int(out.split()[-1]) for out in outputs] == [60, 60]
    path = EncodingCache(tmp_path, KEY, DIMENSIONS).path
    with sqlite3.connect(path) as database:
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert database.execute("SELECT count(*) FROM encoding").fetchone() == (80,)
    database.close()
    reader = encoder_in(tmp_path)
    everything = shared + own["a"] + own["b"]
    vectors = reader.encode(everything)
    assert reader.encoded == 0
    assert np.allclose(vectors, SentenceEncoder.shipped().encode(everything), atol=1e-5)
    assert list(tmp_path.glob("*.tmp")) == []  # no half-written model left behind


def test_the_cache_folder_is_the_setting_else_the_users_cache() -> None:
    assert default_dir({"HELPLINE_CACHE_DIR": "/srv/cache"}) == Path("/srv/cache")
    assert default_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/helpline")
    assert default_dir({}) == Path.home() / ".cache" / "helpline"


def test_the_shipped_bot_uses_the_encoder_where_it_is_installed() -> None:
    rulebook = load_rulebook(Path(__file__).parent.parent / "bot_rules")
    assert rulebook.config.encoder == "minilm"


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the model package were not installed (the process's encoder, read once and
    kept, is hidden too)."""

    def missing() -> SentenceEncoder:
        raise EncoderMissing(sentence_model.MISSING)

    monkeypatch.setattr(sentence_model, "model_zip", lambda: None)
    monkeypatch.setattr(SentenceEncoder, "shipped", staticmethod(missing))


ENCODER_ON = CONFIG + "matcher:\n  encoder: minilm\n"


@pytest.mark.usefixtures("no_model")
def test_without_the_model_the_rules_load_and_match_on_words(tmp_path: Path) -> None:
    rulebook = load_rulebook(write_rules(tmp_path, {"config.yaml": ENCODER_ON}))
    assert [w.message for w in rulebook.warnings if w.message == WORDS_ONLY] == [WORDS_ONLY]
    matcher = build_matcher(rulebook)
    assert matcher.index.encoders == ()
    (best,) = matcher.match("refund status example two", limit=1)
    assert best.intent == "refund_status"


@pytest.mark.usefixtures("no_model")
def test_without_the_model_check_warns_and_passes(tmp_path: Path) -> None:
    result = check_directory(write_rules(tmp_path, {"config.yaml": ENCODER_ON}), providers=[])
    assert result.exit_code == 0
    assert [str(p).split(": ", 1)[1] for p in result.problems] == [f"warning: {WORDS_ONLY}"]


@pytest.mark.usefixtures("no_model")
def test_without_the_model_serve_says_so_once_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        _load_rules(write_rules(tmp_path, {"config.yaml": ENCODER_ON}))
    assert [r.getMessage().count(WORDS_ONLY) for r in caplog.records] == [1]


@pytest.mark.usefixtures("no_model")
def test_without_the_model_eval_with_the_encoder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    test = tmp_path / "test.jsonl"
    test.write_text(json.dumps({"text": "refund status", "intent": "refund_status"}) + "\n")
    rules = write_rules(tmp_path / "rules")
    assert main(["eval", str(test), "--rules", str(rules), "--encoder", "minilm"]) == 1
    assert "not installed" in capsys.readouterr().err
