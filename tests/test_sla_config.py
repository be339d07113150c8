"""config.yaml's `sla:` is read into typed policies, and every mistake in it is reported
at its line in words the author knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_rules import CONFIG, marked_line, write_rules
from helpline.errors import RulesError
from helpline.rules import load_rulebook
from helpline.sla import Policy

LANGS = "languages: [en, ko]\n"


def test_sla_policies_and_settings_are_read(tmp_path: Path) -> None:
    sla = (
        "sla:\n"
        "  warning_at: 0.8\n"
        "  check_every_s: 10\n"
        "  business_hours: false\n"
        "  webhook: https://hooks.example.com/sla\n"
        "  escalate_to: supervisors\n"
        "  reopen_within: 72h\n"
        "  policies:\n"
        "    urgent: {first_response: 15m, next_response: 30m, resolution: 4h}\n"
        "    normal: {first_response: 3600, resolution: 1.5h}\n"
    )
    write_rules(tmp_path, {"config.yaml": CONFIG + sla})
    found = load_rulebook(tmp_path).config.sla
    assert found.policies == {
        "urgent": Policy(first_response=900, next_response=1800, resolution=14400),
        "normal": Policy(first_response=3600, resolution=5400),
    }
    assert (found.warning_at, found.check_every_s, found.business_hours) == (0.8, 10, False)
    assert (found.webhook, found.escalate_to) == ("https://hooks.example.com/sla", "supervisors")
    assert found.reopen_within_s == 72 * 3600


def test_rules_without_sla_have_no_policies(tmp_path: Path) -> None:
    write_rules(tmp_path, {"config.yaml": CONFIG})
    sla = load_rulebook(tmp_path).config.sla
    assert (dict(sla.policies), sla.policy("normal"), sla.webhook) == ({}, None, None)


SLA_CASES = [
    ("unknown key", "sla:\n  warn_at: 0.5  #<\n",
     "sla: unknown key 'warn_at' (did you mean 'warning_at'?)"),
    ("unknown priority", "sla:\n  policies:\n    urgnt: {first_response: 5m}  #<\n",
     "sla.policies: unknown priority 'urgnt' (did you mean 'urgent'?)"),
    ("unknown target", "sla:\n  policies:\n    high:\n      first_reply: 5m  #<\n",
     "sla.policies.high: unknown target 'first_reply' (did you mean 'first_response'?)"),
    ("duration in days", "sla:\n  policies:\n    high:\n      resolution: 2d  #<\n",
     "sla.policies.high.resolution: '2d' is not a duration; write seconds or e.g. '15m', '4h'"),
    ("zero duration", "sla:\n  policies:\n    high:\n      resolution: 0  #<\n",
     "sla.policies.high.resolution: 0 must be more than 0"),
    ("targets not a mapping", "sla:\n  policies:\n    high: 5m  #<\n",
     "sla.policies.high: should map targets to durations"),
    ("warning_at too high", "sla:\n  warning_at: 1.5  #<\n",
     "sla.warning_at is 1.5; it must be from 0.01 to 0.99"),
    ("business_hours not a flag", "sla:\n  business_hours: sometimes  #<\n",
     "sla.business_hours must be true or false"),
    ("webhook not a URL", "sla:\n  webhook: hooks.slack.com/x  #<\n",
     "sla.webhook: 'hooks.slack.com/x' is not an http(s) URL"),
    ("sla a list", "sla: [urgent]  #<\n", "sla must be a mapping"),
    ("reopen_within in days", "sla:\n  reopen_within: 3d  #<\n",
     "sla.reopen_within: '3d' is not a duration"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in SLA_CASES],
                         ids=[c[0] for c in SLA_CASES])  # fmt: skip
def test_sla_mistake_is_reported_at_its_line(tmp_path: Path, text: str, fragment: str) -> None:
    write_rules(tmp_path, {"config.yaml": LANGS + text})
    with pytest.raises(RulesError) as caught:
        load_rulebook(tmp_path)
    where = (str(tmp_path / "config.yaml"), marked_line(LANGS + text))
    found = [p for p in caught.value.problems if (p.file, p.line) == where]
    assert any(fragment in p.message for p in found), "\n".join(map(str, caught.value.problems))
