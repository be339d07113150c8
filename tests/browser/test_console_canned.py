"""Canned answers in real browsers: a supervisor adds one on /console/canned with the
keyboard, and an agent inserts it in the console with its /shortcut, the customer's name
filled in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.axe import serious_findings
from browser.console_driver import AGENT_NAME, Console, add_agent, connected


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


@pytest.fixture
def supervisor_page(browser: Browser, server: str, server_db: Path) -> Iterator[Page]:
    """A supervisor signed in on a browser of their own; their team takes no escalations,
    so the customer of the test goes to the agent."""
    account = add_agent(server_db, "Sora", teams="leads", role="supervisor")
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    Console(page).login(account).set_presence("away")
    yield page
    context.close()


def add_answer(page: Page, shortcut: str) -> None:
    """Through the form, by keyboard only."""
    page.get_by_label("Shortcut (after /)").focus()
    page.keyboard.type(shortcut)
    page.keyboard.press("Tab")
    page.keyboard.type("Refund timing")
    page.keyboard.press("Tab")  # the team: left empty, for everyone
    page.keyboard.press("Tab")
    page.keyboard.type("{customer_name}님, 환불은 3영업일 안에 처리돼요.")
    page.keyboard.press("Tab")
    page.keyboard.type("Hi {customer_name}, I'm {agent_name}: refunds take 3 working days.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")


def test_a_supervisor_adds_an_answer_and_an_agent_inserts_it_by_its_shortcut(
    page: Page, console: Console, supervisor_page: Page, axe_source: str
) -> None:
    shortcut = "refund"  # the module's server is its own: the shortcut is free
    supervisor_page.get_by_role("link", name="Canned answers").click()
    expect(supervisor_page.get_by_role("heading", name="Add a canned answer")).to_be_visible()
    add_answer(supervisor_page, shortcut)
    entry = supervisor_page.locator("#answers .entry", has_text="/" + shortcut)
    expect(entry).to_contain_text("Every team")
    expect(entry).to_contain_text("refunds take 3 working days")
    assert serious_findings(supervisor_page, axe_source) == []
    Console(supervisor_page).screenshot("canned-en.png")

    _, customer = connected(page, console)
    console.text.press_sequentially("/" + shortcut)
    expect(console.canned.get_by_role("option").first).to_contain_text(f"/{shortcut} · Refund")
    console.text.press("Enter")

    expect(console.text).to_have_value(
        f"Hi {customer}, I'm {AGENT_NAME}: refunds take 3 working days."
    )


def test_the_page_reads_in_korean_and_an_answer_is_edited_and_deleted(
    supervisor_page: Page, axe_source: str
) -> None:
    shortcut = "delay" + uuid.uuid4().hex[:4]
    supervisor_page.goto("/console/canned")
    add_answer(supervisor_page, shortcut)
    supervisor_page.get_by_label("Language").select_option("ko")
    expect(supervisor_page.get_by_role("heading", name="자주 쓰는 답변 추가")).to_be_visible()

    supervisor_page.get_by_role("button", name=f"/{shortcut} 수정").click()
    expect(supervisor_page.get_by_label("단축어 (/ 다음)")).to_be_focused()
    supervisor_page.get_by_label("제목").fill("배송 지연 안내")
    supervisor_page.get_by_role("button", name="저장").click()
    entry = supervisor_page.locator("#answers .entry", has_text="/" + shortcut)
    expect(entry).to_contain_text("배송 지연 안내")
    assert serious_findings(supervisor_page, axe_source) == []

    supervisor_page.once("dialog", lambda dialog: dialog.accept())
    supervisor_page.get_by_role("button", name=f"/{shortcut} 삭제").click()
    expect(entry).to_have_count(0)


def test_an_agent_reads_the_answers_but_gets_no_form(
    console: Console, supervisor_page: Page, axe_source: str
) -> None:
    shortcut = "hours" + uuid.uuid4().hex[:4]
    supervisor_page.goto("/console/canned")
    add_answer(supervisor_page, shortcut)
    expect(supervisor_page.locator("#answers .entry", has_text="/" + shortcut)).to_be_visible()
    expect(console.page.get_by_role("link", name="Canned answers")).to_be_hidden()

    page = console.page.context.new_page()  # the console stays open: its fixture signs off there
    page.goto("/console/canned")

    expect(page.locator("#read-only")).to_be_visible()
    expect(page.locator("#editor")).to_be_hidden()
    expect(page.locator("#answers .entry", has_text="/" + shortcut)).to_be_visible()
    expect(page.get_by_role("button", name=f"Edit /{shortcut}")).to_have_count(0)
    assert serious_findings(page, axe_source) == []
