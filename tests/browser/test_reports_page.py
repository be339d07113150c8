"""The console's Reports page in Chromium, over conversations customers and an agent really
had on this module's server: figures, the chart, tables, drill-down to a transcript, CSV,
Korean, the keyboard and axe."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from browser.axe import serious_findings
from browser.console_driver import AGENT_NAME, AgentAccount, Console, add_agent, connected, customer
from browser.widget_driver import SCREENSHOTS

AGENT_REPLY = "Your reset link is on its way."


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


@dataclass(frozen=True)
class Traffic:
    agent: AgentAccount  # Mina, who took the handed-over conversation
    handed_over: str  # that customer's name


def answered(page: Page, question: str, lang: str) -> None:
    widget, _ = customer(page, lang)
    widget.say(question)
    expect(widget.log.locator(".hl-rate")).to_have_count(1)  # the bot's answer


@pytest.fixture(scope="module")
def traffic(browser: Browser, server: str, server_db: Path) -> Traffic:
    """Three conversations, each customer in a browser of their own: two the bot answered
    (English, Korean), one an agent took, answered and closed, rated 5 by the customer."""
    agent = add_agent(server_db, AGENT_NAME)
    contexts = [browser.new_context(base_url=server, locale="en-US") for _ in range(4)]
    try:
        answered(contexts[0].new_page(), "I forgot my password", "en")
        answered(contexts[1].new_page(), "비밀번호를 잊어버렸어요", "ko")
        console = Console(contexts[2].new_page()).login(agent).wait_presence("online")
        page = contexts[3].new_page()
        widget, name = connected(page, console)
        console.write(AGENT_REPLY)
        expect(widget.log.locator(".hl-msg.hl-agent")).to_contain_text(AGENT_REPLY)
        console.page.get_by_role("button", name="Close", exact=True).click()
        console.page.get_by_role("button", name="Close the conversation").click()
        page.get_by_label("5 points").check()
        page.get_by_role("button", name="Send rating").click()
        expect(page.locator(".hl-done")).to_be_visible()
        console.set_presence("away")
    finally:
        for context in contexts:
            context.close()
    return Traffic(agent, name)


@pytest.fixture(scope="module")
def supervisor(server_db: Path) -> AgentAccount:
    return add_agent(server_db, "Sora", role="supervisor")


class Reports:
    """The Reports page as a signed-in supervisor sees it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.figures = page.locator("#figures")
        self.dialog = page.locator("#drill")
        self.title = page.locator("#drill-title")

    def goto(self) -> Reports:
        self.page.goto("/console/reports")
        expect(self.figure("conversations").locator(".f-value")).not_to_have_text("")
        return self

    def figure(self, name: str) -> Locator:
        return self.page.locator(f'button.figure[data-figure="{name}"]')

    def table(self, by: str) -> Locator:
        return self.page.locator(f'#groups table[data-by="{by}"]')

    def drilled(self) -> Locator:
        """The drill-down's rows, once they have come."""
        expect(self.page.locator("#drill-total")).not_to_have_text("Loading…")
        return self.dialog.locator("tbody tr")


@pytest.fixture
def supervisor_context(browser: Browser, server: str, traffic: Traffic) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, locale="en-US",
        accept_downloads=True,
    )  # fmt: skip
    yield context
    context.close()


@pytest.fixture
def reports(supervisor_context: BrowserContext, supervisor: AgentAccount) -> Reports:
    page = supervisor_context.new_page()
    console = Console(page).login(supervisor)
    expect(page.get_by_role("link", name="Reports")).to_be_visible()
    console.set_presence("away")
    return Reports(page).goto()


def test_the_figures_are_what_the_conversations_did(reports: Reports) -> None:
    value = lambda name: reports.figure(name).locator(".f-value")  # noqa: E731
    expect(value("conversations")).to_have_text("3")
    expect(value("containment_rate")).to_have_text("66.7%")
    expect(value("handoff_rate")).to_have_text("33.3%")
    expect(value("fallback_rate")).to_have_text("0.0%")
    expect(value("csat_average")).to_have_text("5.00 / 5")
    expect(value("csat_count")).to_have_text("1")
    expect(value("first_response_p50")).not_to_have_text("no data")
    expect(reports.figure("conversations").locator(".f-change")).to_have_text(
        "+3 vs the previous period"
    )
    expect(reports.figure("handoff_rate").locator(".f-change")).to_have_text(
        "no previous figure to compare"  # the week before had no conversation: no rate
    )


def test_the_tables_have_a_row_per_team_agent_and_language(
    reports: Reports, traffic: Traffic
) -> None:
    def conversations_of(by: str) -> dict[str, str]:
        rows = reports.table(by).locator("tbody tr")
        expect(rows.first).to_be_visible()
        keys = rows.locator("th").all_inner_texts()
        return dict(zip(keys, rows.locator("td:nth-child(2)").all_inner_texts(), strict=True))

    assert conversations_of("team") == {"(none)": "2", "general": "1"}
    assert conversations_of("agent") == {"(none)": "2", AGENT_NAME: "1"}
    assert conversations_of("language") == {"en": "2", "ko": "1"}
    assert conversations_of("intent")["forgot_password"] == "2"


def test_drill_down_from_a_figure_opens_its_conversation_and_then_its_transcript(
    reports: Reports, traffic: Traffic
) -> None:
    reports.figure("handoff_rate").click()

    expect(reports.dialog).to_be_visible()
    expect(reports.title).to_have_text("Handoff rate: the conversations")
    [row] = reports.drilled().all()
    expect(row.locator("td").nth(2)).to_have_text("general")
    expect(row.locator("td").nth(3)).to_have_text(AGENT_NAME)
    expect(row.locator("td").nth(4)).to_have_text("5 / 5")
    row.get_by_role("button", name="Transcript").click()

    expect(reports.title).to_have_text(f"Transcript: {traffic.handed_over}")
    expect(reports.page.locator("#transcript-meta")).to_contain_text(
        f"general · {AGENT_NAME} · solved · CSAT 5 / 5"
    )
    transcript = reports.page.locator("#transcript")
    expect(transcript.locator(".msg.agent")).to_contain_text(AGENT_REPLY)
    expect(transcript.locator(".msg.agent .from")).to_have_text(AGENT_NAME)
    expect(transcript.locator(".msg.customer").first).to_contain_text(traffic.handed_over)


def test_a_handoff_reason_opens_the_conversations_handed_over_for_it(reports: Reports) -> None:
    asked = reports.figure("handoffs:asked")
    expect(asked.locator(".f-value")).to_have_text("1")
    expect(asked.locator(".f-change")).to_have_text("33.3% of the conversations")
    expect(reports.figure("handoffs:frustration").locator(".f-value")).to_have_text("0")

    asked.click()

    expect(reports.title).to_have_text("Handoffs: Asked for a person: the conversations")
    [row] = reports.drilled().all()
    expect(row.locator("td").nth(1)).to_have_text("Asked for a person")


def test_the_row_of_no_team_opens_the_conversations_nobody_took(reports: Reports) -> None:
    reports.table("team").get_by_role("button", name="(none)").click()

    expect(reports.title).to_have_text("Team (none): the conversations")
    expect(reports.drilled()).to_have_count(2)
    expect(reports.drilled().locator("td:nth-child(4)")).to_have_text(["", ""])  # no team


def test_a_table_row_opens_the_conversations_of_its_group(reports: Reports) -> None:
    reports.table("language").get_by_role("button", name="ko", exact=True).click()

    expect(reports.title).to_have_text("Language ko: the conversations")
    [row] = reports.drilled().all()
    expect(row.locator("td").first).to_have_text("KO")


def test_a_bar_of_the_chart_opens_the_conversations_of_its_day(reports: Reports) -> None:
    over = reports.page.locator("#chart .u-over")
    box = over.bounding_box()
    assert box is not None
    # the period ends today, so today's bar is the last one, at the right-hand edge
    reports.page.mouse.move(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)
    reports.page.mouse.click(box["x"] + box["width"] - 4, box["y"] + box["height"] / 2)

    today = reports.page.locator("#series-table tbody th").last.text_content()
    expect(reports.title).to_have_text(f"{today}: the conversations")
    expect(reports.drilled()).to_have_count(3)


def test_the_chart_has_a_text_alternative_and_its_figures_as_a_table(reports: Reports) -> None:
    chart = reports.page.locator("#chart")
    expect(chart).to_have_attribute("role", "img")
    expect(chart).to_have_attribute(
        "aria-label",
        "Chart of conversations and handoffs by day, 8 points, at most 3 in one. "
        "The table below has the same figures.",
    )  # fmt: skip
    expect(chart.locator("canvas")).to_have_count(1)
    reports.page.get_by_text("The chart as a table").click()
    rows = reports.page.locator("#series-table tbody tr")
    expect(rows).to_have_count(8)  # the seven days back from now touch eight dates
    expect(rows.last.locator("td").first).to_have_text("3")


def test_the_period_picker_reloads_the_figures_by_the_hour_and_for_a_custom_range(
    reports: Reports,
) -> None:
    reports.page.get_by_label("Chart", exact=True).select_option("hour")
    expect(reports.page.locator("#series-table th", has_text=":00").first).to_be_attached()
    hours = reports.page.locator("#series-table tbody tr").count()
    assert hours in (7 * 24, 7 * 24 + 1)  # and the hour it is now, unless on the hour
    reports.page.get_by_label("Last 30 days").check()
    expect(reports.page.locator("#period-text")).to_contain_text(" – ")
    reports.page.get_by_label("Chart", exact=True).select_option("day")
    expect(reports.page.locator("#series-table tbody tr")).to_have_count(31)
    expect(reports.figure("conversations").locator(".f-value")).to_have_text("3")
    reports.page.get_by_label("Custom").check()
    reports.page.get_by_label("From", exact=True).fill("2020-01-01")
    reports.page.get_by_label("To", exact=True).fill("2020-01-02")
    reports.page.get_by_role("button", name="Show").click()
    expect(reports.figure("conversations").locator(".f-value")).to_have_text("0")
    expect(reports.figure("handoff_rate").locator(".f-value")).to_have_text("no data")


def test_a_custom_range_that_ends_before_it_starts_is_refused_in_the_form(
    reports: Reports,
) -> None:
    reports.page.get_by_label("Custom").check()
    reports.page.get_by_label("From", exact=True).fill("2020-01-05")
    reports.page.get_by_label("To", exact=True).fill("2020-01-02")
    reports.page.get_by_role("button", name="Show").click()
    expect(reports.page.locator("#period-error")).to_contain_text("the end cannot be before")
    expect(reports.figure("conversations").locator(".f-value")).to_have_text("3")


def test_a_period_the_server_refuses_says_why_and_keeps_the_figures_shown(
    reports: Reports,
) -> None:
    reports.page.get_by_label("Chart", exact=True).select_option("hour")
    expect(reports.page.locator("#series-table th", has_text=":00").first).to_be_attached()
    reports.page.get_by_label("Custom").check()
    reports.page.get_by_label("From", exact=True).fill("2000-01-01")
    reports.page.get_by_label("To", exact=True).fill("2020-01-01")
    reports.page.get_by_role("button", name="Show").click()

    expect(reports.page.locator("#banner")).to_have_text(
        "The report could not be loaded: by: a hour series of this period has over 9600 points"
    )
    expect(reports.page.locator("#period-text")).not_to_have_text("Loading…")
    expect(reports.figure("conversations").locator(".f-value")).to_have_text("3")


def test_the_csv_download_has_the_periods_figures(reports: Reports) -> None:
    with reports.page.expect_download() as download:
        reports.page.get_by_role("link", name="Download CSV: Headline figures").click()

    assert download.value.suggested_filename == "helpline-report-period.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert (row["conversations"], row["handoffs"], row["csat.count"]) == ("3", "1", "1")


def test_the_csv_of_a_table_has_its_rows(reports: Reports) -> None:
    with reports.page.expect_download() as download:
        reports.page.get_by_role("link", name="Download CSV: Per language").click()

    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = {r["key"]: r["conversations"] for r in csv.DictReader(io.StringIO(text))}
    assert rows == {"en": "2", "ko": "1"}


def test_the_page_speaks_korean(reports: Reports) -> None:
    reports.page.locator("#lang").select_option("ko")

    expect(reports.page.locator("h1")).to_have_text("Helpline 리포트")
    expect(reports.page.locator("#figures-title")).to_have_text("주요 지표")
    expect(reports.figure("handoff_rate").locator(".f-label")).to_have_text("상담원 연결률")
    expect(reports.figure("conversations").locator(".f-change")).to_have_text("이전 기간 대비 +3")
    reports.figure("handoff_rate").click()
    expect(reports.title).to_have_text("상담원 연결률: 대화 목록")
    expect(reports.page.locator("#drill-total")).to_have_text("대화 1건")


def test_the_keyboard_alone_opens_a_figure_and_escape_returns_to_it(reports: Reports) -> None:
    figure = reports.figure("conversations")
    figure.focus()
    reports.page.keyboard.press("Enter")
    expect(reports.drilled()).to_have_count(3)
    assert reports.title.evaluate("n => document.activeElement === n")
    reports.page.keyboard.press("Escape")
    expect(reports.dialog).to_be_hidden()
    assert figure.evaluate("n => document.activeElement === n")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_axe_finds_no_serious_issue_on_the_page_or_in_a_transcript(
    reports: Reports, axe_source: str, lang: str
) -> None:
    reports.page.locator("#lang").select_option(lang)
    reports.page.locator("#series-details summary").click()
    assert serious_findings(reports.page, axe_source) == []
    reports.figure("handoff_rate").click()
    reports.drilled().first.locator("button").click()
    expect(reports.page.locator("#transcript .msg.agent")).to_have_count(1)
    assert serious_findings(reports.page, axe_source) == []


def test_a_supervisor_follows_the_consoles_korean_link_to_the_page_signed_in(
    supervisor_context: BrowserContext, supervisor: AgentAccount
) -> None:
    page = supervisor_context.new_page()
    Console(page).login(supervisor).set_presence("away")
    page.locator("#lang").select_option("ko")

    page.get_by_role("link", name="리포트").click()

    expect(page).to_have_url(re.compile(r"/console/reports$"))
    expect(page.locator("h1")).to_have_text("Helpline 리포트")  # the choice of language kept
    expect(Reports(page).figure("conversations").locator(".f-value")).to_have_text("3")


def test_an_agent_who_is_not_a_supervisor_has_no_link_and_is_told_the_page_is_not_theirs(
    browser: Browser, server: str, traffic: Traffic
) -> None:
    context = browser.new_context(base_url=server, locale="en-US")
    try:
        page = context.new_page()
        Console(page).login(traffic.agent).set_presence("away")
        expect(page.locator("#reports-link")).to_be_hidden()
        page.goto("/console/reports")
        expect(page.locator("#gate-text")).to_have_text("Reports are for supervisors.")
        expect(page.locator("#content")).to_be_hidden()
    finally:
        context.close()


def test_screenshot_of_the_reports_page(reports: Reports) -> None:
    expect(reports.page.locator("#chart canvas")).to_have_count(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "reports-en.png"
    reports.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000


def test_today_is_the_last_point_of_the_series(reports: Reports) -> None:
    last = reports.page.locator("#series-table tbody th").last
    expect(last).to_have_text(datetime.now(UTC).strftime("%Y-%m-%d"))
