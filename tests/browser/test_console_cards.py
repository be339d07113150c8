"""The live desk an agent can work fast in: cards that tell anonymous customers apart (id,
colour, newest message, page), message times, the customer's "Seen", the transfer picker,
keyboard shortcuts; axe on all of it. Real server, real Chromium, real widgets."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.axe import serious_findings
from browser.console_driver import AGENT_NAME, Console, add_agent, connected
from browser.widget_driver import Widget


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def hue(conversation_id: str) -> int:
    """common.js's customerMark hue, to check a dot's colour against its own conversation."""
    h = 0
    for c in conversation_id:
        h = (h * 31 + ord(c)) % 360
    return h


def anonymous_in_line(page: Page, product: str, said: str) -> Widget:
    """An anonymous customer on a product page who asked for a person, then wrote `said`."""
    widget = Widget(page).goto(f"/?lang=en&product={product}").open().greeted()
    widget.talk.click()
    expect(widget.status).not_to_have_text("Our bot is answering")
    widget.say(said)
    expect(widget.said().filter(has_text=said)).to_have_count(1)
    return widget


@contextmanager
def other_agent(browser: Browser, server: str, server_db: Path, name: str) -> Iterator[Console]:
    """Another agent signed in and away (so the test's customer is offered to the console's
    agent); away again afterwards, whatever happened, so nothing later is offered to them."""
    account = add_agent(server_db, name)
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 800})
    try:
        console = Console(context.new_page()).login(account).set_presence("away")
        try:
            yield console
        finally:
            console.set_presence("away")
    finally:
        context.close()


def test_two_anonymous_customers_have_cards_an_agent_can_tell_apart(
    page: Page, console: Console, browser: Browser, server: str
) -> None:
    second = browser.new_context(base_url=server)
    try:
        first_widget = anonymous_in_line(page, "premium", "It is about invoice 1234")
        anonymous_in_line(second.new_page(), "basic", "My TV app shows error 503")
        cards = console.queue.locator(".entry")
        expect(cards.filter(has_text="invoice 1234")).to_have_count(1)
        expect(cards.filter(has_text="error 503")).to_have_count(1)

        first = cards.filter(has_text="invoice 1234")
        other = cards.filter(has_text="error 503")
        expect(first.locator(".page")).to_contain_text("product=premium")
        expect(other.locator(".page")).to_contain_text("product=basic")
        names = [c.locator(".name").inner_text() for c in (first, other)]
        assert all(re.fullmatch(r"Anonymous #[0-9a-f]{6}", n) for n in names), names
        assert names[0] != names[1]
        for card in (first, other):
            cid = card.get_attribute("data-conversation") or ""
            colour = card.locator(".avatar").evaluate("n => n.style.background")
            assert colour == card.evaluate(f"() => {{ const s = document.createElement('span');"
                                           f" s.style.background = 'hsl({hue(cid)}, 65%, 42%)';"
                                           f" return s.style.background; }}")  # fmt: skip
            expect(card.locator(".waited")).to_have_text(re.compile(r"waiting \d+ s"))
            expect(card).to_contain_text("EN")
        expect(first.locator(".preview")).to_have_text("“It is about invoice 1234”")
        for card in (first, other):  # nothing left waiting for the next test's agent
            card.locator("button.accept").click()

        # taken, they are still told apart in "My conversations" by what each customer said
        mine = console.mine.locator(".entry .preview")
        expect(mine.filter(has_text="invoice 1234")).to_have_count(1)
        expect(mine.filter(has_text="error 503")).to_have_count(1)
        first_widget.say("The card ends in 42")
        expect(mine.filter(has_text="The card ends in 42")).to_have_count(1)
        expect(mine.filter(has_text="invoice 1234")).to_have_count(0)
    finally:
        second.close()


def test_messages_show_their_times_and_the_agent_sees_when_the_reply_was_seen(
    page: Page, console: Console
) -> None:
    widget, name = connected(page, console, "I forgot my password")
    console.write("Here is a new reset link")
    reply = console.messages("agent").filter(has_text="Here is a new reset link")
    expect(widget.log.locator(".hl-msg.hl-agent")).to_contain_text("Here is a new reset link")

    expect(reply.locator(".seen")).to_have_text("Seen")
    expect(console.transcript.locator(".seen")).to_have_count(1)
    shown = console.transcript.locator(".msg:not(.system)")
    expect(shown.locator("time")).to_have_count(shown.count())
    widget_times = widget.log.locator(".hl-msg:not(.hl-pending) .hl-time")
    expect(widget_times.first).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))
    assert widget_times.count() >= 3  # greeting, the question, the answer, the reply...

    console.page.reload()
    expect(console.title).to_have_text(name)
    expect(console.messages("agent").filter(has_text="reset link").locator(".seen")).to_have_text(
        "Seen"
    )


def test_a_reply_the_customer_has_not_looked_at_is_not_seen(page: Page, console: Console) -> None:
    reports: list[int] = []  # the seqs the widget says were seen, as it sends them
    page.on("websocket", lambda ws: ws.on("framesent", lambda sent: reports.extend(seen(sent))))
    widget, _ = connected(page, console)
    widget.page.get_by_role("button", name="Close chat").click()  # nothing new on screen
    expect(widget.panel).to_be_hidden()
    console.write("Are you still there?")
    reply = console.messages("agent").filter(has_text="still there")
    expect(reply).to_have_attribute("data-seq", re.compile(r"\d+"))
    expect(widget.badge).to_have_text("1")  # the widget has it, and said nothing of it

    assert int(reply.get_attribute("data-seq") or 0) not in reports
    expect(console.transcript.locator(".seen")).to_have_count(0)
    widget.launcher.click()
    expect(reply.locator(".seen")).to_have_count(1)
    assert int(reply.get_attribute("data-seq") or 0) in reports


def seen(frame: str | bytes) -> list[int]:
    sent = json.loads(frame)
    return [sent["seq"]] if sent.get("type") == "message.seen" else []


def test_transfer_through_the_picker_to_another_online_agent(
    page: Page, console: Console, browser: Browser, server: str, server_db: Path
) -> None:
    with other_agent(browser, server, server_db, "Bora") as bora:
        widget, name = connected(page, console)
        bora.set_presence("online")
        console.page.get_by_role("button", name="Transfer").first.click()
        choice = console.page.get_by_role("radio", name=re.compile(r"^Bora \(general\) · 0 of 3"))
        expect(choice).to_be_visible()
        expect(
            console.page.get_by_role("radio", name=re.compile(r"^general · \d+ online"))
        ).to_be_visible()
        expect(console.page.get_by_role("radio", name=re.compile(f"^{AGENT_NAME} "))).to_have_count(
            0
        )
        choice.check()
        console.page.get_by_label("Note for the next agent (optional)").fill("Billing question")
        console.page.locator("#transfer button[type=submit]").click()

        expect(bora.title).to_have_text(name)
        expect(bora.messages("note")).to_contain_text("Billing question")
        expect(widget.status).to_have_text("Talking with Bora")
        expect(console.mine.locator(".entry", has_text=name)).to_have_count(0)
        close_current(bora)


def test_transfer_without_a_choice_says_what_is_missing(page: Page, console: Console) -> None:
    connected(page, console)
    console.page.get_by_role("button", name="Transfer").first.click()
    expect(console.page.get_by_role("radio").first).to_be_visible()
    console.page.locator("#transfer button[type=submit]").click()

    expect(console.page.locator("#transfer-error")).to_have_text(
        "Choose a team or an agent to transfer to."
    )


def test_the_keyboard_accepts_sends_notes_and_moves_between_conversations(
    page: Page, console: Console, browser: Browser, server: str
) -> None:
    keys = console.page.keyboard
    widget, _ = anonymous_offer(page, console)
    console.page.locator("#queue-title").click()  # nothing typed into: single keys act
    keys.press("a")
    expect(console.mine.locator(".entry")).to_have_count(1)
    console.text.fill("Sent with the keyboard")
    console.text.press("Control+Enter")
    expect(widget.log.locator(".hl-msg.hl-agent")).to_contain_text("Sent with the keyboard")
    console.text.fill("Noted with the keyboard")
    console.text.press("Control+Shift+Enter")
    expect(console.messages("note")).to_contain_text("Noted with the keyboard")
    expect(widget.log).not_to_contain_text("Noted with the keyboard")

    console.text.press("Escape")
    keys.type("a")  # no offer now: nothing happens, and nothing is typed
    expect(console.text).to_have_value("")
    keys.press("n")
    expect(console.text).to_be_focused()
    expect(console.page.locator("#mode-note")).to_have_attribute("aria-pressed", "true")
    keys.type("j")  # typed into the message box: a letter, not a shortcut
    expect(console.text).to_have_value("j")
    console.text.fill("")
    console.text.press("Escape")
    keys.press("r")
    expect(console.page.locator("#mode-reply")).to_have_attribute("aria-pressed", "true")

    second = browser.new_context(base_url=server)
    try:
        anonymous_offer(second.new_page(), console)
        console.text.press("Escape")
        keys.press("a")
        expect(console.mine.locator(".entry")).to_have_count(2)
        current = console.mine.locator("[aria-current=true]")
        before = current.get_attribute("data-conversation")
        console.text.press("Escape")
        keys.press("j")
        expect(current).not_to_have_attribute("data-conversation", before or "")
        expect(current).to_be_focused()
        keys.press("k")
        expect(current).to_have_attribute("data-conversation", before or "")
        close_current(console)  # nothing left open for the next test
        console.mine.locator(".entry").first.click()
        close_current(console)
        expect(console.mine.locator(".entry")).to_have_count(0)
    finally:
        second.close()


def close_current(console: Console) -> None:
    console.page.get_by_role("button", name="Close", exact=True).click()
    console.page.locator("#close-form button[type=submit]").click()


def anonymous_offer(page: Page, console: Console) -> tuple[Widget, str]:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.talk.click()
    expect(console.queue.locator(".entry.offered")).to_have_count(1)
    return widget, console.queue.locator(".entry.offered .name").inner_text()


def test_the_shortcuts_are_listed_in_a_help_dialog(console: Console) -> None:
    console.page.locator("#queue-title").click()
    console.page.keyboard.press("?")
    dialog = console.page.get_by_role("dialog", name="Keyboard shortcuts")

    expect(dialog).to_be_visible()
    for said in (
        "Accept the offered conversation",
        "Next conversation",
        "Send (also while typing)",
    ):
        expect(dialog).to_contain_text(said)
    console.page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    console.page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(dialog).to_be_visible()


def test_axe_finds_no_serious_issue_with_cards_the_picker_and_the_help_open(
    page: Page, console: Console, browser: Browser, server: str, server_db: Path, axe_source: str
) -> None:
    with other_agent(browser, server, server_db, "Dana") as dana:
        widget, _ = connected(page, console, "I forgot my password")
        console.write("A reply to be seen")
        expect(console.transcript.locator(".seen")).to_have_count(1)
        second = browser.new_context(base_url=server)
        try:
            anonymous_in_line(second.new_page(), "family", "Can I share my account?")
            card = console.queue.locator(".entry", has_text="share my account")
            expect(card.locator("button.accept")).to_be_visible()  # offered to us: Dana is away
            dana.set_presence("online")
            console.page.get_by_role("button", name="Transfer").first.click()
            expect(console.page.get_by_role("radio", name=re.compile("^Dana"))).to_be_visible()
            assert serious_findings(console.page, axe_source) == []
            assert serious_findings(widget.page, axe_source) == []
            console.page.get_by_role("button", name="Keyboard shortcuts").click()
            assert serious_findings(console.page, axe_source) == []
            console.page.keyboard.press("Escape")
            card.locator("button.accept").click()  # nothing left waiting for the next test
        finally:
            second.close()
