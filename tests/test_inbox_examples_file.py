"""Checked writes of examples, and of new intents, into a copy of bot_rules: the author's
comments, order and layout kept; a write the loader would reject refused with the file left
as it was."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from helpline.errors import InboxError
from helpline.inbox.examples_file import NewIntent, add_examples, add_intent

BOT_RULES = Path(__file__).parent.parent / "bot_rules"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "bot_rules"
    shutil.copytree(BOT_RULES, copy)
    return copy


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_examples_are_appended_to_the_language_list_and_nothing_else_moves(
    rules_dir: Path,
) -> None:
    billing = rules_dir / "intents" / "billing.yaml"
    before = billing.read_text(encoding="utf-8")

    written = add_examples(
        rules_dir,
        "update_payment_method",
        "en",
        ["can i pay with bitcoin", "do you accept bitcoin"],
    )

    after = billing.read_text(encoding="utf-8")
    assert written.added == ("can i pay with bitcoin", "do you accept bitcoin")
    assert written.file == str(billing)
    assert changed_lines(before, after) == [
        '+        - "can i pay with bitcoin"',
        '+        - "do you accept bitcoin"',
    ]
    en = written.rulebook.by_name["update_payment_method"].examples["en"]
    assert en[-2:] == ("can i pay with bitcoin", "do you accept bitcoin")


def test_a_flow_style_file_stays_flow_style_and_keeps_its_comments(rules_dir: Path) -> None:
    extra = rules_dir / "intents" / "zz_extra.yaml"
    extra.write_text(
        "# Written by hand, flow style.\n"
        "intents:\n"
        "  - name: crypto_payment   # unique, snake_case\n"
        "    category: billing\n"
        "    examples:              # what customers say\n"
        '      en: ["pay with crypto", "crypto payments", "do you take crypto"]\n'
        '      ko: ["암호화폐 결제", "코인으로 결제", "가상화폐 되나요"]\n'
        "    answer:\n"
        '      en: "We take cards and PayPal."\n'
        '      ko: "카드와 페이팔로 결제할 수 있어요."\n',
        encoding="utf-8",
    )
    before = extra.read_text(encoding="utf-8")

    add_examples(rules_dir, "crypto_payment", "ko", ["코인 결제"])

    assert changed_lines(before, extra.read_text(encoding="utf-8")) == [
        '-      ko: ["암호화폐 결제", "코인으로 결제", "가상화폐 되나요"]',
        '+      ko: ["암호화폐 결제", "코인으로 결제", "가상화폐 되나요", "코인 결제"]',
    ]


def test_wordings_the_intent_has_or_repeats_are_written_once_or_not_at_all(
    rules_dir: Path,
) -> None:
    billing = rules_dir / "intents" / "billing.yaml"
    before = billing.read_text(encoding="utf-8")

    none_new = add_examples(
        rules_dir, "payment_failed", "en", ["My payment failed!", "card declined"]
    )
    once = add_examples(rules_dir, "payment_failed", "en", ["pay by bitcoin", "Pay by Bitcoin?"])

    assert none_new.added == ()
    assert once.added == ("pay by bitcoin",)
    assert changed_lines(before, billing.read_text(encoding="utf-8")) == [
        '+        - "pay by bitcoin"'
    ]


def test_a_write_the_loader_rejects_is_refused_and_the_file_left_as_it_was(
    rules_dir: Path,
) -> None:
    cancellation = rules_dir / "intents" / "cancellation.yaml"
    before = cancellation.read_text(encoding="utf-8")

    # "card declined" is payment_failed's: under two intents the matcher would pick at random
    with pytest.raises(InboxError, match="also an example of 'payment_failed'") as refused:
        add_examples(rules_dir, "refund_status", "en", ["where is my parcel", "Card declined"])

    assert refused.value.code == "rules_refused"
    assert str(rules_dir) in str(refused.value) and "helpline-rules-" not in str(refused.value)
    assert cancellation.read_text(encoding="utf-8") == before
    assert [p.name for p in cancellation.parent.iterdir() if p.name.startswith(".")] == []


def test_an_unknown_intent_is_named_in_the_refusal(rules_dir: Path) -> None:
    with pytest.raises(InboxError, match="no intent 'crypto'") as refused:
        add_examples(rules_dir, "crypto", "en", ["can i pay with bitcoin"])
    assert refused.value.code == "not_found"


def test_rules_broken_by_hand_refuse_every_write_until_fixed(rules_dir: Path) -> None:
    plans = rules_dir / "intents" / "plans.yaml"
    plans.write_text(plans.read_text(encoding="utf-8") + "  - name: [broken\n", encoding="utf-8")
    billing = rules_dir / "intents" / "billing.yaml"
    before = billing.read_text(encoding="utf-8")

    with pytest.raises(InboxError, match="the rules have errors now") as refused:
        add_examples(rules_dir, "payment_failed", "en", ["can i pay with bitcoin"])

    assert refused.value.code == "rules_refused"
    assert billing.read_text(encoding="utf-8") == before


GIFT_CARDS = NewIntent(
    name="gift_cards",
    category="billing",
    title={"en": "Gift cards", "ko": "기프트 카드"},
    examples={
        "en": ("do you sell gift cards", "can i buy a gift card"),
        "ko": ("기프트 카드 있어요?",),
    },
    answer={
        "en": "Gift cards are sold at **partner stores**.",
        "ko": "기프트 카드는 제휴 매장에서 팔아요.",
    },
)


def test_a_new_intent_is_appended_in_the_files_block_style_after_a_blank_line(
    rules_dir: Path,
) -> None:
    billing = rules_dir / "intents" / "billing.yaml"
    before = billing.read_text(encoding="utf-8")

    written = add_intent(rules_dir, "billing.yaml", GIFT_CARDS)

    assert billing.read_text(encoding="utf-8") == before + (
        "\n"
        "  - name: gift_cards\n"
        "    category: billing\n"
        '    title: {en: "Gift cards", ko: "기프트 카드"}\n'
        "    examples:\n"
        "      en:\n"
        '        - "do you sell gift cards"\n'
        '        - "can i buy a gift card"\n'
        "      ko:\n"
        '        - "기프트 카드 있어요?"\n'
        "    answer:\n"
        '      en: "Gift cards are sold at **partner stores**."\n'
        '      ko: "기프트 카드는 제휴 매장에서 팔아요."\n'
    )
    assert written.file == str(billing)
    assert (
        written.rulebook.by_name["gift_cards"].answer["ko"] == "기프트 카드는 제휴 매장에서 팔아요."
    )


def test_a_new_intent_in_a_file_without_blank_lines_gets_none(rules_dir: Path) -> None:
    extra = rules_dir / "intents" / "zz_extra.yaml"
    extra.write_text(
        "intents:\n"
        "  - name: crypto_payment\n"
        "    category: billing\n"
        '    examples: {en: ["pay with bitcoin", "crypto payment"], ko: ["비트코인 결제"]}\n'
        '    answer: {en: "No crypto, sorry.", ko: "암호화폐는 안 돼요."}\n',
        encoding="utf-8",
    )

    add_intent(rules_dir, "zz_extra.yaml", GIFT_CARDS)

    text = extra.read_text(encoding="utf-8")
    assert "\n\n" not in text
    assert "  - name: gift_cards\n" in text
    assert '      en: ["do you sell gift cards", "can i buy a gift card"]\n' in text


@pytest.mark.parametrize(
    ("file_name", "code"), [("nowhere.yaml", "not_found"), ("../config.yaml", "not_found")]
)
def test_only_a_file_that_holds_intents_can_be_written(
    rules_dir: Path, file_name: str, code: str
) -> None:
    with pytest.raises(InboxError) as refused:
        add_intent(rules_dir, file_name, GIFT_CARDS)

    assert refused.value.code == code
