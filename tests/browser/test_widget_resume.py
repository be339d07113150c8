"""The conversation survives the real world: reloads, second tabs, network drops, lost acks."""

from __future__ import annotations

import json

from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from browser.widget_driver import Widget


def _answered(widget: Widget, question: str, answer: str) -> None:
    widget.say(question)
    expect(widget.bot_messages().filter(has_text=answer)).to_have_count(1)


def _assert_each_seq_once(widget: Widget, count: int) -> None:
    expect(widget.log.locator(".hl-msg[data-seq]")).to_have_count(count)
    assert widget.seqs() == list(range(1, count + 1))


def test_conversation_is_kept_across_a_reload(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    _answered(widget, "I forgot my password", "on the sign-in screen")
    page.reload()
    expect(widget.panel).to_be_visible()  # an open panel stays open in this tab
    _assert_each_seq_once(widget, 3)
    _answered(widget, "cancel my plan", "Cancel membership")
    _assert_each_seq_once(widget, 5)


def test_draft_is_kept_across_a_reload(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.input.fill("half a thou")
    page.reload()
    expect(widget.input).to_have_value("half a thou")


def test_second_tab_shows_and_follows_the_same_conversation(context: BrowserContext) -> None:
    first = Widget(context.new_page()).goto("/?lang=en").open().greeted()
    _answered(first, "I forgot my password", "on the sign-in screen")
    second = Widget(context.new_page()).goto("/?lang=en").open()
    _assert_each_seq_once(second, 3)
    _answered(second, "cancel my plan", "Cancel membership")
    expect(first.bot_messages().filter(has_text="Cancel membership")).to_have_count(1)
    _assert_each_seq_once(first, 5)


def test_replies_while_closed_raise_the_unread_badge(context: BrowserContext) -> None:
    watcher = Widget(context.new_page()).goto("/?lang=en").open().greeted()
    watcher.panel.page.keyboard.press("Escape")
    talker = Widget(context.new_page()).goto("/?lang=en").open()
    _answered(talker, "I forgot my password", "on the sign-in screen")
    expect(watcher.badge).to_have_text("1")
    expect(watcher.launcher).to_have_attribute("aria-label", "Open chat, 1 unread messages")
    watcher.launcher.click()
    expect(watcher.badge).to_be_hidden()


def test_message_written_offline_is_sent_once_after_reconnecting(
    context: BrowserContext, page: Page
) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    context.set_offline(True)
    expect(page.locator(".hl-banner")).to_be_visible()
    widget.say("I forgot my password")
    expect(widget.log.locator(".hl-pending")).to_have_count(1)
    context.set_offline(False)
    expect(widget.bot_messages().filter(has_text="on the sign-in screen")).to_have_count(1)
    expect(page.locator(".hl-banner")).to_be_hidden()
    expect(widget.log.locator(".hl-pending")).to_have_count(0)
    _assert_each_seq_once(widget, 3)


def test_resend_after_a_lost_ack_is_not_shown_twice(page: Page, server: str) -> None:
    """The server stored the message but the socket died before the ack: resend, show once."""
    sent: list[list[dict[str, object]]] = []  # frames from the page, per socket

    def drop_first_ack(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        frames: list[dict[str, object]] = []
        sent.append(frames)
        first = len(sent) == 1

        def to_server(message: str | bytes) -> None:
            frames.append(json.loads(message))
            upstream.send(message)

        def to_page(message: str | bytes) -> None:
            if first and '"message.ack"' in str(message):
                ws.close()  # the page never learns that its message was stored
                return
            ws.send(message)

        ws.on_message(to_server)
        upstream.on_message(to_page)

    page.route_web_socket(server.replace("http", "ws") + "/ws/customer", drop_first_ack)
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("I forgot my password")
    expect(widget.bot_messages().filter(has_text="on the sign-in screen")).to_have_count(1)
    _assert_each_seq_once(widget, 3)
    expect(widget.said()).to_have_text(["I forgot my password"])
    posted = [[f["id"] for f in frames if f["type"] == "message.new"] for frames in sent]
    assert len(posted) == 2 and posted[0] == posted[1]  # the same client id, sent again
