"""A report as CSV: one row per group (or one for the period), the headline figures as columns."""

from __future__ import annotations

import csv
import io
from typing import Any, TextIO

from helpline.service.report.figures import HEADLINE, headline

# A spreadsheet runs a cell that starts with one of these as a formula; group keys are
# team, agent and intent names and languages, so one is made text by a leading quote.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(report: dict[str, Any], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    grouped = "groups" in report
    writer.writerow([*(["key"] if grouped else ["since", "until"]), *HEADLINE])
    for row in report.get("groups") or [report]:
        first = [row["key"]] if grouped else [report["since"], report["until"]]
        figures = headline(row)
        writer.writerow([*(_text(v) for v in first), *(_cell(figures[n]) for n in HEADLINE)])


def csv_text(report: dict[str, Any]) -> str:
    out = io.StringIO()
    write_csv(report, out)
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)  # no data stays empty, never a made-up zero


def _text(value: Any) -> str:
    text = _cell(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
