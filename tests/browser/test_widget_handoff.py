"""The widget's last two forms: an email address when nobody can answer, a rating after close."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser.widget_driver import Widget, relay_with_injection

OFFLINE = {
    "type": "message.new",
    "seq": 900,
    "sender": "bot",
    "kind": "offline",
    "text": "Our team is back at 09:00. Leave your email and we will reply there.",
    "buttons": [],
}


def test_offline_message_shows_a_labelled_email_form(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    Widget(page).goto("/?lang=en").open().greeted()
    inject(OFFLINE)
    expect(page.get_by_label("Email address")).to_be_visible()


def test_email_form_refuses_an_address_without_a_domain(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    Widget(page).goto("/?lang=en").open().greeted()
    inject(OFFLINE)
    field = page.get_by_label("Email address")
    field.fill("mina@")
    page.get_by_role("button", name="Leave my email").click()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".hl-err")).to_contain_text("valid email address")
    assert field.evaluate("n => n.getRootNode().activeElement === n")


def test_email_is_confirmed_by_the_server_and_the_form_goes(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    widget = Widget(page).goto("/?lang=en").open().greeted()
    inject(OFFLINE)
    page.get_by_label("Email address").fill("Mina@Example.com")
    page.get_by_role("button", name="Leave my email").click()
    expect(page.locator(".hl-done")).to_contain_text("We will reply to")
    expect(widget.bot_messages().filter(has_text="when a person replies")).to_have_count(1)
    expect(page.get_by_label("Email address")).to_have_count(0)


def test_closed_conversation_shows_a_rating_form_sent_once(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    widget = Widget(page).goto("/?lang=en").open().greeted()
    inject({"type": "conversation.status", "status": "closed"})
    expect(page.get_by_role("group", name="How was your conversation?")).to_be_visible()
    page.get_by_label("4 points").check()
    page.get_by_label("Comment (optional)").fill("Quick and kind")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".hl-done")).to_have_text("Thanks for rating us!")
    page.reload()
    expect(widget.panel).to_be_visible()
    expect(widget.bot_messages().first).to_be_visible()
    expect(page.get_by_role("group", name="How was your conversation?")).to_have_count(0)
