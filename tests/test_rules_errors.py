"""Every kind of author mistake is reported at its file and line, in words the author knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_rules import CONFIG, intent, marked_line, write_rules
from helpline.errors import Problem, RulesError
from helpline.rules import load_rulebook


def problems_for(tmp_path: Path, relative: str, text: str) -> list[Problem]:
    write_rules(tmp_path, {relative: text})
    with pytest.raises(RulesError) as caught:
        load_rulebook(tmp_path)
    return caught.value.problems


def assert_reported(tmp_path: Path, relative: str, text: str, fragment: str) -> None:
    problems = problems_for(tmp_path, relative, text)
    where = (str(tmp_path / relative), marked_line(text))
    found = [p for p in problems if (p.file, p.line) == where and p.severity == "error"]
    assert any(fragment in p.message for p in found), "\n".join(map(str, problems))


LANGS = "languages: [en, ko]\n"

CONFIG_CASES = [
    ("unknown key", LANGS + "threshold: {answer: 80}  #<\n",
     "unknown key 'threshold' (did you mean 'thresholds'?)"),
    ("missing languages", "default_language: ko  #<\n", "missing required key 'languages'"),
    ("languages not text", "languages: [en, 3]  #<\n",
     "languages item 2 must be text, not a number"),
    ("wrong type", LANGS + "max_fallbacks: two  #<\n",
     "max_fallbacks must be a whole number from 1 to 20, not text"),
    ("max_fallbacks zero", LANGS + "max_fallbacks: 0  #<\n",
     "max_fallbacks is 0; it must be from 1"),
    ("max_fallbacks fraction", LANGS + "max_fallbacks: 1.5  #<\n", "must be a whole number"),
    ("threshold above 100", LANGS + "thresholds:\n  answer: 120  #<\n",
     "thresholds: answer is 120; it must be from 0 to 100"),
    ("threshold below 0", LANGS + "thresholds:\n  clarify: -1  #<\n", "clarify is -1"),
    ("threshold unknown key", LANGS + "thresholds:\n  anser: 80  #<\n",
     "thresholds: unknown key 'anser' (did you mean 'answer'?)"),
    ("clarify above answer", LANGS + "thresholds: {answer: 50, clarify: 70}  #<\n",
     "clarify (70) is above answer (50)"),
    ("escalate_at out of range", LANGS + "frustration:\n  escalate_at: 1.5  #<\n",
     "frustration: escalate_at is 1.5; it must be from 0.01 to 1"),
    ("half_life_s negative", LANGS + "frustration:\n  half_life_s: -5  #<\n",
     "frustration: half_life_s is -5"),
    ("frustration enabled not a flag", LANGS + "frustration:\n  enabled: sometimes  #<\n",
     "frustration: enabled must be true or false"),
    ("frustration unknown key", LANGS + "frustration:\n  escalate: 0.5  #<\n",
     "unknown key 'escalate' (did you mean 'escalate_at'?)"),
    ("synonyms a list", LANGS + "synonyms: [pw, password]  #<\n", "synonyms must be a mapping"),
    ("synonym variant not text", LANGS + "synonyms:\n  password: [pw, 3]  #<\n",
     "synonyms: 'password' item 2 must be text, not a number (3); put it in quotes"),
    ("synonym variants a mapping", LANGS + "synonyms:\n  password: {pw: pwd}  #<\n",
     "synonyms: 'password' must be a list"),
    ("human_intent names no intent", LANGS + "human_intent: talk_to_agnet  #<\n",
     "human_intent 'talk_to_agnet' names no intent (did you mean 'talk_to_agent'?)"),
    ("default_language not a language", LANGS + "default_language: jp  #<\n",
     "default_language 'jp' is not one of languages"),
    ("text in an unknown language", LANGS + "texts:\n  greeting:\n    en: Hi\n    kr: 안녕  #<\n",
     "text 'greeting': 'kr' is not one of languages (did you mean 'ko'?)"),
    ("text not per language", LANGS + "texts:\n  greeting: Hello  #<\n",
     "text 'greeting' must be a mapping"),
    ("text with a broken placeholder", LANGS + "texts:\n  greeting:\n    en: 'Hi {name'  #<\n",
     "text 'greeting' (en) has an unmatched { or }"),
    ("business_hours not a mapping", LANGS + "business_hours: 9-18  #<\n",
     "business_hours must be a mapping"),
    ("queue not a mapping", LANGS + "queue: [general]  #<\n", "queue must be a mapping"),
    ("unknown time zone", LANGS + "business_hours:\n  timezone: Asia/Seol  #<\n",
     "business_hours: unknown time zone 'Asia/Seol'"),
    ("opening hours malformed",
     LANGS + "business_hours:\n  timezone: UTC\n  weekdays: {mon: 9am-6pm}  #<\n",
     "business_hours: opening hours '9am-6pm' should look like '09:00-18:00'"),
    ("unknown weekday", LANGS + "business_hours:\n  weekdays: {mo: '09:00-18:00'}  #<\n",
     "unknown weekday 'mo'"),
    ("team hours unknown key",
     LANGS + "business_hours:\n  timezone: UTC\n  teams:\n    billing: {weekday: {}}  #<\n",
     "business_hours.teams.billing: unknown key 'weekday' (did you mean 'weekdays'?)"),
    ("queue unknown key", LANGS + "queue:\n  accept_timeout: 30  #<\n",
     "queue: unknown key 'accept_timeout' (did you mean 'accept_timeout_s'?)"),
    ("bad holiday", LANGS + "business_hours:\n  holidays: [25/12/2026]  #<\n",
     "write dates like 2026-12-25"),
    ("queue timeout not positive", LANGS + "queue:\n  accept_timeout_s: 0  #<\n",
     "queue.accept_timeout_s: must be positive"),
    ("unknown encoder", LANGS + "matcher:\n  encoder: minlm  #<\n",
     "matcher: encoder 'minlm' is not one of ['none', 'minilm'] (did you mean 'minilm'?)"),
    ("unknown korean encoder", LANGS + "matcher:\n  korean_encoder: e6  #<\n",
     "matcher: korean_encoder 'e6' is not one of ['none', 'e5'] (did you mean 'e5'?)"),
    ("matcher unknown key", LANGS + "matcher:\n  encodr: minilm  #<\n",
     "matcher: unknown key 'encodr' (did you mean 'encoder'?)"),
    ("scope not_answered not a list", LANGS + "scope:\n  not_answered: {jobs: careers}  #<\n",
     "scope: not_answered must be a list"),
    ("scope unknown key", LANGS + "scope:\n  not_answerd: [careers]  #<\n",
     "scope: unknown key 'not_answerd' (did you mean 'not_answered'?)"),
    ("duplicate key", LANGS + "max_fallbacks: 2\nmax_fallbacks: 3  #<\n",
     "key 'max_fallbacks' appears twice in one mapping (first on line 2)"),
    ("yaml syntax error", "languages: [en, ko]\nmax_fallbacks: 2\n  bad: indent  #<\n",
     "YAML syntax error: mapping values are not allowed"),
    ("tab indentation", "languages: [en, ko]\n\tmax_fallbacks: 2  #<\n", "not tabs"),
    ("not a mapping", "- languages  #<\n", "config must be a mapping of settings"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in CONFIG_CASES],
                         ids=[c[0] for c in CONFIG_CASES])  # fmt: skip
def test_config_mistake_is_reported_at_its_line(tmp_path: Path, text: str, fragment: str) -> None:
    assert_reported(tmp_path, "config.yaml", text, fragment)


def one(*extra: str, name: str = "late_refund", en: int = 3, ko: int = 3) -> str:
    return "intents:\n" + intent(name, *extra, en=en, ko=ko)


INTENT_CASES = [
    ("unknown key", one("answers: {en: x}  #<"), "intent 'late_refund': unknown key 'answers' "
     "(did you mean 'answer'?)"),
    ("missing name", "intents:\n  - examples: {en: [a, b, c], ko: [가, 나, 다]}  #<\n"
     "    answer: {en: x, ko: y}\n", "intent 1: missing required key 'name'"),
    ("missing answer", "intents:\n  - name: late_refund  #<\n    examples: {en: [a, b, c], "
     "ko: [가, 나, 다]}\n", "intent 'late_refund': missing required key 'answer'"),
    ("escalate not a flag", one("escalate: maybe  #<"),
     "intent 'late_refund': escalate must be true or false, not text"),
    ("name not snake_case", "intents:\n" + intent("LateRefund").replace(
        "name: LateRefund", "name: LateRefund  #<"),
     "intent name 'LateRefund' must be snake_case (lower-case letters, digits and _), "
     "e.g. 'late_refund'"),
    ("duplicate name", "intents:\n" + intent("refund_status").replace(
        "name: refund_status", "name: refund_status  #<").replace("example", "sample")
     .replace("예시", "보기"), "intent 'refund_status' is defined twice (first at "),
    ("quick reply names no intent", one("quick_replies:", "  - talk_to_agent",
                                        "  - refund_statsu  #<"),
     "intent 'late_refund': quick reply 'refund_statsu' names no intent "
     "(did you mean 'refund_status'?)"),
    ("example under two intents", one().replace("late refund example two",
                                                "Refund status, example ONE!  #<"),
     "example 'Refund status, example ONE!' is also an example of 'refund_status' ("),
    ("no examples in a language", one("# only English", en=3, ko=0).replace(
        "    examples:", "    examples:  #<"),
     "intent 'late_refund': no examples in 'ko' (languages lists it)"),
    ("empty example list", one(ko=0).replace("      en:", "      ko: []  #<\n      en:", 1),
     "intent 'late_refund': no examples in 'ko'"),
    ("no answer in a language", one().replace("      ko: late refund 답변.\n", "").replace(
        "    answer:", "    answer:  #<"), "intent 'late_refund': no answer in 'ko'"),
    ("no examples at all", "intents:\n  - name: late_refund\n    examples: {}  #<\n"
     "    answer: {en: x, ko: y}\n", "intent 'late_refund': has no examples at all"),
    ("examples not per language", one().replace("    examples:\n", "    examples: [a]  #<\n"
     "    old_examples:\n"), "intent 'late_refund': examples must be a mapping"),
    ("example in an unknown language", one("# and Japanese").replace(
        "      ko:", "      jp: [x]  #<\n      ko:", 1),
     "examples in 'jp', which is not one of languages ['en', 'ko']"),
    ("example not text", one().replace("late refund example one", "42  #<"),
     "examples (en) item 1 must be text, not a number (42); put it in quotes"),
    ("example without letters", one().replace("late refund example one", "'???'  #<"),
     "example '???' has no letters or digits to match"),
    ("unknown priority", one("priority: hihg  #<"),
     "priority 'hihg' is not one of low, normal, high, urgent (did you mean 'high'?)"),
    ("intent threshold out of range", one("thresholds: {answer: 101}  #<"),
     "intent 'late_refund': thresholds: answer is 101; it must be from 0 to 100"),
    ("intent clarify above inherited answer", one("thresholds: {clarify: 90}  #<"),
     "intent 'late_refund': thresholds: clarify (90) is above answer (80)"),
    ("intent not a mapping", "intents:\n  - late_refund  #<\n",
     "intent 1 must be a mapping"),
    ("file without intents key", "intent:  #<\n  - name: x\n",
     "unknown key 'intent' (did you mean 'intents'?)"),
    ("intents not a list", "intents: {name: x}  #<\n", "intents must be a list"),
    ("yaml syntax error", "intents:\n  - name: late_refund\n   examples: 1  #<\n",
     "YAML syntax error"),
    ("unclosed quote", "intents:\n  - name: late_refund\n    answer: \"oops\n  #<",
     "while scanning a quoted scalar started on line 3"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in INTENT_CASES],
                         ids=[c[0] for c in INTENT_CASES])  # fmt: skip
def test_intent_mistake_is_reported_at_its_line(tmp_path: Path, text: str, fragment: str) -> None:
    assert_reported(tmp_path, "intents/case.yaml", text, fragment)


def conversation(*steps: str, name: str = "refund flow") -> str:
    return f"tests:\n  - name: {name}\n    steps:\n" + "".join(f"      - {s}\n" for s in steps)


TEST_CASES = [
    ("unknown intent", conversation("{user: where is my refund, intent: refund_statsu}  #<"),
     "test 'refund flow': step 1: intent 'refund_statsu' is unknown "
     "(did you mean 'refund_status'?)"),
    ("unknown decision", conversation("{user: hi, decision: answr}  #<"),
     "step 1: decision 'answr' is unknown (did you mean 'answer'?)"),
    ("unknown step key", conversation("{user: hi, expect: answer}  #<"),
     "step 1: unknown key 'expect'"),
    ("step without an action", conversation("{intent: refund_status}  #<"),
     "step 1: needs exactly one of user, button, feedback; has none"),
    ("step with two actions", conversation("{user: hi, button: refund_status}  #<"),
     "needs exactly one of user, button, feedback; has user and button"),
    ("button names no intent", conversation("{button: refund_statsu}  #<"),
     "step 1: button (intent) 'refund_statsu' is unknown"),
    ("bad feedback", conversation("{feedback: meh}  #<"), "feedback must be up or down"),
    ("empty user text", conversation("{user: ''}  #<"), "step 1: user is empty"),
    ("missing test name", "tests:\n  - steps: [{user: hi}]  #<\n",
     "test 1: missing required key 'name'"),
    ("no steps", "tests:\n  - name: empty\n    steps: []  #<\n", "steps is empty"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in TEST_CASES],
                         ids=[c[0] for c in TEST_CASES])  # fmt: skip
def test_conversation_test_mistake_is_reported_at_its_line(
    tmp_path: Path, text: str, fragment: str
) -> None:
    assert_reported(tmp_path, "tests/case.yaml", text, fragment)


def test_every_error_in_every_file_is_reported_at_once(tmp_path: Path) -> None:
    config = CONFIG.replace("max_fallbacks: 3", "max_fallbacks: 0")
    intents = one("priority: hihg")
    tests = conversation("{user: hi, intent: nope}")
    files = {"config.yaml": config, "intents/case.yaml": intents, "tests/case.yaml": tests}
    write_rules(tmp_path, files)
    with pytest.raises(RulesError) as caught:
        load_rulebook(tmp_path)
    files = {Path(p.file).name for p in caught.value.problems if p.severity == "error"}
    assert files == {"config.yaml", "case.yaml"}
    assert len([p for p in caught.value.problems if p.severity == "error"]) == 3
