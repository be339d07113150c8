"""Another origin's page in the agent's own browser: a second local server on another port of
the same host (same site, so SameSite=Strict cookies go with its requests: the hard case).
It cannot open the agent socket, cannot POST with the agent's cookie, cannot read reports and
cannot frame the console; the widget embedded on another site's page still chats."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Response, expect

from browser.console_driver import PASSWORD, AgentAccount, Console, add_agent
from browser.widget_driver import Widget

# Each page of the foreign site, given the Helpline server's URL.
PAGES = {
    "/blank.html": "<!doctype html><html lang='en'><title>elsewhere</title><p>elsewhere</p>",
    "/forms.html": """<!doctype html><html lang="en"><title>forms</title>
<form id="login" method="post" enctype="text/plain" action="{server}/api/agent/login">
<input name='{{"email":"{email}","password":"{password}","x":"' value='"}}'></form>
<form id="logout" method="post" enctype="text/plain" action="{server}/api/agent/logout">
<input name="x" value="y"></form>
<form id="dismiss" method="post" enctype="text/plain"
 action="{server}/api/inbox/c1/dismiss"><input name="x" value="y"></form>""",
    "/frame.html": """<!doctype html><html lang="en"><title>frame</title>
<iframe id="own" title="own" src="/blank.html"></iframe>
<iframe id="victim" title="victim" src="{server}/console"></iframe>""",
    "/shop.html": """<!doctype html><html lang="en"><title>A shop</title>
<h1>A shop on another site</h1>
<script src="{server}/widget.js" data-lang="en" async></script>""",
}

OPEN_SOCKET = """url => new Promise(resolve => {
    const ws = new WebSocket(url);
    ws.onmessage = e => { resolve('message:' + JSON.parse(e.data).type); ws.close(); };
    ws.onclose = e => resolve('closed:' + e.code);
})"""


@pytest.fixture(scope="module")
def attacker(server_db: Any) -> AgentAccount:
    """The attacker's own account, whose session a login-CSRF would plant on the victim."""
    return add_agent(server_db, "Mallory")


@pytest.fixture(scope="module")
def foreign(server: str, attacker: AgentAccount) -> Iterator[str]:
    """The foreign site's base URL: a plain HTTP server on another port."""
    values = {"server": server, "email": attacker.email, "password": PASSWORD}
    pages = {path: body.format(**values).encode() for path, body in PAGES.items()}

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()


def refused(page: Page, path: str, submit: str) -> Response:
    """The server's answer to a form the foreign page submits (the page navigates to it:
    a framed answer would be hidden by the API's X-Frame-Options)."""
    with page.expect_response(lambda r: r.url.endswith(path) and r.request.method == "POST") as r:
        page.evaluate("id => setTimeout(() => document.getElementById(id).submit())", submit)
    return r.value


def signed_in(page: Page) -> int:
    """The status of /api/agent/me from the console's own origin (200: signed in)."""
    return int(page.evaluate("() => fetch('/api/agent/me').then(r => r.status)"))


def test_a_foreign_page_cannot_open_the_agent_socket_with_the_agents_cookie(
    console: Console, agent_context: BrowserContext, server: str, foreign: str
) -> None:
    url = server.replace("http", "ws") + "/ws/agent"
    own = console.page.evaluate(OPEN_SOCKET, url)  # the console's origin: the cookie works
    evil = agent_context.new_page()
    evil.goto(foreign + "/blank.html")

    hijack = evil.evaluate(OPEN_SOCKET, url)

    assert own == "message:agent.ready"
    assert hijack.startswith("closed:")  # refused before the upgrade (403), so no frame
    evil.close()


@pytest.mark.parametrize(
    "form, path", [("logout", "/api/agent/logout"), ("dismiss", "/api/inbox/c1/dismiss")]
)
def test_a_foreign_form_cannot_post_with_the_agents_cookie(
    console: Console, agent_context: BrowserContext, foreign: str, form: str, path: str
) -> None:
    evil = agent_context.new_page()
    evil.goto(foreign + "/forms.html")

    answer = refused(evil, path, form)

    assert answer.status == 403 and answer.json()["error"] == "bad_origin"
    assert signed_in(console.page) == 200  # the logout form did not end the session
    evil.close()


READ = "url => fetch(url, {credentials: 'include'}).then(r => 'read', e => 'refused')"


def test_a_foreign_page_cannot_read_the_reports(
    console: Console, agent_context: BrowserContext, server: str, foreign: str
) -> None:
    own = console.page.evaluate(READ, server + "/api/reports")  # any status is read here
    evil = agent_context.new_page()
    evil.goto(foreign + "/blank.html")

    with evil.expect_request(lambda r: "/api/reports" in r.url):  # it was sent, cookie and all
        outcome = evil.evaluate(READ, server + "/api/reports")

    assert own == "read" and outcome == "refused"
    evil.close()


def test_a_foreign_text_plain_form_cannot_sign_the_victim_into_the_attackers_account(
    context: BrowserContext, foreign: str
) -> None:
    evil = context.new_page()
    evil.goto(foreign + "/forms.html")

    answer = refused(evil, "/api/agent/login", "login")
    victim = context.new_page()
    victim.goto("/console")

    assert answer.status == 403 and answer.json()["error"] == "bad_origin"
    assert signed_in(victim) == 401
    expect(victim.locator("#login-view")).to_be_visible()


def test_a_foreign_page_cannot_frame_the_console(
    console: Console, agent_context: BrowserContext, foreign: str
) -> None:
    evil = agent_context.new_page()
    with evil.expect_response(lambda r: r.url.endswith("/console")) as framed:
        evil.goto(foreign + "/frame.html")
    own = evil.frame_locator("#own").locator("p")
    expect(own).to_have_text("elsewhere")  # a frame the page may have shows its content

    headers = framed.value.headers
    shown = [f for f in evil.frames if f.url.endswith("/console")]

    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert all(f.locator("#login, #desk").count() == 0 for f in shown)
    evil.close()


def test_the_widget_embedded_on_another_sites_page_still_chats(page: Page, foreign: str) -> None:
    widget = Widget(page).goto(foreign + "/shop.html").open().greeted()

    widget.say("I forgot my password")

    expect(widget.bot_messages().last).to_contain_text("Forgot password?")
