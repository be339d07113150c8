"""`helpline chat` and `helpline test` as real processes on a small rules directory."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpline.cli.test import run_tests
from helpline.matcher import build_matcher
from helpline.rules.model import Config, ConversationTest, Intent, Rulebook

CONFIG = """\
languages: [en, ko]
default_language: en
thresholds: {answer: 80, clarify: 55, ambiguity: 5}
max_fallbacks: 2
human_intent: talk_to_agent
texts:
  greeting: {en: "Hi there!", ko: "안녕하세요!"}
  greeting_named: {en: "Hi {name}!", ko: "{name}님 안녕하세요!"}
  clarify: {en: "Did you mean one of these?", ko: "이것을 찾으시나요?"}
  fallback: {en: "Sorry, say it another way?", ko: "다시 말씀해 주세요."}
  fallback_offer_human: {en: "Want a person?", ko: "상담원을 연결할까요?"}
  offer_human_button: {en: "Talk to a person", ko: "상담원 연결"}
  handoff: {en: "Handing you to a person.", ko: "상담원에게 연결할게요."}
  handoff_frustrated: {en: "So sorry, getting a person now.", ko: "죄송해요, 바로 연결할게요."}
  queued_wait: {en: "A person will reply soon.", ko: "곧 상담원이 답변드려요."}
  feedback_thanks: {en: "Glad that helped!", ko: "다행이에요!"}
  feedback_sorry: {en: "Sorry that didn't help.", ko: "도움이 못 돼 죄송해요."}
"""

INTENTS = """\
intents:
  - name: payment_failed
    category: billing
    title: {en: "Payment failed", ko: "결제 실패"}
    examples:
      en: ["my payment failed", "card was declined", "why can't I pay"]
      ko: ["결제가 안 돼요", "카드 결제 실패", "결제 오류가 나요"]
    answer:
      en: "Check your card details under Account > Payment."
      ko: "계정 > 결제에서 카드 정보를 확인해 주세요."
    quick_replies: [refund_status, talk_to_agent]
  - name: refund_status
    category: billing
    title: {en: "Refund status", ko: "환불 상태"}
    examples:
      en: ["where is my refund", "refund status", "when do I get my money back"]
      ko: ["환불 언제 돼요", "환불 상태 확인", "환불금 언제 들어와요"]
    answer:
      en: "Refunds reach your card within 3-5 business days."
      ko: "환불은 영업일 기준 3~5일 안에 카드로 들어가요."
  - name: talk_to_agent
    category: general
    title: {en: "Talk to a person", ko: "상담원 연결"}
    examples:
      en: ["talk to a person", "human please", "connect me to an agent"]
      ko: ["상담원 연결", "사람이랑 얘기할래요", "상담사 바꿔주세요"]
    answer:
      en: "Connecting you."
      ko: "연결해 드릴게요."
"""

TESTS = """\
tests:
  - name: payment then refund
    steps:
      - user: "my payment failed"
        intent: payment_failed
      - user: "where is my refund"
        intent: refund_status
        decision: answer
"""

FAILING_TEST = """\
tests:
  - name: wrong expectation
    steps:
      - user: "refund status"
        intent: payment_failed
"""


def make_rules(root: Path, tests: str = TESTS) -> Path:
    rules = root / "rules"
    (rules / "intents").mkdir(parents=True)
    (rules / "tests").mkdir()
    (rules / "config.yaml").write_text(CONFIG, encoding="utf-8")
    (rules / "intents" / "billing.yaml").write_text(INTENTS, encoding="utf-8")
    (rules / "tests" / "flows.yaml").write_text(tests, encoding="utf-8")
    return rules


def helpline(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpline", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    return make_rules(tmp_path)


def test_chat_answers_and_prints_the_decision_line(rules: Path) -> None:
    done = helpline("chat", "--rules", str(rules), "--lang", "en", stdin="my payment failed\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "bot> Hi there!"
    assert "bot> Check your card details under Account > Payment." in lines
    status = r"intent=payment_failed score=\d+\.\d decision=answer mood=\d\.\d\d"
    assert any(re.fullmatch(status, line) for line in lines)


def test_chat_shows_buttons_numbered_and_a_number_presses_one(rules: Path) -> None:
    done = helpline("chat", "--rules", str(rules), "--lang", "en", stdin="my payment failed\n1\n")
    lines = done.stdout.splitlines()
    assert "  [1] Refund status" in lines
    assert "  [2] Talk to a person" in lines
    assert lines[-2] == "bot> Refunds reach your card within 3-5 business days."
    assert lines[-1].startswith("intent=refund_status score=100.0 decision=answer mood=")


def test_chat_greets_by_name(rules: Path) -> None:
    done = helpline("chat", "--rules", str(rules), "--lang", "ko", "--name", "민지")
    assert done.stdout.splitlines()[0] == "bot> 민지님 안녕하세요!"


def test_chat_stops_at_quit_without_reading_further(rules: Path) -> None:
    done = helpline("chat", "--rules", str(rules), stdin="/quit\nmy payment failed\n")
    assert done.returncode == 0
    assert "decision=answer" not in done.stdout


def test_chat_hands_over_when_asked_for_a_person(rules: Path) -> None:
    done = helpline("chat", "--rules", str(rules), stdin="I want a human\nmy payment failed\n")
    lines = done.stdout.splitlines()
    assert "bot> Handing you to a person." in lines
    assert lines[-1].startswith("intent=- score=0.0 decision=silent")


def test_chat_explain_lists_candidates_with_evidence(rules: Path) -> None:
    done = helpline("chat", "--rules", str(rules), "--explain", stdin="my payment failed\n")
    assert re.search(r"^ +\d+\.\d payment_failed$", done.stdout, re.MULTILINE)
    assert re.search(r"^ {8}.*my payment failed", done.stdout, re.MULTILINE)


def test_chat_prints_rule_errors_with_their_line_and_exits_1(rules: Path) -> None:
    (rules / "config.yaml").write_text(CONFIG + "bogus_key: 1\n", encoding="utf-8")
    done = helpline("chat", "--rules", str(rules))
    assert done.returncode == 1
    assert "config.yaml:" in done.stderr
    assert "bogus_key" in done.stderr


def test_helpline_test_passes_a_conversation_that_matches(rules: Path) -> None:
    done = helpline("test", str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS payment then refund" in done.stdout
    assert done.stdout.splitlines()[-1] == "1 passed, 0 failed, 1 tests"


def test_helpline_test_reports_the_mismatch_and_exits_1(tmp_path: Path) -> None:
    rules = make_rules(tmp_path, FAILING_TEST)
    done = helpline("test", str(rules))
    assert done.returncode == 1
    assert "FAIL wrong expectation" in done.stdout
    expected = (
        r"flows\.yaml:4: test 'wrong expectation' step 1: expected intent payment_failed, "
        r"got refund_status \(score \d+\.\d, answer\)$"
    )
    assert re.search(expected, done.stdout, re.MULTILINE)


def in_memory_rulebook(*steps: dict[str, object]) -> Rulebook:
    texts = {"fallback": {"en": "Sorry?"}, "greeting": {"en": "Hi"}}
    billing = Intent(
        "refund_status",
        "billing",
        {"en": ("where is my refund", "refund status", "when is my money back")},
        {"en": "Three to five days."},
    )
    test = ConversationTest("script", tuple(steps), "tests/t.yaml", 2)
    return Rulebook(
        Config(languages=("en",), default_language="en", texts=texts), (billing,), (test,)
    )


@pytest.mark.parametrize(
    ("step", "passed"),
    [
        ({"user": "where is my refund", "intent": "refund_status", "line": 4}, True),
        ({"user": "where is my refund", "decision": "answer", "line": 4}, True),
        ({"user": "where is my refund", "intent": None, "line": 4}, False),
        ({"user": "zzzz qqqq", "intent": None, "line": 4}, True),
        ({"user": "zzzz qqqq", "decision": "answer", "line": 4}, False),
    ],
)
def test_conversation_test_step_checks_intent_and_decision(
    step: dict[str, object], passed: bool
) -> None:
    rulebook = in_memory_rulebook(step)
    (outcome,) = run_tests(rulebook, build_matcher(rulebook))
    assert outcome.passed is passed


def test_failed_step_names_file_line_test_and_step() -> None:
    rulebook = in_memory_rulebook(
        {"user": "where is my refund", "line": 4},
        {"user": "zzzz qqqq", "decision": "answer", "line": 6},
    )
    (outcome,) = run_tests(rulebook, build_matcher(rulebook))
    (failure,) = outcome.failures
    assert failure.startswith(
        "tests/t.yaml:6: test 'script' step 2: expected decision answer, got "
    )
