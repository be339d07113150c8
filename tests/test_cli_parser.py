"""The `helpline` command line: each subcommand parsed with only its own module registered."""

from __future__ import annotations

import pytest

from helpline.cli import build_parser


def test_a_named_subcommand_parses_with_only_its_own_options() -> None:
    given = ["-v", "serve", "--port", "0", "--rules", "somewhere"]
    args = build_parser(given).parse_args(given)
    assert (args.command, args.port, args.rules, args.verbose) == ("serve", 0, "somewhere", True)


def test_a_misspelt_subcommand_is_told_every_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser(["serv"]).parse_args(["serv"])
    error = capsys.readouterr().err
    assert "invalid choice: 'serv'" in error
    for name in ("serve", "chat", "check", "test", "eval", "agent", "report", "inbox"):
        assert f"'{name}'" in error


def test_help_without_a_subcommand_lists_them_all(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser(["--help"]).parse_args(["--help"])
    assert "{serve,chat,check,test,eval,agent,report,inbox}" in capsys.readouterr().out
