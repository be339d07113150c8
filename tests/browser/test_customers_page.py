"""The console's Customers page in a real browser: a customer's profile opened from the
conversation an agent is in, with the attributes the host site signed, a note added by
keyboard, the way back to the conversation, Korean, and axe."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.axe import serious_findings
from browser.console_driver import AGENT_NAME, Console
from browser.widget_driver import SCREENSHOTS, Widget


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def talking(page: Page, console: Console, attributes: dict[str, object]) -> tuple[str, str]:
    """A signed-in customer (with attributes) the console's agent accepted: id and name."""
    customer_id, name = f"cust-{uuid.uuid4().hex[:10]}", f"Yoon {uuid.uuid4().hex[:6]}"
    widget = Widget(page).goto("/?lang=en")
    widget.identify(customer_id, name, attributes=attributes)
    widget.open().greeted()
    widget.talk.click()
    console.accept(name)
    expect(widget.status).to_have_text(f"Talking with {AGENT_NAME}")
    return customer_id, name


def test_a_profile_opens_from_the_conversation_with_the_sites_attributes(
    page: Page, console: Console, axe_source: str
) -> None:
    customer_id, name = talking(page, console, {"plan": "premium", "country": "KR"})
    link = console.page.locator("#customer").get_by_role("link", name="Open the customer's profile")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href == f"/console/customers?open={customer_id}"

    profile = console.page.context.new_page()  # the console's tab stays on the desk
    profile.goto(href)

    expect(profile.locator("#profile-title")).to_have_text(name)
    expect(profile.locator("#profile-title")).to_be_focused()
    attributes = profile.locator("#profile-attributes")
    expect(attributes).to_contain_text("plan")
    expect(attributes).to_contain_text("premium")
    expect(attributes).to_contain_text("KR")
    expect(profile.locator("#profile-identity")).to_contain_text(customer_id)
    expect(profile.locator("#profile-conversations li")).to_have_count(1)
    expect(profile.locator("#cards .entry", has_text=name)).to_have_count(1)
    expect(profile.locator("#status-line")).to_have_text("1 customer")
    assert serious_findings(profile, axe_source) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    profile.screenshot(path=str(SCREENSHOTS / "customers-en.png"))  # web_widget/README


def test_a_note_is_added_by_keyboard_and_the_conversation_reached_back(
    page: Page, console: Console
) -> None:
    customer_id, name = talking(page, console, {"plan": "basic"})
    profile = console.page.context.new_page()
    profile.goto(f"/console/customers?open={customer_id}")
    expect(profile.locator("#profile-title")).to_have_text(name)

    profile.get_by_label("Add a note (agents only)").focus()
    profile.keyboard.type("Prefers email, 이메일 선호")
    profile.keyboard.press("Tab")
    expect(profile.get_by_role("button", name="Add note")).to_be_focused()
    profile.keyboard.press("Enter")

    expect(profile.locator("#profile-notes li")).to_contain_text("Prefers email, 이메일 선호")
    expect(profile.locator("#profile-notes li")).to_contain_text(AGENT_NAME)
    profile.reload()  # kept by the server, not only shown
    expect(profile.locator("#profile-notes li")).to_contain_text("이메일 선호")
    profile.locator("#profile-conversations a").click()
    expect(profile.locator("#reader-title")).to_have_text(name)
    back = profile.get_by_role("link", name="Open the customer's profile")
    expect(back).to_have_attribute("href", f"/console/customers?open={customer_id}")


def test_the_page_speaks_korean(page: Page, console: Console) -> None:
    customer_id, name = talking(page, console, {"plan": "premium"})
    profile = console.page.context.new_page()
    profile.goto(f"/console/customers?open={customer_id}")
    expect(profile.locator("#profile-title")).to_have_text(name)

    profile.get_by_label("Language").select_option("ko")

    expect(profile.locator("h1")).to_have_text("고객 목록")
    expect(profile.get_by_role("button", name="메모 추가")).to_be_visible()
    expect(profile.get_by_label("메모 추가 (상담원만 봐요)")).to_be_visible()
    expect(profile.locator("#profile-identity")).to_contain_text("최근 방문")
