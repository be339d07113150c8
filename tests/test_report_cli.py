"""`helpline report` on a real SQLite file: its table, CSV and errors."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from helpline.cli import main
from helpline.store import SQLiteStore
from helpline.store.base import Outgoing, TurnRecord
from test_reports import always_open_rules


@pytest.fixture
async def database(store: SQLiteStore) -> str:
    """One conversation the bot answered an hour ago, one it could not answer."""
    for n, decision in enumerate(("answer", "fallback")):
        now = time.time() - 3600
        made = await store.create_conversation(token=f"tok{n}", language="en", now=now)
        await store.append_customer_message(made.id, "m1", {"text": "hello"}, now)
        record = TurnRecord(
            made.id, "bot", {}, "en", messages=[Outgoing("bot", {"text": "..."})],
            events=[("bot.decision", {"decision": decision, "intent": "refund", "reply_to": 1})],
            answers_seq=1,
        )  # fmt: skip
        await store.commit_turn(record, now)
    return store.path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_shows_each_figure_and_a_dash_where_there_is_no_data(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", database, "--rules", str(always_open_rules(tmp_path)))

    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()[2:] if line}
    assert code == 0
    assert rows["conversations"] == ["2", "+2"]
    assert rows["fallback_rate"][0] == "50.0%"
    assert rows["csat.average"] == ["-"]  # nobody rated: no figure, not a zero


def test_csv_by_day_has_a_row_per_day_and_the_headline_columns(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = str(always_open_rules(tmp_path))
    code, out, _ = run(
        capsys, "--db", database, "--rules", rules, "--by", "day", "--since", "3d",
        "--format", "csv",
    )  # fmt: skip

    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert len(rows) in (3, 4)  # three days back from now, across four dates unless at midnight
    assert sum(int(r["conversations"]) for r in rows) == 2
    assert {r["csat.average"] for r in rows} == {""}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--since", "last week"), "since:"),
        (("--db", "mysql://x/y"), "setting '--db': unknown database scheme"),
    ],
)
def test_bad_arguments_say_what_is_wrong_and_exit_1(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...], says: str,
) -> None:  # fmt: skip
    rules = str(always_open_rules(tmp_path))
    code, _, err = run(capsys, "--db", database, "--rules", rules, *args)

    assert code == 1
    assert err.startswith(f"helpline report: {says}")
