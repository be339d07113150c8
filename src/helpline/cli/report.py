"""`helpline report`: the desk's figures for a period, as a table, JSON or CSV."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from helpline.errors import ConfigError, RulesError, StoreError
from helpline.service.report import Desk, desk_of, period, read_report
from helpline.service.report.export import write_csv
from helpline.service.report.figures import HEADLINE, headline
from helpline.service.report.names import name_groups
from helpline.service.report.period import GROUPINGS, Period
from helpline.store import open_store
from helpline.store.agents import agent_store
from helpline.store.reports import report_store

FORMATS = ("table", "json", "csv")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("report", help="the desk's figures for a period")
    parser.add_argument("--db", default="helpline.db", help="SQLite file or database URL")
    parser.add_argument(
        "--rules", default="bot_rules", help="rules directory: the desk's time zone and hours"
    )
    parser.add_argument("--since", default="7d", help="7d, 12h, 30m or an ISO date (default 7d)")
    parser.add_argument("--until", default=None, help="an ISO date or time (default: now)")
    parser.add_argument("--by", choices=GROUPINGS, help="one group per day, hour, team, ...")
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        desk = desk_of(_config(args.rules))
        span = period(args.since, args.until, desk.zone, time.time())
        report = asyncio.run(_read(args.db, span, args.by, desk))
    except RulesError as exc:
        print(f"helpline report: the rules in {args.rules} have errors:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (ConfigError, StoreError, ValueError) as exc:
        print(f"helpline report: {exc}", file=sys.stderr)
        return 1
    {"json": _json, "csv": write_csv, "table": _table}[args.format](report, sys.stdout)
    return 0


def _config(directory: str) -> Any:
    from helpline.rules import load_rulebook

    return load_rulebook(directory).config


async def _read(url: str, span: Period, by: str | None, desk: Desk) -> dict[str, Any]:
    store = open_store(url, setting="--db")
    await store.open()
    try:
        return await name_groups(
            await read_report(report_store(store), span, by, desk), agent_store(store)
        )
    finally:
        await store.close()


def _json(report: dict[str, Any], out: TextIO) -> None:
    json.dump(report, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _table(report: dict[str, Any], out: TextIO) -> None:
    out.write(f"{report['since']} .. {report['until']} ({report['timezone']})\n\n")
    figures, changes = headline(report), report["change"]
    lines = [(name, _shown(name, figures[name]), _delta(name, changes[name])) for name in HEADLINE]
    for reason, counted in report["handoff_reasons"].items():
        lines.append((f"handoffs.{reason}", _shown("", counted["count"]), ""))
    _columns(("figure", "value", "change"), lines, out)
    if "groups" in report:
        out.write("\n")
        wanted = ("conversations", "containment_rate", "handoffs", "fallback_rate",
                  "csat.average", "first_response_s.p50", "resolution_s.p50")  # fmt: skip
        rows = [
            (_cell(g["key"]) or "-", *(_shown(n, headline(g)[n]) for n in wanted))
            for g in report["groups"]
        ]
        _columns((report["by"], *wanted), rows, out)


def _columns(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        out.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out.write("\n")


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "-"  # no data: never a made-up zero
    if name.endswith("rate"):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _delta(name: str, value: float | None) -> str:
    if value is None:
        return ""
    if name.endswith("rate"):
        return f"{value * 100:+.1f} pt"
    return f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
