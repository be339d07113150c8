"""The header says who is talking: the bot, the queue (position, wait) or a named agent.

The server does not send `queue.position`, `agent.joined` or an agent's typing yet, so these
tests add those frames, in the documented format, to a real server connection.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser.widget_driver import Widget, relay_with_injection


def test_queue_position_and_wait_are_shown(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.talk.click()
    expect(widget.status).to_have_text("Waiting for a person")
    inject({"type": "queue.position", "position": 3, "eta_s": 240})
    expect(widget.status).to_have_text("Position 3 in line · about 4 min")


def test_agent_name_and_typing_are_shown(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    widget = Widget(page).goto("/?lang=en").open().greeted()
    inject({"type": "agent.joined", "name": "Mina"})
    expect(widget.status).to_have_text("Talking with Mina")
    inject({"type": "typing.start", "sender": "agent"})
    expect(page.locator(".hl-typing")).to_have_text("Mina is typing")
    inject({"type": "typing.stop", "sender": "agent"})
    expect(page.locator(".hl-typing")).to_be_hidden()
