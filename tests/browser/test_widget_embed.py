"""Embedding: one script tag with data-* settings, calls queued before load, page CSS kept out."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser.widget_driver import Widget

HOST_PAGE = "/widget/embed-example.html"


def _host_page(page: Page) -> Widget:
    return Widget(page).goto(HOST_PAGE)


def test_calls_made_before_load_are_run_after_it(page: Page) -> None:
    widget = _host_page(page).greeted()
    expect(widget.panel).to_be_visible()  # Helpline.open() was queued
    page.wait_for_function("() => window.seen.includes('bot:greeting')")


def test_script_tag_settings_choose_language_title_and_colour(page: Page) -> None:
    widget = _host_page(page).greeted()
    expect(widget.panel.locator(".hl-title")).to_have_text("Acme Help")
    expect(widget.talk).to_have_text("Talk to a person")  # data-lang beats <html lang="ko">
    header = widget.panel.locator(".hl-head")
    expect(header).to_have_css("background-color", "rgb(255, 212, 0)")
    expect(header).to_have_css("color", "rgb(17, 17, 17)")  # dark text on a light colour


def test_host_page_css_does_not_reach_the_widget(page: Page) -> None:
    widget = _host_page(page)
    send = widget.panel.locator(".hl-send")
    expect(send).not_to_have_css("background-color", "rgb(0, 255, 0)")
    expect(widget.panel).to_have_css("display", "flex")
    assert send.evaluate("n => getComputedStyle(n).fontFamily") != "serif"


def test_widget_adds_one_global_only(page: Page) -> None:
    Widget(page).goto("/")
    added = page.evaluate(
        """() => {
            const frame = document.body.appendChild(document.createElement('iframe'));
            const blank = new Set(Object.getOwnPropertyNames(frame.contentWindow));
            frame.remove();
            return Object.keys(window).filter(k => !blank.has(k));
        }"""
    )
    assert added == ["Helpline"]
