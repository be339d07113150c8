"""Browser-test helpers for the unanswered inbox page (/console/inbox) as an author sees it,
and customers who write one message the bot cannot answer."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from browser.console_driver import AgentAccount
from browser.widget_driver import SCREENSHOTS, Widget


class Inbox:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.clusters = page.locator("#clusters")
        self.result = page.locator("#inbox-result")
        self.drafts = page.locator("#drafts")
        self.answers_result = page.locator("#answers-result")

    def login(self, account: AgentAccount) -> Inbox:
        self.page.goto("/console/inbox")
        self.page.locator("#email").fill(account.email)
        self.page.locator("#password").fill(account.password)
        self.page.locator("#login button[type=submit]").click()
        expect(self.page.locator("#agent-name")).to_have_text(account.name)
        return self

    def cluster(self, first_message: str) -> Locator:
        """The card whose title is the cluster's first wording."""
        return self.clusters.locator("li.cluster").filter(
            has=self.page.locator(".card-title", has_text=f"“{first_message}”")
        )

    def draft(self, question: str) -> Locator:
        return self.drafts.locator("li.draft").filter(
            has=self.page.locator(".card-title", has_text=f"“{question}”")
        )

    def refresh(self) -> Inbox:
        self.page.get_by_role("button", name="Refresh").click()
        return self

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path


def ask_once(browser: Browser, server: str, text: str, lang: str = "en") -> Widget:
    """A new customer in their own browser writes text; returns once the bot replied."""
    context = browser.new_context(base_url=server)
    widget = Widget(context.new_page()).goto(f"/?lang={lang}").open().greeted()
    widget.say(text)
    expect(widget.bot_messages()).to_have_count(2)  # the greeting and the reply
    return widget


def close_widget(widget: Widget) -> None:
    widget.page.context.close()
