"""Screenshots of the widget for the README: desktop and phone, Korean and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser.widget_driver import Widget

QUESTION = {"ko": "비밀번호를 잊어버렸어요", "en": "I forgot my password"}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_desktop_screenshot_shows_an_answer(page: Page, lang: str) -> None:
    widget = Widget(page).goto(f"/?lang={lang}").open().greeted()
    widget.say(QUESTION[lang])
    expect(widget.log.locator(".hl-rate")).to_have_count(1)
    path = widget.screenshot(f"widget-desktop-{lang}.png")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_phone_screenshot_shows_an_answer(phone_page: Page, lang: str) -> None:
    widget = Widget(phone_page).goto(f"/?lang={lang}").open().greeted()
    widget.say(QUESTION[lang])
    expect(widget.log.locator(".hl-rate")).to_have_count(1)
    path = widget.screenshot(f"widget-phone-{lang}.png")
    assert path.stat().st_size > 10_000
