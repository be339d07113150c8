"""The console's Team page in Chromium: a supervisor reaches it from the header, adds an
agent who then signs in with the password shown once, changes the agent's teams with the
keyboard, locks them; Korean; axe finds nothing serious."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from browser.axe import serious_findings
from browser.console_driver import AgentAccount, Console, add_agent


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


@pytest.fixture
def team_page(browser: Browser, server: str, server_db: Path) -> Iterator[Page]:
    """The Team page of a signed-in supervisor, reached by the console header's link."""
    boss: AgentAccount = add_agent(server_db, "Sora", role="supervisor")
    context = browser.new_context(base_url=server, locale="en-US")
    try:
        console = Console(context.new_page()).login(boss)
        link = console.page.get_by_role("link", name="Team", exact=True)
        expect(link).to_be_visible()
        link.click()
        expect(console.page.locator("#manage")).to_be_visible()
        yield console.page
    finally:
        context.close()


def add(page: Page, name: str, email: str, teams: str) -> str:
    """Fill the add form and send it; the initial password the page shows."""
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Teams (comma-separated)").fill(teams)
    page.get_by_role("button", name="Add", exact=True).click()
    shown = page.locator("#initial-password")
    expect(shown).to_contain_text(name)
    found = re.search(r"first password: (\S+)", shown.inner_text())
    assert found is not None
    return found.group(1)


def row(page: Page, name: str) -> Locator:
    return page.locator("#agent-rows tr", has=page.get_by_role("rowheader", name=name))


def test_a_supervisor_adds_an_agent_and_changes_their_teams(
    team_page: Page, browser: Browser, server: str, axe_source: str
) -> None:
    email = f"jun-{uuid.uuid4().hex[:6]}@streamflix.example"
    password = add(team_page, "Jun", email, "billing")
    expect(row(team_page, "Jun").get_by_label("Jun's teams")).to_have_value("billing")

    other = browser.new_context(base_url=server, locale="en-US")
    try:  # the new agent signs in with the password shown once
        Console(other.new_page()).login(AgentAccount("", email, "Jun", password, "agent"))
    finally:
        other.close()

    teams = row(team_page, "Jun").get_by_label("Jun's teams")
    teams.fill("billing, account")
    teams.press("Tab")
    team_page.keyboard.press("Tab")  # past the capacity, to Save
    focused = team_page.evaluate("() => document.activeElement.textContent")
    assert focused == "Save"
    team_page.keyboard.press("Enter")
    expect(team_page.locator("#announce")).to_have_text("Saved Jun's account.")
    expect(row(team_page, "Jun").get_by_label("Jun's teams")).to_have_value("billing, account")
    expect(team_page.locator("#team-list")).to_contain_text("account: ")

    row(team_page, "Jun").get_by_role("button", name="Lock · Jun").click()
    expect(row(team_page, "Jun")).to_contain_text("Locked")
    assert serious_findings(team_page, axe_source) == []


def test_the_page_speaks_korean(team_page: Page, axe_source: str) -> None:
    team_page.get_by_label("Language").select_option("ko")
    expect(team_page.get_by_role("heading", name="상담원 추가")).to_be_visible()
    expect(team_page.get_by_role("button", name="추가", exact=True)).to_be_visible()
    assert serious_findings(team_page, axe_source) == []
