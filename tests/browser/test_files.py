"""Images both ways through the real server: the customer attaches one in the widget, the
agent sees it inline in the console and sends one back, the customer sees that inline;
a refused file says why in the widget; the image is still there after a reload, and in
the conversations view's transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from attachment_kit import HTML, png
from browser.axe import serious_findings
from browser.console_driver import Console, connected
from browser.test_conversations_page import conversations_page, search

CUSTOMER_IMAGE = png(160, 100, (b"\x1a\x5f\xd0", b"\xff\xff\xff", b"\xd0\x20\x40"))
AGENT_IMAGE = png(120, 90, (b"\x2e\x8b\x57", b"\xf4\xd0\x3f"))


@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def attach(picker: Locator, name: str, content: bytes, mime: str = "image/png") -> None:
    picker.set_input_files(files=[{"name": name, "mimeType": mime, "buffer": content}])


def expect_loaded(image: Locator, width: int) -> None:
    """Shown, and really decoded (the bytes came back through the access check)."""
    expect(image).to_be_visible()
    expect(image).to_have_js_property("naturalWidth", width)


def test_a_customer_and_an_agent_send_each_other_images(page: Page, console: Console) -> None:
    widget, _ = connected(page, console)
    attach(page.locator(".hl-panel input[type=file]"), "결제 화면.png", CUSTOMER_IMAGE)

    sent = page.locator(".hl-msg.hl-customer img.hl-file-thumb")
    expect_loaded(sent, 160)
    expect(sent).to_have_attribute("alt", "결제 화면.png")
    seen = console.messages("customer").locator("img.file-thumb")
    expect_loaded(seen, 160)
    expect(console.messages("customer").locator("a.file")).to_have_attribute("target", "_blank")

    console.text.fill("Here is where to tap")
    attach(console.page.locator("#attach-input"), "tap-here.png", AGENT_IMAGE)

    received = page.locator(".hl-msg.hl-agent")
    expect(received.locator(".hl-bubble")).to_contain_text("Here is where to tap")
    expect_loaded(received.locator("img.hl-file-thumb"), 120)
    expect_loaded(console.messages("agent").locator("img.file-thumb"), 120)
    console.screenshot("files-console-en.png")
    widget.screenshot("files-widget-en.png")

    page.reload()  # the widget stays open across a reload, and reads the file again
    expect_loaded(page.locator(".hl-msg.hl-agent img.hl-file-thumb"), 120)


def test_a_page_disguised_as_an_image_is_refused_with_a_reason(
    page: Page, console: Console
) -> None:
    connected(page, console)

    attach(page.locator(".hl-panel input[type=file]"), "cat.png", HTML)

    expect(page.locator(".hl-file-err")).to_have_text(
        "Only images (PNG, JPEG, GIF, WebP), PDF and text files can be sent."
    )
    expect(page.locator(".hl-msg.hl-customer .hl-file")).to_have_count(0)
    expect(console.messages("customer").locator(".file")).to_have_count(0)


def test_the_conversations_view_shows_a_conversations_images(
    page: Page, console: Console, axe_source: str
) -> None:
    connected(page, console)
    attach(page.locator(".hl-panel input[type=file]"), "receipt.png", CUSTOMER_IMAGE)
    expect_loaded(console.messages("customer").locator("img.file-thumb"), 160)
    console.write("Your receipt quince-41 is fine")
    agent_page = conversations_page(console)

    search(agent_page, "quince-41")
    card = agent_page.locator("#cards .entry")
    expect(card).to_have_count(1)
    card.click()

    expect_loaded(agent_page.locator("#reader-log .msg.customer img.file-thumb"), 160)
    assert serious_findings(agent_page, axe_source) == []
