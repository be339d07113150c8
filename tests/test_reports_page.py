"""What the console's Reports page reads beyond the figures: the report as CSV, one
conversation's transcript from a drill-down, and the page itself with its vendored chart
library, on SQLite and PostgreSQL, for supervisors only."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

import test_reports as kit
from handoff_kit import Clock, make_agent
from helpline.cli import main
from helpline.service.report.export import csv_text
from helpline.service.report.figures import HEADLINE
from helpline.settings import Settings
from helpline.store import SQLiteStore
from test_reports import (
    FIRST_RESPONSE_S,
    Client,
    always_open_rules,
    database_url,
    period_of,
    traffic,
)

# the figures' tests' fixtures: the same desk, traffic and supervisor on both backends
store, clock, desk, supervisor = kit.store, kit.clock, kit.desk, kit.supervisor

WIDGET_DIR = Path(__file__).resolve().parents[1] / "web_widget"


async def csv_rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((await response.read()).decode("utf-8-sig"))))


async def test_the_report_as_csv_has_a_row_per_team_with_the_json_figures(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    await traffic(desk, store, clock)
    query = {**period_of(clock), "by": "team"}
    as_json = await (await desk.get("/api/reports", params=query, headers=supervisor)).json()

    response = await desk.get("/api/reports", params={**query, "format": "csv"}, headers=supervisor)

    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="helpline-report-team.csv"'
    )
    rows = await csv_rows(response)
    assert [row["key"] for row in rows] == [g["key"] or "" for g in as_json["groups"]]
    assert {row["key"]: int(row["conversations"]) for row in rows} == {
        "": 3, "general": 1, "billing": 1,
    }  # fmt: skip
    by_key = {row["key"]: row for row in rows}
    assert float(by_key["general"]["first_response_s.p50"]) == FIRST_RESPONSE_S
    assert by_key["general"]["csat.average"] == "4.0"
    assert by_key["billing"]["csat.average"] == ""  # nobody rated it: no figure, not a zero


async def test_the_period_as_csv_is_one_row_with_since_and_until(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    await traffic(desk, store, clock)

    response = await desk.get(
        "/api/reports", params={**period_of(clock), "format": "csv"}, headers=supervisor
    )

    [row] = await csv_rows(response)
    assert list(row) == ["since", "until", *HEADLINE]
    assert (row["conversations"], row["handoffs"], row["csat.average"]) == ("5", "2", "4.0")


def test_a_group_key_a_spreadsheet_would_run_as_a_formula_is_written_as_text() -> None:
    report = {"by": "team", "groups": [{"key": "=HYPERLINK(1)", "conversations": 1}]}

    [row] = list(csv.DictReader(io.StringIO(csv_text(report))))

    assert row["key"] == "'=HYPERLINK(1)"


async def test_groups_by_agent_and_drilled_rows_name_the_agent(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    named = await traffic(desk, store, clock)
    span = period_of(clock)

    by_agent = await (
        await desk.get("/api/reports", params={**span, "by": "agent"}, headers=supervisor)
    ).json()
    drilled = await (
        await desk.get(
            "/api/reports/conversations", params={**span, "figure": "csat"}, headers=supervisor
        )
    ).json()

    names = {g["key"]: g["name"] for g in by_agent["groups"]}
    assert names == {None: None, named["agent"]: "Ann"}
    [row] = drilled["conversations"]
    assert (row["agent"], row["agent_name"]) == (named["agent"], "Ann")


async def test_the_cli_names_the_agents_as_the_api_does(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str],
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    await traffic(desk, store, clock)
    span = period_of(clock)
    query = {**span, "by": "agent"}
    from_api = await (await desk.get("/api/reports", params=query, headers=supervisor)).json()
    capsys.readouterr()

    code = await asyncio.to_thread(
        main,
        ["report", "--db", database_url(store), "--rules", str(always_open_rules(tmp_path)),
         "--since", span["since"], "--until", span["until"], "--by", "agent", "--format", "json"],
    )  # fmt: skip

    assert code == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert [g["name"] for g in from_cli["groups"]] == [None, "Ann"]
    assert from_cli == from_api


async def test_an_unknown_format_gets_400(desk: TestClient, supervisor: dict[str, str]) -> None:
    response = await desk.get("/api/reports", params={"format": "xlsx"}, headers=supervisor)

    assert response.status == 400
    assert (await response.json())["message"].startswith("format:")


async def test_a_supervisor_reads_a_drilled_conversations_transcript_with_its_ticket(
    desk: TestClient, store: SQLiteStore, clock: Clock, supervisor: dict[str, str]
) -> None:
    named = await traffic(desk, store, clock)
    cid = named["agent_handled"]

    response = await desk.get(f"/api/reports/conversations/{cid}", headers=supervisor)

    assert response.status == 200
    found = await response.json()
    assert (found["conversation"], found["status"]) == (cid, "closed")
    said = [(m["sender"], m["text"]) for m in found["transcript"] if m["sender"] != "bot"]
    assert said == [("customer", "talk to a human"), ("agent", "Hello!")]
    [ticket] = found["tickets"]
    assert (ticket["assignee"], ticket["assignee_name"]) == (named["agent"], "Ann")
    assert (ticket["csat"], ticket["status"]) == (4, "solved")


@pytest.mark.parametrize("cid", ["c_nobody", "c%00x", "a%20b", "x" * 101])
async def test_a_conversation_that_does_not_exist_is_404(
    desk: TestClient, supervisor: dict[str, str], cid: str
) -> None:
    response = await desk.get(f"/api/reports/conversations/{cid}", headers=supervisor)

    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


@pytest.mark.parametrize(
    "path",
    ["/api/reports?format=csv", "/api/reports?format=xlsx", "/api/reports/conversations/c_x"],
)
async def test_an_agent_who_is_not_a_supervisor_is_refused_what_the_page_reads(
    desk: TestClient, store: SQLiteStore, path: str
) -> None:
    _, token = await make_agent(store, "Ann")

    response = await desk.get(path, headers={"Authorization": f"Bearer {token}"})

    assert response.status == 403
    assert (await response.json())["error"] == "forbidden"


@pytest.mark.parametrize("path", ["/api/reports?format=csv", "/api/reports/conversations/c_x"])
async def test_without_a_session_what_the_page_reads_is_refused_with_401(
    desk: TestClient, path: str
) -> None:
    response = await desk.get(path)

    assert response.status == 401


@pytest.fixture
async def pages(make_client: Client, make_settings: Callable[..., Settings]) -> TestClient:
    return await make_client(settings=make_settings(widget_dir=WIDGET_DIR))


async def test_the_reports_page_is_served_like_the_console_and_refuses_frames(
    pages: TestClient,
) -> None:
    response = await pages.get("/console/reports")

    assert response.status == 200
    assert response.content_type == "text/html"
    assert 'src="/widget/vendor/uPlot.iife.min.js"' in await response.text()
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy


async def test_the_vendored_chart_library_is_served_same_origin_as_javascript(
    pages: TestClient,
) -> None:
    response = await pages.get("/widget/vendor/uPlot.iife.min.js")

    assert response.status == 200
    assert response.content_type == "text/javascript"
    assert (await response.text()).startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32)")


@pytest.mark.parametrize("name", ["..%2Fconsole.js", ".hidden", "missing.js"])
async def test_nothing_but_a_vendored_file_is_served_from_vendor(
    pages: TestClient, name: str
) -> None:
    response = await pages.get(f"/widget/vendor/{name}")

    assert response.status == 404
