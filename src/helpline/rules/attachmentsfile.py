"""config.yaml's `attachments:` section: the largest file and the kinds accepted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpline.attachment import KINDS, MAX_BYTES_CEILING, AttachmentSettings
from helpline.rules.reader import line_of
from helpline.rules.report import Report, did_you_mean

ATTACHMENT_KEYS = ("max_bytes", "types")


def read_attachments(data: Mapping[str, Any], report: Report) -> AttachmentSettings | None:
    """attachments: {max_bytes, types}; keys left out keep their defaults. None (and a
    problem per mistake) when any is wrong."""
    found = report.mapping(data, "attachments", "attachments")
    if found is None:
        return None
    report.unknown_keys(found, ATTACHMENT_KEYS, "attachments")
    default = AttachmentSettings()
    max_bytes: int | None = default.max_bytes
    if "max_bytes" in found:
        max_bytes = report.whole(
            found, "max_bytes", "attachments: max_bytes", 1024, MAX_BYTES_CEILING
        )
    types: tuple[str, ...] | None = default.types
    if "types" in found:
        types = _types(found, report)
    if max_bytes is None or types is None:
        return None
    return AttachmentSettings(max_bytes=max_bytes, types=types)


def _types(found: Mapping[str, Any], report: Report) -> tuple[str, ...] | None:
    # an empty list is allowed: it turns files off
    names = report.sequence(found, "types", "attachments: types")
    if names is None:
        return None
    ok = True
    for i, name in enumerate(names):
        if not isinstance(name, str) or name not in KINDS:
            hint = did_you_mean(str(name), KINDS) if isinstance(name, str) else ""
            report.error(
                line_of(names, i) or line_of(found, "types"),
                f"attachments: types item {i + 1}: {str(name)[:40]!r} is not one of"
                f" {', '.join(KINDS)}{hint}",
            )
            ok = False
    return tuple(dict.fromkeys(names)) if ok else None
