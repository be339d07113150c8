"""The widget works for everyone: a phone screen, the keyboard alone, an accessibility audit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser.axe import serious_findings
from browser.widget_driver import Widget

MAX_TABS = 40  # more tab stops than the demo page has before the launcher


def _tab_until_focused(page: Page, selector: str) -> None:
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.locator(selector).evaluate("n => n.getRootNode().activeElement === n"):
            return
    raise AssertionError(f"{selector} was not reached with Tab")


def _focused(page: Page, selector: str) -> bool:
    return bool(page.locator(selector).evaluate("n => n.getRootNode().activeElement === n"))


def test_phone_layout_fills_the_screen(phone_page: Page) -> None:
    widget = Widget(phone_page).goto("/").open()
    box = widget.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": 360, "height": 740}
    expect(widget.launcher).to_be_hidden()


def test_desktop_layout_is_a_floating_panel(page: Page) -> None:
    widget = Widget(page).goto("/").open()
    box = widget.panel.bounding_box()
    assert box is not None
    assert (box["width"], box["height"]) == (380, 600)
    assert box["x"] + box["width"] < 1280 and box["y"] > 0


def test_keyboard_alone_opens_chats_and_closes(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en")
    _tab_until_focused(page, ".hl-launcher")
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    assert _focused(page, ".hl-input")  # focus moves into the composer on open
    page.keyboard.type("I forgot my password")
    page.keyboard.press("Enter")
    expect(widget.bot_messages().filter(has_text="on the sign-in screen")).to_have_count(1)
    page.keyboard.press("Shift+Tab")
    assert _focused(page, ".hl-talk")
    page.keyboard.press("Shift+Tab")
    assert _focused(page, ".hl-thumb.hl-down")  # the answer's own controls come before
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert _focused(page, ".hl-launcher")  # focus returns to the launcher on close


def test_keyboard_reaches_and_presses_answer_buttons(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("plan")
    expect(widget.button("Cancel my plan")).to_be_visible()
    widget.log.focus()
    _tab_until_focused(page, ".hl-choice >> text=Cancel my plan")
    page.keyboard.press("Enter")
    expect(widget.bot_messages().filter(has_text="Cancel membership")).to_have_count(1)


def test_focus_is_visible_on_widget_controls(page: Page) -> None:
    Widget(page).goto("/?lang=en")
    _tab_until_focused(page, ".hl-launcher")
    outline = page.locator(".hl-launcher").evaluate("n => getComputedStyle(n).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_axe_finds_no_serious_issue_with_the_widget_open(
    page: Page, axe_source: str, lang: str
) -> None:
    widget = Widget(page).goto(f"/?lang={lang}").open().greeted()
    widget.say({"ko": "비밀번호를 잊어버렸어요", "en": "I forgot my password"}[lang])
    expect(widget.log.locator(".hl-rate")).to_have_count(1)
    assert serious_findings(page, axe_source) == []
