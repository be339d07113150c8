"""Agents sign in to the console at /console, switch its language and sign out."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from browser.console_driver import Console, add_agent


# Its own server: agents signed in here stay online for a grace period after their browser
# closes, which must not change what other modules' customers are told.
@pytest.fixture(scope="module")
def server_db(own_server_db: Path) -> Path:
    return own_server_db


@pytest.fixture(scope="module")
def server(own_server: str) -> str:
    return own_server


def test_console_asks_an_agent_to_sign_in(agent_page: Page) -> None:
    console = Console(agent_page).goto()
    expect(console.login_form).to_be_visible()
    expect(console.desk).to_be_hidden()


def test_wrong_password_is_refused_with_a_message(agent_page: Page, server_db: Path) -> None:
    account = add_agent(server_db, "Mina")
    console = Console(agent_page).goto().sign_in(account.email, "not-the-password")
    expect(console.login_error).to_have_text("Wrong email or password.")
    expect(console.desk).to_be_hidden()


def test_signed_in_agent_sees_name_queue_and_own_list(agent_page: Page, server_db: Path) -> None:
    account = add_agent(server_db, "Joon")
    console = Console(agent_page).login(account)
    expect(console.desk).to_be_visible()
    expect(agent_page.get_by_role("heading", name="Queue")).to_be_visible()
    expect(agent_page.get_by_role("heading", name="My conversations")).to_be_visible()


def test_session_cookie_is_http_only(agent_page: Page, server_db: Path) -> None:
    Console(agent_page).login(add_agent(server_db, "Hana"))
    cookies = {c["name"]: c for c in agent_page.context.cookies()}
    assert cookies["helpline_agent"]["httpOnly"] is True
    assert agent_page.evaluate("document.cookie") == ""


def test_reload_keeps_the_agent_signed_in(agent_page: Page, server_db: Path) -> None:
    account = add_agent(server_db, "Seo")
    console = Console(agent_page).login(account)
    agent_page.reload()
    expect(console.agent_name).to_have_text(account.name)


def test_a_status_chosen_while_the_desk_connects_is_kept(
    agent_page: Page, server: str, server_db: Path
) -> None:
    # The desk's socket is refused until the agent has chosen Away: the choice is made
    # while no socket is open, and must reach the server once one is.
    connected = False

    def hold_until_chosen(ws: WebSocketRoute) -> None:
        if connected:
            ws.connect_to_server()
        else:
            ws.close()

    agent_page.route_web_socket(server.replace("http", "ws") + "/ws/agent", hold_until_chosen)
    console = Console(agent_page).login(add_agent(server_db, "Yuna"))
    agent_page.locator("#presence").select_option("away")
    connected = True
    console.wait_presence("away")


def test_log_out_returns_to_the_sign_in_form(agent_page: Page, server_db: Path) -> None:
    console = Console(agent_page).login(add_agent(server_db, "Dae"))
    agent_page.get_by_role("button", name="Log out").click()
    expect(console.login_form).to_be_visible()
    status = agent_page.evaluate("fetch('/api/agent/me').then(r => r.status)")
    assert status == 401


def test_language_follows_the_browser(browser: Browser, server: str) -> None:
    context = browser.new_context(base_url=server, locale="ko-KR")
    try:
        page = context.new_page()
        Console(page).goto()
        expect(page.get_by_role("heading", name="상담원 로그인")).to_be_visible()
        assert page.evaluate("document.documentElement.lang") == "ko"
    finally:
        context.close()


def test_language_switch_changes_the_interface_and_is_kept(agent_page: Page) -> None:
    Console(agent_page).goto()
    agent_page.get_by_label("Language").select_option("ko")
    expect(agent_page.get_by_role("heading", name="상담원 로그인")).to_be_visible()
    agent_page.reload()
    expect(agent_page.get_by_role("heading", name="상담원 로그인")).to_be_visible()
