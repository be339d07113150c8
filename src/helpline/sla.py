"""SLA policies: how soon a ticket of each priority must be answered and solved."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PRIORITIES = ("low", "normal", "high", "urgent")  # as an intent's `priority`
TARGETS = ("first_response", "next_response", "resolution")
SETTING_KEYS = (
    "warning_at", "check_every_s", "business_hours", "webhook", "escalate_to", "reopen_within",
)  # fmt: skip
# Hours are the largest unit on purpose: "1d" of business time reads as 24 hours to some
# authors and as one working day to others.
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h)\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
MAX_TARGET_S = 90 * 24 * 3600.0  # a target beyond a quarter of a year is a typo


@dataclass(frozen=True)
class Policy:
    """Targets of one priority, in seconds of the team's business time; None: no target."""

    first_response: float | None = None  # ticket opened -> the first agent reply
    next_response: float | None = None  # customer wrote again -> the agent's next reply
    resolution: float | None = None  # ticket opened -> solved, pending time left out

    def target(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class SlaSettings:
    """config.yaml's `sla:`. No policies: no ticket has a due time."""

    policies: Mapping[str, Policy] = field(default_factory=lambda: MappingProxyType({}))
    warning_at: float = 0.75  # share of a target used up when the ticket turns amber
    check_every_s: float = 30.0  # how often a node looks for new breaches
    business_hours: bool = True  # count only the ticket's team's open hours
    webhook: str | None = None  # a URL that gets a JSON POST (Slack's `text`) per breach
    escalate_to: str | None = None  # a team a breaching ticket is handed to
    # a customer handed to people again within this long of their ticket being solved
    # reopens it (timers and all) instead of getting a new one; 0: always a new ticket
    reopen_within_s: float = 0.0

    def policy(self, priority: str) -> Policy | None:
        return self.policies.get(priority)


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or a text like "90s", "15m", "4h"; ValueError else."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; write seconds or e.g. '15m', '4h'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        found = _DURATION.match(str(value))
        if not found:
            raise ValueError(f"{value!r} is not a duration; write seconds or e.g. '15m', '4h'")
        seconds = float(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    if not 0 < seconds <= MAX_TARGET_S:
        raise ValueError(f"{value!r} must be more than 0 and at most 2160h (90 days)")
    return seconds


def parse_policy(data: Mapping[str, object]) -> Policy:
    """One priority's targets; ValueError naming the target that is wrong."""
    values: dict[str, float] = {}
    for name, value in data.items():
        if name not in TARGETS:
            raise ValueError(f"unknown target {name!r}; use {', '.join(TARGETS)}")
        try:
            values[str(name)] = parse_duration(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
    return Policy(**values)
