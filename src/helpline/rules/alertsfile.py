"""config.yaml's `alerts:` section: checked into the spike watcher's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpline.rules.reader import line_of
from helpline.rules.report import Report
from helpline.spike import AlertSettings, SpikeRule

ALERT_KEYS = ("enabled", "interval_s", "window_s", "baseline_s", "min_count", "min_ratio")
DAY_S = 86_400
# (low, high) of each number: a check every second is for trying it out (a real desk
# gains nothing under a minute: the window is minutes long); a window under a minute holds
# too few messages for a test on counts; a baseline longer than 30 days remembers last
# month's campaign as "usual"
BOUNDS: dict[str, tuple[float, float]] = {
    "interval_s": (1, 3600),
    "window_s": (60, DAY_S),
    "baseline_s": (3600, 30 * DAY_S),
    "min_ratio": (1, 100),
}
MIN_COUNT = (2, 100_000)
WINDOWS_PER_BASELINE = 4  # fewer: "usual" is as noisy as the window it judges


def read_alerts(data: Mapping[str, Any], report: Report) -> AlertSettings | None:
    """alerts: {enabled, interval_s, window_s, baseline_s, min_count, min_ratio}; keys left
    out keep their defaults. None (and a problem per mistake) when any is wrong."""
    found = report.mapping(data, "alerts", "alerts")
    if found is None:
        return None
    report.unknown_keys(found, ALERT_KEYS, "alerts")
    default = AlertSettings()
    values: dict[str, Any] = {
        name: report.number(found, name, f"alerts: {name}", *BOUNDS[name])
        for name in BOUNDS
        if name in found
    }
    if "min_count" in found:
        values["min_count"] = report.whole(found, "min_count", "alerts: min_count", *MIN_COUNT)
    enabled = report.flag(found, "enabled", "alerts: enabled") if "enabled" in found else True
    if enabled is None or any(v is None for v in values.values()):
        return None
    interval = values.pop("interval_s", default.interval_s)
    rule = SpikeRule(**{**default.rule.__dict__, **values})
    if rule.baseline_s < WINDOWS_PER_BASELINE * rule.window_s:
        named = "baseline_s" if "baseline_s" in found else "window_s"
        report.error(
            line_of(found, named),
            f"alerts: baseline_s ({rule.baseline_s:g}) must be at least"
            f" {WINDOWS_PER_BASELINE} times window_s ({rule.window_s:g})",
        )
        return None
    return AlertSettings(enabled=enabled, interval_s=interval, rule=rule)
