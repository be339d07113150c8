"""The console's Conversations page in a real browser: a closed conversation found by a
word from it and opened, the view shared by its address, keyboard only, and axe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.axe import serious_findings
from browser.console_driver import Console, connected
from browser.widget_driver import SCREENSHOTS

SEARCH_LABEL = "Search messages, notes, tags, customers"


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def closed_with(page: Page, console: Console, reply: str, tags: str = "") -> str:
    """A customer's conversation the console's agent answered with `reply`, then closed;
    the customer's name."""
    widget, name = connected(page, console)
    console.write(reply)
    expect(widget.log.locator(".hl-msg.hl-agent .hl-bubble")).to_have_text(reply)
    console.page.get_by_role("button", name="Close", exact=True).click()
    console.page.get_by_label("Tags (comma separated)").fill(tags)
    console.page.get_by_role("button", name="Close the conversation").click()
    expect(console.mine.locator(".entry", has_text=name)).to_have_count(0)
    return name


def conversations_page(console: Console) -> Page:
    """The Conversations page, reached by the console header's link, in a tab of its own
    (the console's tab stays signed in for the fixture's sign-out)."""
    link = console.page.get_by_role("link", name="Conversations")
    href = link.get_attribute("href")
    assert href == "/console/conversations"
    opened = console.page.context.new_page()
    opened.goto(href)
    expect(opened.locator("#browse")).to_be_visible()
    return opened


def search(agent_page: Page, text: str) -> None:
    agent_page.get_by_label(SEARCH_LABEL).fill(text)
    agent_page.get_by_label(SEARCH_LABEL).press("Enter")


def test_a_closed_conversation_is_found_by_a_word_from_it_and_opened(
    page: Page, console: Console, axe_source: str
) -> None:
    name = closed_with(page, console, "Your voucher pomegranate-77 is applied now", "voucher")
    agent_page = conversations_page(console)

    search(agent_page, "megranat")

    expect(agent_page).to_have_url(re.compile(r"/console/conversations\?q=megranat$"))
    card = agent_page.locator("#cards .entry")
    expect(card).to_have_count(1)
    expect(agent_page.locator("#status-line")).to_have_text("1 conversation")
    expect(card).to_contain_text(name)
    expect(card).to_contain_text("Closed")
    # the last message is the bot's rating request sent on closing
    expect(card.locator(".preview")).to_contain_text("Bot: How did we do?")
    card.click()
    expect(agent_page.locator("#reader-title")).to_have_text(name)
    expect(agent_page.locator("#reader-title")).to_be_focused()
    expect(agent_page.locator("#reader-log .msg.agent")).to_contain_text("pomegranate-77")
    expect(agent_page.locator("#reader-meta")).to_contain_text("voucher")
    findings = serious_findings(agent_page, axe_source)
    assert findings == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    agent_page.screenshot(path=str(SCREENSHOTS / "conversations-en.png"))  # web_widget/README


def test_the_address_shares_the_filters_and_the_open_conversation(
    page: Page, console: Console
) -> None:
    name = closed_with(page, console, "The kiwifruit plan costs less")
    agent_page = conversations_page(console)
    search(agent_page, "kiwifruit")
    expect(agent_page.locator("#cards .entry")).to_have_count(1)
    agent_page.locator("#cards .entry").click()
    expect(agent_page.locator("#reader-title")).to_have_text(name)
    shared = agent_page.url

    other = agent_page.context.new_page()
    other.goto(shared)

    expect(other.get_by_label(SEARCH_LABEL)).to_have_value("kiwifruit")
    expect(other.locator("#cards .entry")).to_have_count(1)
    expect(other.locator("#reader-title")).to_have_text(name)
    other.close()


def test_the_tag_and_ticket_filters_find_it_and_are_kept_in_the_address(
    page: Page, console: Console
) -> None:
    name = closed_with(page, console, "Checked your gooseberry account", "gooseberry-tag")
    agent_page = conversations_page(console)

    agent_page.get_by_label("Tag", exact=True).fill("gooseberry-tag")
    agent_page.get_by_label("Ticket", exact=True).select_option("solved")
    agent_page.get_by_role("button", name="Search").click()

    expect(agent_page).to_have_url(re.compile(r"\?tag=gooseberry-tag&ticket=solved$"))
    expect(agent_page.locator("#cards .entry")).to_have_count(1)
    expect(agent_page.locator("#cards .entry")).to_contain_text(name)
    other = agent_page.context.new_page()
    other.goto(agent_page.url.replace("ticket=solved", "ticket=solved&sla=breached"))
    expect(other.get_by_label("Tag", exact=True)).to_have_value("gooseberry-tag")
    expect(other.get_by_label("SLA", exact=True)).to_have_value("breached")
    expect(other.locator("#status-line")).to_have_text("No conversation matches.")  # solved
    other.close()


def test_the_page_works_from_the_keyboard_in_korean(page: Page, console: Console) -> None:
    closed_with(page, console, "환불요청 접수했습니다")
    agent_page = conversations_page(console)
    agent_page.locator("#lang").select_option("ko")
    expect(agent_page.get_by_role("heading", name="검색 결과")).to_be_visible()

    agent_page.get_by_label("메시지, 메모, 태그, 고객 검색").focus()
    agent_page.keyboard.type("환불")
    agent_page.keyboard.press("Enter")
    expect(agent_page.locator("#status-line")).to_contain_text("최근 대화 5,000개")
    expect(agent_page.locator("#results-title")).to_be_focused()
    agent_page.keyboard.press("Tab")
    expect(agent_page.locator("#cards .entry").first).to_be_focused()
    agent_page.keyboard.press("Enter")

    expect(agent_page.locator("#reader-log .msg.agent").first).to_contain_text("환불요청")
    expect(agent_page.locator("#reader-log .msg.agent .from").first).to_contain_text("상담원")


def test_a_signed_out_visitor_is_sent_to_the_console(page: Page) -> None:
    page.goto("/console/conversations")

    expect(page.get_by_role("link", name="Go to the console")).to_be_visible()
    expect(page.locator("#browse")).to_be_hidden()


def test_another_teams_list_is_refused_in_the_pages_language(console: Console) -> None:
    agent_page = conversations_page(console)
    agent_page.get_by_label("Team").fill("billing")  # the agent's team is general
    agent_page.get_by_role("button", name="Search").click()

    expect(agent_page.get_by_role("alert")).to_have_text(
        "Only your teams' conversations can be shown."
    )
    agent_page.locator("#lang").select_option("ko")
    agent_page.get_by_role("button", name="검색").click()
    expect(agent_page.get_by_role("alert")).to_have_text("내 팀의 대화만 볼 수 있어요.")
