"""config.yaml's `alerts:` loads into the watcher's settings, and its mistakes are
reported at their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_rules import CONFIG, write_rules
from helpline.rules import load_rulebook
from helpline.spike import AlertSettings, SpikeRule
from test_rules_errors import assert_reported

LANGS = "languages: [en, ko]\n"


def test_without_alerts_the_defaults_hold(tmp_path: Path) -> None:
    assert load_rulebook(write_rules(tmp_path)).config.alerts == AlertSettings()


def test_alert_settings_are_read(tmp_path: Path) -> None:
    alerts = (
        "alerts:\n  interval_s: 30\n  window_s: 600\n  baseline_s: 172800\n"
        "  min_count: 8\n  min_ratio: 3\n"
    )
    write_rules(tmp_path, {"config.yaml": CONFIG + alerts})
    found = load_rulebook(tmp_path).config.alerts
    rule = SpikeRule(window_s=600, baseline_s=172800, min_count=8, min_ratio=3)
    assert found == AlertSettings(enabled=True, interval_s=30, rule=rule)


def test_alerts_can_be_turned_off(tmp_path: Path) -> None:
    write_rules(tmp_path, {"config.yaml": CONFIG + "alerts: {enabled: false}\n"})
    assert load_rulebook(tmp_path).config.alerts.enabled is False


CASES = [
    ("unknown key", "alerts:\n  window: 300  #<\n",
     "alerts: unknown key 'window' (did you mean 'window_s'?)"),
    ("interval too short", "alerts:\n  interval_s: 0.5  #<\n",
     "alerts: interval_s is 0.5; it must be from 1 to 3600"),
    ("window not a number", "alerts:\n  window_s: five minutes  #<\n",
     "alerts: window_s must be a number from 60 to 86400"),
    ("min_count a fraction", "alerts:\n  min_count: 2.5  #<\n", "must be a whole number"),
    ("enabled not a flag", "alerts:\n  enabled: sometimes  #<\n", "must be true or false"),
    ("baseline shorter than windows", "alerts:\n  window_s: 3600\n  baseline_s: 7200  #<\n",
     "alerts: baseline_s (7200) must be at least 4 times window_s (3600)"),
    ("not a mapping", "alerts: on  #<\n", "alerts must be a mapping"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_an_alerts_mistake_is_reported_at_its_line(
    tmp_path: Path, text: str, fragment: str
) -> None:
    assert_reported(tmp_path, "config.yaml", LANGS + text, fragment)
