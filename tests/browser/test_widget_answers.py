"""The widget shows the bot's answers: FAQ answers in both languages, buttons, feedback."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from widget_driver import Widget


def test_faq_answer_is_shown_in_korean(page: Page) -> None:
    widget = Widget(page).goto("/").open().greeted()
    widget.say("비밀번호를 잊어버렸어요")
    answer = widget.bot_messages().filter(has_text="로그인 화면에서")
    expect(answer).to_have_count(1)
    expect(answer.locator("strong")).to_have_text("비밀번호를 잊으셨나요?")
    expect(widget.talk).to_have_text("상담원 연결")


def test_faq_answer_is_shown_in_english(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("I forgot my password")
    answer = widget.bot_messages().filter(has_text="on the sign-in screen")
    expect(answer).to_have_count(1)
    expect(widget.talk).to_have_text("Talk to a person")
    expect(widget.launcher).to_have_attribute("aria-label", "Open chat")
