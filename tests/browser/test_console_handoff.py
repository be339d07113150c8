"""A customer asks for a person in the widget; an agent takes it in the console, in two browsers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.console_driver import Console, connected, escalated


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def test_escalation_appears_in_the_agents_queue_as_an_offer(page: Page, console: Console) -> None:
    _, name = escalated(page)
    entry = console.queue_entry(name)
    expect(entry.get_by_role("button", name=f"Accept: {name}")).to_be_visible()
    expect(entry.locator(".left")).to_contain_text("Accept within")
    expect(entry.locator(".waited")).to_contain_text("waiting")
    console.accept(name)  # nothing left waiting for the next test's agent


def test_agent_accepts_and_the_customer_sees_the_agents_name_and_reply(
    page: Page, console: Console
) -> None:
    widget, _ = connected(page, console)
    console.write("Hi, I'm Mina. Let me look at your account.")
    reply = widget.log.locator(".hl-msg.hl-agent")
    expect(reply.locator(".hl-from")).to_have_text("Mina")
    expect(reply.locator(".hl-bubble")).to_have_text("Hi, I'm Mina. Let me look at your account.")


def test_agent_sees_the_whole_story_with_the_bots_decisions(page: Page, console: Console) -> None:
    _, name = connected(page, console, "I forgot my password")
    answer = console.messages("bot").filter(has_text="sign-in screen")
    expect(answer.locator(".badge", has_text="intent: forgot_password")).to_be_visible()
    expect(answer.locator(".badge", has_text="decision: answer")).to_be_visible()
    said = console.messages("customer").first
    expect(said.locator(".from")).to_have_text(re.compile(rf"^{name} · .*\d"))  # then its time
    expect(said.locator(".bubble")).to_have_text("I forgot my password")


LINK_PARTS = """a => ({
    text: a.textContent, href: a.href, target: a.target, rel: a.rel,
    hint: a.lastElementChild.textContent,
    hintHidden: getComputedStyle(a.lastElementChild).width === '1px',
})"""


def test_both_pages_render_an_answers_link_the_same_with_its_new_tab_hint(
    page: Page, console: Console
) -> None:
    widget, _ = connected(page, console, "I forgot my password")
    in_widget = widget.bot_messages().filter(has_text="sign-in screen").locator("a")
    in_console = console.messages("bot").filter(has_text="sign-in screen").locator("a")

    seen_by_customer = in_widget.evaluate(LINK_PARTS)
    seen_by_agent = in_console.evaluate(LINK_PARTS)

    assert seen_by_customer == seen_by_agent
    assert seen_by_agent == {
        "text": "the help page (opens in a new tab)",
        "href": "https://help.streamflix.example/password", "target": "_blank",
        "rel": "noopener noreferrer", "hint": " (opens in a new tab)", "hintHidden": True,
    }  # fmt: skip
    expect(page.get_by_role("link", name="the help page (opens in a new tab)")).to_be_visible()


def test_customer_message_reaches_the_open_conversation(page: Page, console: Console) -> None:
    widget, _ = connected(page, console)
    widget.say("Are you still there?")
    expect(console.messages("customer").last).to_contain_text("Are you still there?")


def test_other_conversations_count_their_unread_messages(
    page: Page, console: Console, browser: Browser, server: str
) -> None:
    first, name = connected(page, console)
    console.write("Hello, how can I help?")  # counts start after the agent's last reply
    expect(first.log.locator(".hl-msg.hl-agent")).to_have_count(1)
    other_context = browser.new_context(base_url=server)
    try:
        connected(other_context.new_page(), console)  # now the open one
        first.say("One more thing")
        first.say("Hello?")
        entry = console.mine.locator(".entry", has_text=name)
        expect(entry.locator(".unread")).to_have_text("2")
        expect(entry.locator(".unread")).to_have_attribute("aria-label", "2 unread")
        entry.click()
        expect(entry.locator(".unread")).to_have_count(0)
        expect(console.messages("customer").last).to_contain_text("Hello?")
    finally:
        other_context.close()


def test_customer_typing_shows_in_the_console(page: Page, console: Console) -> None:
    widget, _ = connected(page, console)
    widget.input.press_sequentially("hel")
    expect(console.page.locator("#typing")).to_have_text("The customer is typing")


def test_note_is_marked_for_the_agent_and_never_reaches_the_widget(
    page: Page, console: Console
) -> None:
    widget, _ = connected(page, console)
    console.page.get_by_role("button", name="Internal note").click()
    console.write("Customer sounds upset; refund likely")
    note = console.messages("note")
    expect(note.locator(".note-label")).to_have_text("Note · ")
    expect(note.locator(".bubble")).to_have_text("Customer sounds upset; refund likely")
    background = note.locator(".bubble").evaluate("n => getComputedStyle(n).backgroundColor")
    assert background == "rgb(255, 243, 176)"  # the note yellow, unlike any reply
    console.page.get_by_role("button", name="Reply").click()
    console.write("Thanks for waiting")
    expect(widget.log.locator(".hl-msg.hl-agent .hl-from")).to_have_text("Mina")
    expect(widget.log.locator(".hl-msg.hl-agent .hl-bubble")).to_have_text("Thanks for waiting")
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
    widget, _ = connected(page, console)
    console.page.get_by_role("button", name="Hand back to the bot").click()
    expect(widget.status).to_have_text("Our bot is answering")
    expect(console.page.locator("#conv-none")).to_be_visible()
    widget.say("I forgot my password")
    expect(widget.bot_messages().filter(has_text="sign-in screen")).to_have_count(1)


def test_new_arrival_is_announced_and_signalled_without_errors(
    page: Page, console: Console
) -> None:
    errors: list[str] = []
    console.page.on("pageerror", lambda error: errors.append(str(error)))
    console.page.context.grant_permissions(["notifications"])
    _, name = escalated(page)
    expect(console.page.locator("#announce")).to_have_text(
        re.compile(f"^(New customer waiting|Conversation offered to you): {name}$")
    )
    console.accept(name)  # nothing left waiting for the next test's agent
    assert errors == []


def test_reload_brings_back_my_conversations_and_transcript(page: Page, console: Console) -> None:
    _, name = connected(page, console)
    console.write("Still here after a reload?")
    console.page.reload()
    expect(console.mine.locator(".entry", has_text=name)).to_be_visible()
    expect(console.title).to_have_text(name)
    expect(console.messages("agent")).to_contain_text("Still here after a reload?")
