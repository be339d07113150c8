"""The console for everyone: an axe-core audit, the keyboard alone, screenshots for the README,
supervisors and transfers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.axe import serious_findings
from browser.console_driver import (
    Console,
    add_agent,
    connected,
    escalated,
)


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


@contextmanager
def supervisor_console(browser: Browser, server: str, server_db: Path) -> Iterator[Console]:
    """Sora, a supervisor, signed in on a browser context of her own and away: nothing is
    offered to her, and the queue still shows."""
    boss = add_agent(server_db, "Sora", role="supervisor")
    context = browser.new_context(base_url=server, viewport={"width": 1440, "height": 900})
    try:
        yield Console(context.new_page()).login(boss).set_presence("away")
    finally:
        context.close()


def test_axe_finds_no_serious_issue_on_the_sign_in_form(agent_page: Page, axe_source: str) -> None:
    Console(agent_page).goto()
    assert serious_findings(agent_page, axe_source) == []


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_axe_finds_no_serious_issue_with_a_conversation_open(
    page: Page, console: Console, axe_source: str, lang: str
) -> None:
    connected(page, console, "I forgot my password")
    expect(console.messages("bot").filter(has_text="sign-in screen")).to_have_count(1)
    console.page.get_by_role("button", name="Internal note").click()
    console.write("Checked the account: fine")
    expect(console.messages("note")).to_have_count(1)
    console.page.get_by_label("Language").select_option(lang)
    assert serious_findings(console.page, axe_source) == []


def test_keyboard_alone_accepts_an_offer_and_replies(page: Page, console: Console) -> None:
    widget, name = escalated(page)
    accept = console.queue_entry(name).get_by_role("button", name=f"Accept: {name}")
    expect(accept).to_be_visible()
    console.page.locator("#agent-name").click()  # focus starts at the top of the page
    for _ in range(30):
        console.page.keyboard.press("Tab")
        if accept.evaluate("n => document.activeElement === n"):
            break
    else:
        raise AssertionError("the Accept button was not reached with Tab")
    console.page.keyboard.press("Enter")
    expect(console.title).to_have_text(name)
    assert console.text.evaluate("n => document.activeElement === n")  # ready to type
    console.page.keyboard.type("Typed without a mouse")
    console.page.keyboard.press("Enter")
    expect(widget.log.locator(".hl-msg.hl-agent")).to_contain_text("Typed without a mouse")


def test_canned_answers_are_chosen_with_the_arrow_keys(page: Page, console: Console) -> None:
    connected(page, console)
    console.text.press_sequentially("/plan")
    options = console.canned.get_by_role("option")
    expect(options.nth(1)).to_be_visible()
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    console.text.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    chosen = options.nth(1).locator(".c-text").text_content()
    console.text.press("Enter")
    expect(console.text).to_have_value(chosen or "")


def test_supervisor_claims_a_conversation_from_the_queue(
    page: Page, browser: Browser, server: str, server_db: Path
) -> None:
    with supervisor_console(browser, server, server_db) as console:
        widget, name = escalated(page)
        claim = console.queue_entry(name).get_by_role("button", name=f"Claim: {name}")
        claim.click()
        expect(console.title).to_have_text(name)
        expect(widget.status).to_have_text("Talking with Sora")


def test_supervisor_marks_a_waiting_conversation_urgent_and_back(
    page: Page, browser: Browser, server: str, server_db: Path
) -> None:
    with supervisor_console(browser, server, server_db) as console:
        _, name = escalated(page)
        entry = console.queue_entry(name)
        entry.get_by_role("button", name=f"Mark urgent: {name}").click()
        expect(entry.locator(".urgent")).to_have_text("urgent")
        unmark = entry.get_by_role("button", name=f"Not urgent: {name}")
        expect(unmark).to_have_attribute("aria-pressed", "true")
        unmark.click()
        expect(entry.locator(".urgent")).to_have_count(0)


def test_transfer_to_a_team_hands_the_conversation_over_with_a_note(
    page: Page, console: Console, browser: Browser, server: str, server_db: Path
) -> None:
    with supervisor_console(browser, server, server_db) as other:
        _, name = connected(page, console)
        console.page.get_by_role("button", name="Transfer").first.click()
        console.page.get_by_role("radio", name="general ·").check()
        console.page.get_by_label("Note for the next agent (optional)").fill("Wants a refund")
        console.page.locator("#transfer button[type=submit]").click()
        expect(console.mine.locator(".entry", has_text=name)).to_have_count(0)
        other.queue_entry(name).get_by_role("button", name=f"Claim: {name}").click()
        expect(other.messages("note")).to_contain_text("Wants a refund")


SCREENSHOT_TEXTS = {  # the agent's reply and internal note
    "en": ("I've sent you a reset link. Anything else?", "Second reset this month: check sharing"),
    "ko": (
        "재설정 링크를 보내 드렸어요. 더 도와드릴 일이 있을까요?",
        "이번 달 두 번째 재설정: 계정 공유 확인",
    ),
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_screenshot_of_the_console_with_a_conversation(
    page: Page, console: Console, browser: Browser, server: str, lang: str
) -> None:
    question = {"en": "I forgot my password", "ko": "비밀번호를 잊어버렸어요"}[lang]
    connected(page, console, question, lang)
    reply, note = SCREENSHOT_TEXTS[lang]
    console.write(reply)
    console.page.get_by_role("button", name="Internal note").click()
    console.write(note)
    expect(console.messages("note")).to_have_count(1)
    context = browser.new_context(base_url=server)
    try:
        _, waiting = escalated(context.new_page())  # a new arrival, offered in the queue
        console.page.get_by_label("Language").select_option(lang)
        expect(console.queue_entry(waiting).locator(".left")).not_to_be_empty()
        path = console.screenshot(f"console-{lang}.png")
        assert path.stat().st_size > 20_000
        console.accept(waiting)  # nothing left waiting for the next test's agent
    finally:
        context.close()
