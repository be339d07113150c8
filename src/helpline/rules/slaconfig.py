"""config.yaml's `sla:`: SLA policies per priority and what a breach sets off, checked."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from helpline.rules.reader import key_line, line_of
from helpline.rules.report import Report, did_you_mean
from helpline.sla import (
    PRIORITIES,
    SETTING_KEYS,
    TARGETS,
    Policy,
    SlaSettings,
    parse_duration,
    parse_policy,
)


def read_sla(data: Mapping[str, Any], report: Report) -> SlaSettings | None:
    """Due times are computed on every ticket list and breach check: wrong ones fail here."""
    found = report.mapping(data, "sla", "sla")
    if found is None:
        return None
    errors = report.error_count()
    report.unknown_keys(found, ("policies", *SETTING_KEYS), "sla")
    values: dict[str, Any] = {}
    if "policies" in found:
        values["policies"] = _sla_policies(found, report)
    if "warning_at" in found:
        values["warning_at"] = report.number(found, "warning_at", "sla.warning_at", 0.01, 0.99)
    if "check_every_s" in found:
        values["check_every_s"] = report.number(
            found, "check_every_s", "sla.check_every_s", 1, 3600
        )
    if "business_hours" in found:
        values["business_hours"] = report.flag(found, "business_hours", "sla.business_hours")
    if "webhook" in found:
        values["webhook"] = _webhook(found, report)
    if "escalate_to" in found:
        values["escalate_to"] = report.text(found, "escalate_to", "sla.escalate_to")
    if "reopen_within" in found:
        values["reopen_within_s"] = _reopen_within(found, report)
    if report.error_count() != errors:
        return None
    return SlaSettings(**values)


def _reopen_within(sla: Mapping[str, Any], report: Report) -> float | None:
    try:
        return parse_duration(sla["reopen_within"])
    except ValueError as exc:
        report.error(line_of(sla, "reopen_within"), f"sla.reopen_within: {exc}")
        return None


def _sla_policies(sla: Mapping[str, Any], report: Report) -> Mapping[str, Policy] | None:
    policies = report.mapping(sla, "policies", "sla.policies")
    if policies is None:
        return None
    parsed: dict[str, Policy] = {}
    for priority, targets in policies.items():
        where = key_line(policies, str(priority)) or line_of(policies)
        if priority not in PRIORITIES:
            hint = did_you_mean(str(priority), PRIORITIES)
            report.error(where, f"sla.policies: unknown priority {priority!r}{hint}")
            continue
        if not isinstance(targets, Mapping):
            report.error(where, f"sla.policies.{priority}: should map targets to durations")
            continue
        policy = _sla_policy(targets, f"sla.policies.{priority}", report)
        if policy is not None:
            parsed[str(priority)] = policy
    return MappingProxyType(parsed)


def _sla_policy(targets: Mapping[str, Any], what: str, report: Report) -> Policy | None:
    """Each target on its own, so the error points at the line that is wrong."""
    errors = report.error_count()
    for name, value in targets.items():
        if name not in TARGETS:
            hint = did_you_mean(str(name), TARGETS)
            report.error(key_line(targets, str(name)), f"{what}: unknown target {name!r}{hint}")
            continue
        try:
            parse_duration(value)
        except ValueError as exc:
            report.error(line_of(targets, str(name)), f"{what}.{name}: {exc}")
    return parse_policy(targets) if report.error_count() == errors else None


def _webhook(sla: Mapping[str, Any], report: Report) -> str | None:
    url = report.text(sla, "webhook", "sla.webhook")
    if url is not None and not url.startswith(("https://", "http://")):
        report.error(line_of(sla, "webhook"), f"sla.webhook: {url[:80]!r} is not an http(s) URL")
        return None
    return url
