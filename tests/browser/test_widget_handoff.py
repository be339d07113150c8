"""What the customer sees of the handoff, from the server's real frames: the place in line,
the agent's name and typing, the email form when nobody can answer, the rating after close."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.console_driver import AgentAccount, Console, connected, customer, escalated
from browser.widget_driver import Widget

PRIVACY_REQUEST = "delete all my personal data"  # routed to the privacy desk: closed, unstaffed


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def test_widget_shows_its_place_in_line_while_waiting(page: Page, console: Console) -> None:
    widget, name = escalated(page)
    expect(widget.status).to_have_text(re.compile(r"^Position 1 in line( · about \d+ min)?$"))
    console.accept(name)
    expect(widget.status).to_have_text("Talking with Mina")


def test_close_with_tags_then_the_customer_rates_once(
    page: Page, console: Console, agent: AgentAccount, server_db: Path
) -> None:
    widget, _ = connected(page, console)
    close_conversation(console, "password, resolved")
    expect(widget.status).to_have_text("This conversation has ended")
    page.get_by_label("5 points").check()
    page.get_by_label("Comment (optional)").fill("Fast and friendly")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".hl-done")).to_have_text("Thanks for rating us!")
    expect(page.get_by_role("group", name="How was your conversation?")).to_have_count(0)
    assert _ticket_of(server_db, agent.id) == (5, "Fast and friendly")


def _ticket_of(db: Path, agent_id: str) -> tuple[int, str] | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT csat_rating, csat_comment FROM tickets WHERE assignee = ?", (agent_id,)
        ).fetchone()
    return (row[0], row[1]) if row else None


def test_offline_desk_asks_for_an_email_and_confirms_it(page: Page) -> None:
    widget = offline(page)
    page.get_by_label("Email address").fill("kim@example.com")
    page.get_by_role("button", name="Leave my email").click()
    expect(page.locator(".hl-done")).to_have_text("Thanks! We will reply to kim@example.com.")
    expect(widget.bot_messages().filter(has_text="kim@example.com")).to_have_count(1)


def test_agent_typing_is_shown_with_the_agents_name(page: Page, console: Console) -> None:
    widget, _ = connected(page, console)
    console.text.press_sequentially("Let me check")
    expect(page.locator(".hl-typing")).to_have_text("Mina is typing")


def offline(page: Page) -> Widget:
    widget, _ = customer(page)
    widget.say(PRIVACY_REQUEST)
    expect(widget.bot_messages().filter(has_text="Leave your email")).to_have_count(1)
    return widget


def test_offline_desk_shows_a_labelled_email_form(page: Page) -> None:
    widget = offline(page)
    expect(widget.status).to_have_text("No one is available right now")
    field = page.get_by_label("Email address")
    expect(field).to_have_attribute("type", "email")
    expect(field).to_have_attribute("autocomplete", "email")


def test_email_form_refuses_an_address_without_a_domain(page: Page) -> None:
    offline(page)
    field = page.get_by_label("Email address")
    field.fill("kim@")
    page.get_by_role("button", name="Leave my email").click()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#hl-email-err")).to_contain_text("valid email address")
    assert field.evaluate("n => n.getRootNode().activeElement === n")


def test_rating_needs_a_choice_before_it_is_sent(page: Page, console: Console) -> None:
    widget, _ = connected(page, console)
    close_conversation(console)
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator("#hl-csat-err")).to_have_text("Please choose a rating.")
    expect(page.get_by_role("group", name="How was your conversation?")).to_be_visible()


def test_rating_form_stays_answered_after_a_reload(page: Page, console: Console) -> None:
    widget, _ = connected(page, console)
    close_conversation(console)
    page.get_by_label("3 points").check()
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".hl-done")).to_be_visible()
    page.reload()
    expect(widget.panel).to_be_visible()
    expect(widget.status).to_have_text("This conversation has ended")
    expect(page.get_by_role("group", name="How was your conversation?")).to_have_count(0)


def close_conversation(console: Console, tags: str = "") -> None:
    console.page.get_by_role("button", name="Close", exact=True).click()
    console.page.get_by_label("Tags (comma separated)").fill(tags)
    console.page.get_by_role("button", name="Close the conversation").click()


def _ticket_of(db: Path, agent_id: str) -> tuple[int, str] | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT csat_rating, csat_comment FROM tickets WHERE assignee = ?", (agent_id,)
        ).fetchone()
    return (row[0], row[1]) if row else None


def test_the_email_form_leaves_the_newest_message_in_view_on_a_phone(phone_page: Page) -> None:
    widget, _ = customer(phone_page)
    # answered questions first, enough for the log to scroll on a 360 x 740 screen
    for n, question in enumerate(["I forgot my password", "change my plan"] * 2, start=1):
        widget.say(question)
        expect(widget.log.locator(".hl-rate")).to_have_count(n)
    widget.say(PRIVACY_REQUEST)
    newest = widget.bot_messages().filter(has_text="Leave your email")
    expect(newest).to_have_count(1)
    expect(phone_page.get_by_label("Email address")).to_be_visible()
    expect(newest).to_be_in_viewport()
    log, form = widget.log.bounding_box(), phone_page.locator(".hl-extra").bounding_box()
    message = newest.bounding_box()
    assert log and form and message
    # wholly inside the log, which ends where the form begins: nothing covers it
    assert (
        log["y"] <= message["y"]
        and message["y"] + message["height"] <= log["y"] + log["height"] + 1
    )
    assert log["y"] + log["height"] <= form["y"] + 1
