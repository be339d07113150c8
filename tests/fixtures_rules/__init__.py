"""Small rules directories written into tmp_path, so tests never depend on bot_rules/."""

from __future__ import annotations

from pathlib import Path

MARK = "#<"  # ends the line a test expects a problem on

TEXT_KEYS = (
    "greeting", "greeting_named", "clarify", "fallback", "fallback_offer_human",
    "handoff", "handoff_frustrated", "queued_wait", "feedback_thanks", "feedback_sorry",
)  # fmt: skip

CONFIG = (
    "languages: [en, ko]\n"
    "default_language: en\n"
    "thresholds: {answer: 80, clarify: 55, ambiguity: 5}\n"
    "max_fallbacks: 3\n"
    "human_intent: talk_to_agent\n"
    "frustration: {escalate_at: 0.6, half_life_s: 120}\n"
    "synonyms:\n"
    "  password: [pw, pwd]\n"
    "texts:\n"
    + "".join(f"  {key}: {{en: 'Hi {{name}}', ko: '안녕 {{name}}'}}\n" for key in TEXT_KEYS)
    + "business_hours: {timezone: Asia/Seoul}\n"
    "queue: {fallback_team: general}\n"
)


def intent(name: str, *extra: str, en: int = 3, ko: int = 3) -> str:
    """One intent as a YAML list item; extra lines are added as its own keys."""
    words = name.replace("_", " ")
    lines = [f"  - name: {name}", "    examples:"]
    if en:
        lines.append("      en:")
        lines += [f"        - {words} example {n}" for n in _NUMBERS[:en]]
    if ko:
        lines.append("      ko:")
        lines += [f"        - {words} 예시 {n}" for n in _NUMBERS[:ko]]
    lines += ["    answer:", f"      en: The answer to {words}.", f"      ko: {words} 답변."]
    lines += [f"    {line}" for line in extra]
    return "\n".join(lines) + "\n"


_NUMBERS = ("one", "two", "three", "four", "five")

BASE_INTENTS = "intents:\n" + intent("talk_to_agent") + intent("refund_status")
# a conversation test over BASE_INTENTS: every kind of step
TESTS = """\
tests:
  - name: refund then person
    steps:
      - user: where is my refund
        intent: refund_status
        decision: answer
      - button: talk_to_agent
      - feedback: up
      - user: asdfgh
        intent: null
"""


def write_rules(root: Path, files: dict[str, str | None] | None = None) -> Path:
    """A valid rules directory, with files replaced (text) or left out (None)."""
    wanted: dict[str, str | None] = {"config.yaml": CONFIG, "intents/base.yaml": BASE_INTENTS}
    wanted.update(files or {})
    for relative, text in wanted.items():
        if text is None:
            continue
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def marked_line(text: str) -> int:
    """The 1-based line carrying MARK."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(MARK)]
    assert len(found) == 1, f"expected one {MARK} in the case text"
    return found[0]
