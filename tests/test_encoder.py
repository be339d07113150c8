"""The sentence encoder: it reproduces the published model, lets a message that shares no
word with an intent's examples find it by meaning, and is a setting authors turn on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fixtures_rules import CONFIG, write_rules
from helpline.cli import main
from helpline.matcher import SoftIdfMatcher, build_matcher
from helpline.matcher.encoder import DIMENSIONS, SentenceEncoder
from helpline.matcher.meaning import DIMENSIONS as WORD_DIMENSIONS
from helpline.rules import load_rulebook

# The first six numbers of each sentence's vector as sentence-transformers computes them
# (transformers and PyTorch, mean pooling, unit length), written down once.
PUBLISHED = {
    "How do I reset my password?": [0.0069, -0.06302, -0.07204, -0.0325, -0.04271, 0.07043],
    "the package never arrived": [-0.09765, 0.03312, -0.00701, 0.04188, 0.01877, -0.03446],
}

ROWS = [
    ("refund", "I want a refund"), ("refund", "refund my order please"),
    ("refund", "how do I get a refund"),
    ("lost_card", "I lost my card"), ("lost_card", "my card was stolen"),
    ("lost_card", "block my lost card"),
    ("opening_hours", "when are you open"), ("opening_hours", "what are your opening hours"),
    ("opening_hours", "are you open on sunday"),
    ("change_address", "change my address"), ("change_address", "update my home address"),
    ("change_address", "I moved, new address"),
]  # fmt: skip


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.shipped()


def test_the_encoder_reproduces_the_published_model(encoder: SentenceEncoder) -> None:
    vectors = encoder.encode(list(PUBLISHED))
    assert vectors.shape == (2, DIMENSIONS)
    for vector, expected in zip(vectors, PUBLISHED.values(), strict=True):
        assert np.allclose(vector[:6], expected, atol=1e-4)
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    # a message on its own gets the same numbers as in a batch, where it is padded
    alone = encoder.encode_one("my parcel is late")
    padded = encoder.encode(["my parcel is late", "a longer sentence, so that the first is padded"])
    assert np.allclose(alone, padded[0], atol=1e-5)


def test_a_paraphrase_is_nearer_than_a_sentence_sharing_its_words(
    encoder: SentenceEncoder,
) -> None:
    money, refund, words = encoder.encode(
        ["give me my money back", "can I get a refund", "give me the back door key"]
    )
    assert money @ refund > money @ words


def test_korean_is_not_encoded(encoder: SentenceEncoder) -> None:
    # the model's vocabulary is English: a Korean sentence would be noise, so it is zero
    assert not encoder.encode_one("비밀번호를 잊어버렸어요").any()
    assert not encoder.encode(["환불 받고 싶어요", "refund"])[0].any()


@pytest.mark.parametrize(
    ("message", "intent"),
    [("give me my money back", "refund"), ("I relocated to another city", "change_address")],
)
def test_the_encoder_finds_an_intent_no_example_shares_a_word_with(
    encoder: SentenceEncoder, message: str, intent: str
) -> None:
    with_words = SoftIdfMatcher(ROWS).match(message, limit=1)
    with_meaning = SoftIdfMatcher(ROWS, encoders=[encoder]).match(message, limit=1)
    assert with_words[0].intent != intent  # the words alone go elsewhere
    assert with_meaning[0].intent == intent


def test_explanations_still_name_the_meaning_words(encoder: SentenceEncoder) -> None:
    matcher = SoftIdfMatcher(ROWS, encoders=[encoder])
    (best,) = matcher.match("give me my money back", limit=1, explain=True)
    assert any(line.startswith("meaning from: ") and "money" in line for line in best.evidence)


def test_the_config_turns_the_encoder_on(tmp_path: Path) -> None:
    write_rules(tmp_path, {"config.yaml": CONFIG + "matcher:\n  encoder: minilm\n"})
    on = build_matcher(load_rulebook(tmp_path))
    assert on.index.encoders == (SentenceEncoder.shipped(),)
    assert on.index.meanings.shape[1] == WORD_DIMENSIONS + DIMENSIONS
    write_rules(tmp_path, {"config.yaml": CONFIG})
    assert build_matcher(load_rulebook(tmp_path)).index.encoders == ()  # off by default


def test_eval_measures_with_the_encoder_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    train.write_text("".join(json.dumps({"text": t, "intent": i}) + "\n" for i, t in ROWS))
    test.write_text(
        json.dumps({"text": "give me my money back", "intent": "refund"}) + "\n"
        + json.dumps({"text": "I relocated to another city", "intent": "change_address"}) + "\n"
    )  # fmt: skip

    def closed_set(*extra: str) -> float:
        assert main(["eval", str(test), "--train", str(train), *extra]) == 0
        figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        return float(figures["closed_set_accuracy"])

    assert closed_set("--encoder", "minilm") == 100.0
    assert closed_set() == 0.0  # the words alone get both wrong
