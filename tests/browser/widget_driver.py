"""Browser-test helpers: a handle on the widget as a customer sees it, and a frame relay."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from helpline.identity import sign_attributed_identity, sign_identity

IDENTITY_SECRET = "browser-tests-identity-secret"  # the host site's HMAC key in these tests
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


class Widget:
    """The widget as a customer sees it; locators pierce its (open) shadow root."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(".hl-launcher")
        self.panel = page.locator(".hl-panel")
        self.log = page.locator(".hl-log")
        self.input = page.locator(".hl-input")
        self.status = page.locator(".hl-sub")
        self.badge = page.locator(".hl-badge")
        self.talk = page.locator(".hl-talk")

    def goto(self, path: str = "/") -> Widget:
        self.page.goto(path)
        expect(self.launcher).to_be_visible()
        return self

    def open(self) -> Widget:
        self.launcher.click()
        expect(self.panel).to_be_visible()
        return self

    def identify(
        self, customer_id: str, name: str, email: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> Widget:  # fmt: skip
        """Helpline.identify with a valid signature, as the host site's server makes one."""
        if attributes is None:
            signature = sign_identity(IDENTITY_SECRET, customer_id, name, email)
        else:
            signature = sign_attributed_identity(
                IDENTITY_SECRET, customer_id, name, email, attributes
            )
        who: dict[str, Any] = {
            "id": customer_id,
            "name": name,
            "email": email,
            "signature": signature,
        }
        if attributes is not None:
            who["attributes"] = attributes
        self.page.evaluate("who => Helpline.identify(who)", who)
        return self

    def bot_messages(self) -> Locator:
        return self.log.locator(".hl-msg.hl-bot")

    def customer_messages(self) -> Locator:
        return self.log.locator(".hl-msg.hl-customer")

    def said(self) -> Locator:
        """The customer's message bubbles (without the screen-reader sender prefix)."""
        return self.log.locator(".hl-msg.hl-customer .hl-bubble")

    def greeted(self) -> Widget:
        expect(self.bot_messages().first).to_be_visible()
        return self

    def say(self, text: str) -> Widget:
        self.input.fill(text)
        self.input.press("Enter")
        return self

    def button(self, label: str) -> Locator:
        return self.log.locator(".hl-choice", has_text=label)

    def seqs(self) -> list[int]:
        values = self.log.locator(".hl-msg").evaluate_all(
            "nodes => nodes.map(n => n.dataset.seq).filter(Boolean).map(Number)"
        )
        return [int(v) for v in values]

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path))
        return path


def relay_with_injection(page: Page, server: str) -> Callable[[dict[str, object]], None]:
    """Connects the page to the real server and returns a way to add server frames."""
    routes: list[WebSocketRoute] = []

    def relay(ws: WebSocketRoute) -> None:
        ws.connect_to_server()
        routes.append(ws)

    page.route_web_socket(server.replace("http", "ws") + "/ws/customer", relay)
    return lambda frame: routes[-1].send(json.dumps(frame))
