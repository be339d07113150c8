"""`helpline inbox export|import`: the unanswered inbox as a file an author edits."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import math
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from helpline.errors import ConfigError, InboxError, RulesError, StoreError
from helpline.inbox import inbox_file
from helpline.rules import load_rulebook
from helpline.service.inbox import WINDOW_S, InboxService, cluster_view
from helpline.service.rules_holder import RulesHolder
from helpline.store import open_store
from helpline.store.inbox import inbox_store

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("inbox", help="the unanswered inbox as a file to decide on")
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write the inbox's clusters to a YAML file")
    export.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    _common(export)
    export.set_defaults(func=run_export)
    apply = actions.add_parser(
        "import", help="add the clusters given an intent to it, dismiss the dismissed ones"
    )
    apply.add_argument("file", help="a file `helpline inbox export` wrote, filled in")
    _common(apply)
    apply.set_defaults(func=run_import)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default="helpline.db", help="SQLite file or database URL")
    parser.add_argument("--rules", default="bot_rules", help="rules directory (default: bot_rules)")
    parser.add_argument(
        "--days", type=_days, default=WINDOW_S / 86400, help="how far back to look (default 30)"
    )


def _days(value: str) -> float:
    try:
        days = float(value)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of days")
    return days


def run_export(args: argparse.Namespace) -> int:
    try:
        views = asyncio.run(_with_service(args, _views))
    except (StoreError, ConfigError, InboxError) as exc:
        print(f"helpline inbox export: {exc}", file=sys.stderr)
        return 1
    name = "-" if args.output == "-" else args.output
    text = inbox_file.render(views, "inbox.yaml" if name == "-" else Path(name).name)
    if name == "-":
        sys.stdout.write(text)
    else:
        Path(name).write_text(text, encoding="utf-8")
        print(f"{len(views)} cluster(s) written to {name}", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
        choices = inbox_file.parse(text, args.file)
        failed = asyncio.run(_with_service(args, lambda s: _apply(s, choices)))
    except (OSError, StoreError, ConfigError, InboxError) as exc:
        print(f"helpline inbox import: {exc}", file=sys.stderr)
        return 1
    if not choices:
        print(f"{args.file}: no cluster has an intent or dismiss: true; nothing to do")
    return 1 if failed else 0


async def _views(service: InboxService) -> list[dict[str, object]]:
    return [cluster_view(c, shown=None) for c in await service.clusters()]


async def _apply(service: InboxService, choices: list[inbox_file.Choice]) -> int:
    """Each decision in turn; one refused does not stop the others. How many failed."""
    by = f"cli:{getpass.getuser()}"
    failed = 0
    for choice in choices:
        try:
            print(await _apply_one(service, choice, by))
        except InboxError as exc:
            print(f"{choice.cluster} (line {choice.line}): {exc}", file=sys.stderr)
            failed += 1
    return failed


async def _apply_one(service: InboxService, choice: inbox_file.Choice, by: str) -> str:
    if choice.dismiss:
        count = await service.dismiss(choice.cluster, by)
        return f"{choice.cluster}: dismissed ({count} message(s))"
    assert choice.intent is not None  # parse() keeps only clusters with one or the other
    added = await service.add(choice.cluster, choice.intent, choice.messages, by)
    written = f"{len(added.examples)} example(s) added to {added.intent} in {added.file}"
    return f"{choice.cluster}: {written}; {added.answered} of {added.messages} now answered"


async def _with_service(args: argparse.Namespace, use: Callable[[InboxService], Awaitable[T]]) -> T:
    rules_dir = Path(args.rules)
    try:
        rulebook = load_rulebook(rules_dir)
    except RulesError as exc:
        raise InboxError("rules_refused", f"the rules in {rules_dir} have errors:\n{exc}") from exc
    store = open_store(args.db, setting="--db")
    await store.open()
    try:
        service = InboxService(
            inbox_store(store), RulesHolder(rulebook), rules_dir, time.time,
            window_s=args.days * 86400,
        )  # fmt: skip
        return await use(service)
    finally:
        await store.close()
