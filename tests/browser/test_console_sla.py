"""The console's Tickets panel in a real browser: a ticket's due time turns amber, then red
as time passes (a policy of seconds), the breach alert shows, a supervisor changes the
ticket, and axe finds nothing serious."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.axe import serious_findings
from browser.conftest import RULES, run_server
from browser.console_driver import AgentAccount, Console, add_agent, escalated

# amber after 10 of the 20 seconds, red after 20 (long enough for a slow machine to see
# each colour); breaches looked for every second
SLA = """
sla:
  business_hours: false
  warning_at: 0.5
  check_every_s: 1
  policies:
    normal: {first_response: 20s, resolution: 1h}
"""
STEP_MS = 20_000  # one colour to the next, and some


@pytest.fixture(scope="module")
def server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sla") / "helpline.db"


@pytest.fixture(scope="module")
def server(server_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    rules = tmp_path_factory.mktemp("sla-rules") / "rules"
    shutil.copytree(RULES, rules)
    config = rules / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8") + SLA, encoding="utf-8")
    with run_server(server_db, rules=rules) as url:
        yield url


@pytest.fixture
def supervisor(server_db: Path) -> AgentAccount:
    return add_agent(server_db, "Sue", role="supervisor")


def test_due_time_turns_amber_then_red_and_the_breach_is_announced(
    page: Page, agent_page: Page, supervisor: AgentAccount, axe_source: str
) -> None:
    console = Console(agent_page).login(supervisor)
    console.wait_presence("online")
    escalated(page)
    due = agent_page.locator("#tickets .ticket .sla-due")

    expect(due).to_have_attribute("data-state", "ok")
    expect(due).to_contain_text("First response due")
    expect(due).to_have_attribute("data-state", "warning", timeout=STEP_MS)
    expect(due).to_contain_text("Due soon")
    expect(due).to_have_attribute("data-state", "breached", timeout=STEP_MS)
    expect(due).to_contain_text("Overdue")
    # retried like the other expectations: the list may draw the row again in between,
    # and a style read from the row it replaced is empty
    expect(due).to_have_css("background-color", "rgb(253, 231, 234)")
    expect(due).to_have_css("color", "rgb(138, 0, 25)")
    alert = agent_page.locator("#sla-alert")
    expect(alert).to_contain_text("SLA breached: First response of ticket")
    assert serious_findings(agent_page, axe_source) == []
    console.set_presence("away")


def test_supervisor_changes_a_tickets_priority_and_tags_in_the_panel(
    page: Page, agent_page: Page, supervisor: AgentAccount
) -> None:
    Console(agent_page).login(supervisor)
    expect(agent_page.locator("#tickets-panel")).to_have_attribute("data-loaded", "true")
    tickets = agent_page.locator("#tickets .ticket")
    before = tickets.count()
    escalated(page)
    expect(tickets).to_have_count(before + 1)
    ticket = tickets.last  # oldest first: the newest is last
    ticket.get_by_role("button", name="Change ticket").click()
    ticket.get_by_label("Priority").select_option("high")
    ticket.get_by_label("Tags (comma separated)").fill("refund, vip")
    ticket.get_by_role("button", name="Save").click()

    expect(ticket.locator(".badge", has_text="High")).to_be_visible()
    expect(ticket.locator(".meta")).to_contain_text("refund, vip")
    expect(agent_page.locator("#sla-announce")).to_have_text("Ticket changed.")
