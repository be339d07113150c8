"""`helpline check`: every problem as file:line, a one-line summary, and the exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fixtures_rules import intent, write_rules
from helpline.cli.check import check_directory
from helpline.errors import Problem
from helpline.rules import Rulebook


def check(cwd: Path, *args: str) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-m", "helpline", "check", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout.splitlines()


def test_good_rules_print_a_summary_and_exit_0(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules")
    assert check(tmp_path, "rules") == (0, ["rules: 2 intents, 12 examples, 2 languages: OK"])


def test_the_default_directory_is_bot_rules(tmp_path: Path) -> None:
    write_rules(tmp_path / "bot_rules")
    code, lines = check(tmp_path)
    assert (code, lines[-1]) == (0, "bot_rules: 2 intents, 12 examples, 2 languages: OK")


def test_errors_are_printed_relative_to_the_current_directory_and_exit_1(tmp_path: Path) -> None:
    bad = "intents:\n" + intent("late_refund", "priority: hihg")
    write_rules(tmp_path / "rules", {"intents/late.yaml": bad})
    code, lines = check(tmp_path, str(tmp_path / "rules"))
    assert code == 1
    assert lines == [
        "rules/intents/late.yaml:15: intent 'late_refund': priority 'hihg' is not one of "
        "low, normal, high, urgent (did you mean 'high'?)",
        "rules: 1 error: FAILED",
    ]


def test_warnings_are_printed_and_exit_0(tmp_path: Path) -> None:
    write_rules(tmp_path / "rules", {"intents/late.yaml": "intents:\n" + intent("late", ko=2)})
    code, lines = check(tmp_path, "rules")
    assert code == 0
    assert lines[0].startswith("rules/intents/late.yaml:8: warning: intent 'late': only 2 example")
    assert lines[1] == "rules: 3 intents, 17 examples, 2 languages: OK (1 warning)"


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    assert check(tmp_path, "nowhere") == (
        1, ["nowhere: no such directory of rules", "nowhere: 1 error: FAILED"])  # fmt: skip


def test_warning_providers_add_their_warnings(tmp_path: Path) -> None:
    write_rules(tmp_path)

    def confusable(rulebook: Rulebook) -> list[Problem]:
        first = rulebook.intents[0]
        return [Problem(first.file, first.line, "looks like another intent", "warning")]

    result = check_directory(tmp_path, providers=[confusable])
    assert result.exit_code == 0
    assert [p.message for p in result.problems] == ["looks like another intent"]
    assert result.summary.endswith("OK (1 warning)")


def test_check_warns_about_confusable_intents_by_default(tmp_path: Path) -> None:
    clash = (
        "intents:\n"
        "  - name: refund\n    examples: {en: [i want a refund, refund my money, give me a refund,"
        " cancel my subscription now], ko: [환불해주세요, 환불 받고 싶어요, 돈 돌려주세요]}\n"
        "    answer: {en: refunds, ko: 환불}\n"
        "  - name: cancel\n    examples: {en: [cancel my subscription, please cancel my"
        " subscription, how do i cancel my subscription], ko: [해지할래요, 구독 해지, 해지 방법]}\n"
        "    answer: {en: cancel, ko: 해지}\n"
    )
    write_rules(tmp_path / "rules", {"intents/clash.yaml": clash})
    code, lines = check(tmp_path, "rules")
    assert code == 0
    assert any("'refund' and 'cancel' may be confusable" in line for line in lines)
