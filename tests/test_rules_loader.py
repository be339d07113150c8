"""A valid rules directory (or data in memory) loads into the values its author wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_rules import TESTS, intent, write_rules
from helpline.errors import RulesError
from helpline.hours import BusinessHours, Hours
from helpline.routing import QueueSettings
from helpline.rules import Thresholds, load_rulebook, rulebook_from_data
from helpline.rules.reader import MAX_FILE_BYTES


def test_config_values_are_read(tmp_path: Path) -> None:
    config = load_rulebook(write_rules(tmp_path)).config
    assert config.languages == ("en", "ko")
    assert config.default_language == "en"
    assert config.thresholds == Thresholds(answer=80, clarify=55, ambiguity=5)
    assert config.max_fallbacks == 3
    assert (config.frustration.escalate_at, config.frustration.half_life_s) == (0.6, 120)
    assert config.synonyms == {"password": ("pw", "pwd")}
    assert config.text("greeting", "ko", name="민수") == "안녕 민수"
    assert config.business_hours == BusinessHours(Hours("Asia/Seoul"))
    assert config.queue == QueueSettings(fallback_team="general")


def test_intents_are_read_with_their_file_and_line(tmp_path: Path) -> None:
    rulebook = load_rulebook(write_rules(tmp_path))
    refund = rulebook.by_name["refund_status"]
    assert refund.examples["en"] == (
        "refund status example one", "refund status example two", "refund status example three"
    )  # fmt: skip
    assert refund.answer == {"en": "The answer to refund status.", "ko": "refund status 답변."}
    assert (refund.category, refund.priority, refund.escalate) == ("general", "normal", False)
    assert refund.file == str(tmp_path / "intents" / "base.yaml")
    assert refund.line == 15  # second intent of the file: its `- name:` line


def test_optional_intent_keys_are_read(tmp_path: Path) -> None:
    extra = ("category: billing", "quick_replies: [talk_to_agent]", "escalate: true",
             "priority: urgent", "action: action_check_refund", "title: {en: Refunds}")  # fmt: skip
    write_rules(tmp_path, {"intents/more.yaml": "intents:\n" + intent("late_refund", *extra)})
    late = load_rulebook(tmp_path).by_name["late_refund"]
    assert (late.category, late.quick_replies, late.escalate) == (
        "billing",
        ("talk_to_agent",),
        True,
    )
    assert (late.priority, late.action, late.label("en")) == (
        "urgent",
        "action_check_refund",
        "Refunds",
    )


def test_intent_thresholds_override_the_config_ones(tmp_path: Path) -> None:
    write_rules(
        tmp_path,
        {"intents/more.yaml": "intents:\n" + intent("late_refund", "thresholds: {answer: 90}")},
    )
    rulebook = load_rulebook(tmp_path)
    assert rulebook.thresholds_for("late_refund") == Thresholds(answer=90, clarify=55, ambiguity=5)
    assert rulebook.thresholds_for("refund_status") == Thresholds(
        answer=80, clarify=55, ambiguity=5
    )


def test_intents_from_several_files_are_all_loaded(tmp_path: Path) -> None:
    write_rules(tmp_path, {"intents/a.yaml": "intents:\n" + intent("plan_prices"),
                           "intents/b.yml": "intents:\n" + intent("cancel_plan")})  # fmt: skip
    names = {i.name for i in load_rulebook(tmp_path).intents}
    assert names == {"talk_to_agent", "refund_status", "plan_prices", "cancel_plan"}


def test_conversation_tests_keep_each_step_and_its_line(tmp_path: Path) -> None:
    rulebook = load_rulebook(write_rules(tmp_path, {"tests/flows.yaml": TESTS}))
    (test,) = rulebook.tests
    assert (test.name, test.line, test.file) == (
        "refund then person",
        2,
        str(tmp_path / "tests/flows.yaml"),
    )
    assert [dict(s) for s in test.steps] == [
        {"line": 4, "user": "where is my refund", "intent": "refund_status", "decision": "answer"},
        {"line": 7, "button": "talk_to_agent"},
        {"line": 8, "feedback": True},
        {"line": 9, "user": "asdfgh", "intent": None},
    ]


def test_action_files_are_noted(tmp_path: Path) -> None:
    write_rules(tmp_path, {"actions/billing.py": "NAME = 'action_check_refund'\n"})
    assert load_rulebook(tmp_path).action_files == (str(tmp_path / "actions" / "billing.py"),)


def test_an_action_no_actions_file_names_is_a_warning(tmp_path: Path) -> None:
    more = "intents:\n" + intent("late_refund", "action: action_lookup")
    write_rules(tmp_path, {"actions/billing.py": "NAME = 'action_other'\n", "intents/m.yaml": more})
    (warning,) = load_rulebook(tmp_path).warnings
    assert "action 'action_lookup' is not named in actions/*.py" in warning.message


def test_few_examples_are_a_warning_not_an_error(tmp_path: Path) -> None:
    write_rules(tmp_path, {"intents/more.yaml": "intents:\n" + intent("late_refund", en=2)})
    rulebook = load_rulebook(tmp_path)
    (warning,) = rulebook.warnings
    assert warning.severity == "warning"
    assert (Path(warning.file).name, warning.line) == ("more.yaml", 4)
    assert "only 2 example(s) in 'en'" in warning.message


def test_an_example_listed_twice_in_one_intent_is_a_warning(tmp_path: Path) -> None:
    text = "intents:\n" + intent("late_refund", en=3).replace(
        "late refund example two", "Late refund example ONE"
    )
    (warning,) = load_rulebook(write_rules(tmp_path, {"intents/more.yaml": text})).warnings
    assert "is listed twice (also at line 5)" in warning.message


@pytest.mark.parametrize(
    ("files", "where", "fragment"),
    [
        ({"config.yaml": ""}, "config.yaml", "file is empty"),
        ({"intents/base.yaml": "# nothing yet\n"}, "intents/base.yaml", "file is empty"),
        ({"config.yaml": None}, "config.yaml", "config.yaml is missing"),
        ({"intents/base.yaml": None}, "intents", "no intents: add intents/*.yaml files"),
    ],
    ids=["empty config", "empty intents file", "no config", "no intents"],
)
def test_a_missing_or_empty_file_is_an_error(
    tmp_path: Path, files: dict[str, str | None], where: str, fragment: str
) -> None:
    write_rules(tmp_path, files)
    with pytest.raises(RulesError) as caught:
        load_rulebook(tmp_path)
    assert any(
        p.file == str(tmp_path / where) and fragment in p.message for p in caught.value.problems
    )


def test_a_file_over_the_size_limit_is_an_error_not_a_read(tmp_path: Path) -> None:
    big = "intents:\n" + "# padding\n" * (MAX_FILE_BYTES // 10 + 1)
    write_rules(tmp_path, {"intents/big.yaml": big})
    with pytest.raises(RulesError) as caught:
        load_rulebook(tmp_path)
    (problem,) = caught.value.problems
    assert (Path(problem.file).name, problem.line) == ("big.yaml", 0)
    assert "the limit is 1 MiB" in problem.message


def test_a_file_that_is_not_utf8_is_reported_at_the_bad_line(tmp_path: Path) -> None:
    write_rules(tmp_path)
    (tmp_path / "intents" / "latin.yaml").write_bytes(b"intents:\n  - name: caf\xe9\n")
    with pytest.raises(RulesError) as caught:
        load_rulebook(tmp_path)
    (problem,) = caught.value.problems
    assert (Path(problem.file).name, problem.line, problem.message) == (
        "latin.yaml",
        2,
        "not valid UTF-8 text; save the file as UTF-8",
    )


def test_a_stray_file_in_intents_is_a_warning(tmp_path: Path) -> None:
    write_rules(
        tmp_path, {"intents/billing.yaml.txt": "intents: []\n", "intents/.base.yaml.swp": "x"}
    )
    (warning,) = load_rulebook(tmp_path).warnings
    assert (Path(warning.file).name, warning.message) == (
        "billing.yaml.txt",
        "ignored: not a .yaml file",
    )


def test_rulebook_from_data_builds_the_same_rulebook(tmp_path: Path) -> None:
    config = {"languages": ["en"], "human_intent": "talk_to_agent", "texts": {}}
    intents = [
        {"name": "talk_to_agent", "examples": {"en": ["agent", "human please", "a person"]},
         "answer": {"en": "Connecting you."}},
        {"name": "refund_status", "examples": {"en": ["refund", "my money", "refund status"]},
         "answer": {"en": "Refunds take 5 days."}, "thresholds": {"clarify": 40}},
    ]  # fmt: skip
    rulebook = rulebook_from_data(config, intents)
    assert [i.name for i in rulebook.intents] == ["talk_to_agent", "refund_status"]
    assert rulebook.thresholds_for("refund_status").clarify == 40
    assert rulebook.source == ""


def test_rulebook_from_data_applies_the_same_checks() -> None:
    intents = [{"name": "Refund", "examples": {"en": ["a", "b", "c"]}, "answer": {"en": "x"}}]
    with pytest.raises(RulesError) as caught:
        rulebook_from_data({"languages": ["en"], "max_fallbacks": -1}, intents)
    errors = [str(p) for p in caught.value.problems if p.severity == "error"]
    assert errors == [
        "config: max_fallbacks is -1; it must be from 1 to 20",
        "intents: intent name 'Refund' must be snake_case (lower-case letters, digits and _), "
        "e.g. 'refund'",
    ]


def test_rulebook_from_data_accepts_tuples_for_lists() -> None:
    intents = [{"name": "refund_status", "examples": {"en": ("refund", "my money", "where is it")},
                "answer": {"en": "Soon."}, "quick_replies": ()}]  # fmt: skip
    rulebook = rulebook_from_data({"languages": ("en",), "human_intent": "refund_status"}, intents)
    assert rulebook.by_name["refund_status"].examples["en"] == ("refund", "my money", "where is it")


def test_rulebook_from_data_checks_every_quick_reply_in_a_tuple() -> None:
    examples = {"en": ["refund", "my money", "where"]}
    replies = ("refund_status", "nowhere")
    intents = [
        {
            "name": "refund_status",
            "examples": examples,
            "answer": {"en": "Soon."},
            "quick_replies": replies,
        }
    ]
    with pytest.raises(RulesError) as caught:
        rulebook_from_data({"languages": ["en"], "human_intent": "refund_status"}, intents)
    assert [p.message for p in caught.value.problems if p.severity == "error"] == [
        "intent 'refund_status': quick reply 'nowhere' names no intent"
    ]


def test_a_misspelt_text_name_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    config = (tmp_path / "config.yaml")
    write_rules(tmp_path)
    config.write_text(config.read_text().replace("  fallback:", "  falback:"), encoding="utf-8")
    (warning,) = load_rulebook(tmp_path).warnings
    assert "nothing says 'falback' (did you mean 'fallback'?)" in warning.message


def test_a_text_the_author_left_out_uses_the_built_in_wording(tmp_path: Path) -> None:
    config = (tmp_path / "config.yaml")
    write_rules(tmp_path)
    kept = [ln for ln in config.read_text().splitlines() if not ln.startswith("  fallback:")]
    config.write_text("\n".join(kept) + "\n", encoding="utf-8")
    rulebook = load_rulebook(tmp_path)
    assert rulebook.config.text("fallback", "ko").startswith("죄송해요")
    assert rulebook.warnings == ()
