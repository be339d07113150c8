"""The `helpline` command: one module per subcommand, each with register(subparsers)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# subcommand module names, in the order `helpline --help` lists them
_COMMANDS = ("serve", "chat", "check", "test", "eval", "agent", "report", "inbox")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command's parser; given the command line, only its subcommand is registered."""
    parser = argparse.ArgumentParser(prog="helpline", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _wanted(argv):
        importlib.import_module(f"helpline.cli.{name}").register(sub)
    return parser


def _wanted(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The subcommand named on the command line, else all of them (`helpline --help`, a
    misspelt name). Each subcommand's module imports what it runs, and all of them together
    cost `helpline serve` 0.1-0.2 s of start-up (the evaluation, the inbox's round-trip
    YAML) for commands it never runs."""
    named = next((arg for arg in argv or () if not arg.startswith("-")), None)
    return (named,) if named in _COMMANDS else _COMMANDS


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    args = build_parser(given).parse_args(given)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0
