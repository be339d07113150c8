"""A customer asks for a person in the widget; an agent takes it in the console, in two browsers.

This module runs its own server (an empty queue, a privacy desk that nobody staffs) so that
conversations other modules left waiting are never offered to these agents.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from browser.conftest import run_server
from browser.console_driver import AgentAccount, Console, add_agent
from browser.widget_driver import Widget


@pytest.fixture(scope="module")
def server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("handoff") / "helpline.db"
    add_agent(db, "Privacy", teams="privacy")  # makes the team exist; never signs in
    return db


@pytest.fixture(scope="module")
def server(server_db: Path) -> Iterator[str]:
    with run_server(server_db) as url:
        yield url


@pytest.fixture
def agent(server_db: Path) -> AgentAccount:
    return add_agent(server_db, "Mina")


@pytest.fixture
def console(agent_page: Page, agent: AgentAccount) -> Iterator[Console]:
    """Signed in and online; set away afterwards so later tests' customers are not offered
    to an agent whose browser has gone."""
    console = Console(agent_page).login(agent)
    console.wait_presence("online")
    yield console
    console.set_presence("away")


def customer(page: Page) -> tuple[Widget, str]:
    name = f"Kim {uuid.uuid4().hex[:6]}"
    widget = Widget(page).goto("/?lang=en")
    widget.identify(f"cust-{uuid.uuid4().hex[:10]}", name)
    return widget.open().greeted(), name


def escalated(page: Page) -> tuple[Widget, str]:
    widget, name = customer(page)
    widget.talk.click()
    return widget, name


def connected(page: Page, console: Console) -> Widget:
    widget, name = escalated(page)
    console.accept(name)
    expect(widget.status).to_have_text("Talking with Mina")
    return widget


def test_escalation_appears_in_the_agents_queue_as_an_offer(page: Page, console: Console) -> None:
    _, name = escalated(page)
    entry = console.queue_entry(name)
    expect(entry.get_by_role("button", name=f"Accept: {name}")).to_be_visible()
    expect(entry.locator(".left")).to_contain_text("Accept within")
    expect(entry.locator(".waited")).to_contain_text("waiting")
    console.accept(name)  # nothing left waiting for the next test's agent


def test_widget_shows_its_place_in_line_while_waiting(page: Page, console: Console) -> None:
    widget, name = escalated(page)
    expect(widget.status).to_have_text(re.compile(r"^Position 1 in line( · about \d+ min)?$"))
    console.accept(name)
    expect(widget.status).to_have_text("Talking with Mina")


def test_agent_accepts_and_the_customer_sees_the_agents_name_and_reply(
    page: Page, console: Console
) -> None:
    widget = connected(page, console)
    console.write("Hi, I'm Mina. Let me look at your account.")
    reply = widget.log.locator(".hl-msg.hl-agent")
    expect(reply.locator(".hl-from")).to_have_text("Mina")
    expect(reply.locator(".hl-bubble")).to_have_text("Hi, I'm Mina. Let me look at your account.")


def test_agent_sees_the_whole_story_with_the_bots_decisions(page: Page, console: Console) -> None:
    widget, name = customer(page)
    widget.say("I forgot my password")
    expect(widget.log.locator(".hl-rate")).to_have_count(1)
    widget.talk.click()
    console.accept(name)
    answer = console.messages("bot").filter(has_text="sign-in screen")
    expect(answer.locator(".badge", has_text="intent: forgot_password")).to_be_visible()
    expect(answer.locator(".badge", has_text="decision: answer")).to_be_visible()
    expect(console.messages("customer").first).to_have_text(f"{name}I forgot my password")


def test_customer_message_reaches_the_agent_with_an_unread_count_elsewhere(
    page: Page, console: Console
) -> None:
    widget = connected(page, console)
    widget.say("Are you still there?")
    expect(console.messages("customer").last).to_contain_text("Are you still there?")


def test_customer_typing_shows_in_the_console(page: Page, console: Console) -> None:
    widget = connected(page, console)
    widget.input.press_sequentially("hel")
    expect(console.page.locator("#typing")).to_have_text("The customer is typing")


def test_note_is_marked_for_the_agent_and_never_reaches_the_widget(
    page: Page, console: Console
) -> None:
    widget = connected(page, console)
    console.page.get_by_role("button", name="Internal note").click()
    console.write("Customer sounds upset; refund likely")
    note = console.messages("note")
    expect(note.locator(".note-label")).to_have_text("Note · ")
    expect(note.locator(".bubble")).to_have_text("Customer sounds upset; refund likely")
    background = note.locator(".bubble").evaluate("n => getComputedStyle(n).backgroundColor")
    assert background == "rgb(255, 243, 176)"  # the note yellow, unlike any reply
    console.page.get_by_role("button", name="Reply").click()
    console.write("Thanks for waiting")
    expect(widget.log.locator(".hl-msg.hl-agent")).to_have_text("MinaThanks for waiting")
    expect(widget.log).not_to_contain_text("refund likely")


def test_canned_answer_is_found_after_a_slash_and_inserted_with_enter(
    page: Page, console: Console
) -> None:
    connected(page, console)
    console.text.press_sequentially("/password")
    expect(console.canned.get_by_role("option").first).to_contain_text("Forgot password")
    console.text.press("Enter")
    expect(console.text).to_have_value(
        "Tap **Forgot password?** on the sign-in screen.\n- Enter your email\n"
        "- Open the link we send\nMore at [the help page](https://help.streamflix.example/password)."
    )
    expect(console.canned).to_be_hidden()


def test_canned_search_box_inserts_the_chosen_answer(page: Page, console: Console) -> None:
    connected(page, console)
    box = console.page.get_by_role("combobox", name="Search canned answers")
    box.fill("cancel")
    expect(console.canned.get_by_role("option").first).to_contain_text("Cancel my plan")
    box.press("Enter")
    expect(console.text).to_have_value(
        "Press **Cancel membership** under Account; you can watch until the period ends."
    )


def test_hand_back_returns_the_customer_to_the_bot(page: Page, console: Console) -> None:
    widget = connected(page, console)
    console.page.get_by_role("button", name="Hand back to the bot").click()
    expect(widget.status).to_have_text("Our bot is answering")
    expect(console.page.locator("#conv-none")).to_be_visible()
    widget.say("I forgot my password")
    expect(widget.bot_messages().filter(has_text="sign-in screen")).to_have_count(1)


def test_close_with_tags_then_the_customer_rates_once(
    page: Page, console: Console, agent: AgentAccount, server_db: Path
) -> None:
    widget = connected(page, console)
    console.page.get_by_role("button", name="Close", exact=True).click()
    console.page.get_by_label("Tags (comma separated)").fill("password, resolved")
    console.page.get_by_role("button", name="Close the conversation").click()
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
    widget, _ = customer(page)
    widget.say("delete all my personal data")
    expect(widget.bot_messages().filter(has_text="Leave your email")).to_have_count(1)
    page.get_by_label("Email address").fill("kim@example.com")
    page.get_by_role("button", name="Leave my email").click()
    expect(page.locator(".hl-done")).to_have_text("Thanks! We will reply to kim@example.com.")
    expect(widget.bot_messages().filter(has_text="kim@example.com")).to_have_count(1)
