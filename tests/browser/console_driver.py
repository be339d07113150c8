"""Browser-test helpers for the agent console: accounts made with `helpline agent add`, and a
handle on the console page as an agent sees it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from browser.widget_driver import SCREENSHOTS, Widget

REPO = Path(__file__).resolve().parents[2]
AGENT_NAME = "Mina"  # the `console` fixture's agent
PASSWORD = "plum-Orbit-42-lantern"  # passes the account command's strength check


@dataclass(frozen=True)
class AgentAccount:
    id: str
    email: str
    name: str
    password: str
    role: str


def add_agent(
    db: Path, name: str, *, teams: str = "general", role: str = "agent", capacity: int = 3
) -> AgentAccount:
    """A new account in the server's database, made the way an operator makes one."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@streamflix.example"
    command = [
        sys.executable, "-m", "helpline", "agent", "add", "--email", email, "--name", name,
        "--teams", teams, "--role", role, "--capacity", str(capacity), "--password-stdin",
        "--db", str(db),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO, input=PASSWORD + "\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return AgentAccount(done.stdout.strip(), email, name, PASSWORD, role)


class Console:
    """The console page; ids are the page's own (no shadow root here)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.login_form = page.locator("#login")
        self.login_error = page.locator("#login-error")
        self.desk = page.locator("#desk")
        self.agent_name = page.locator("#agent-name")
        self.queue = page.locator("#queue")
        self.mine = page.locator("#mine")
        self.transcript = page.locator("#transcript")
        self.text = page.locator("#text")
        self.canned = page.locator("#canned")
        self.title = page.locator("#conv-title")

    def goto(self) -> Console:
        self.page.goto("/console")
        expect(self.page.locator("#login-view:visible, #desk:visible")).to_have_count(1)
        return self

    def sign_in(self, email: str, password: str) -> Console:
        self.page.locator("#email").fill(email)
        self.page.locator("#password").fill(password)
        self.login_form.locator("button[type=submit]").click()
        return self

    def login(self, account: AgentAccount) -> Console:
        self.goto().sign_in(account.email, account.password)
        expect(self.agent_name).to_have_text(account.name)
        return self

    def wait_presence(self, status: str) -> Console:
        """Until the server has confirmed this presence (agent.ready / presence.changed)."""
        expect(self.page.locator("#who")).to_have_attribute("data-presence", status)
        return self

    def set_presence(self, status: str) -> Console:
        self.page.locator("#presence").select_option(status)
        return self.wait_presence(status)

    def queue_entry(self, customer: str) -> Locator:
        return self.queue.locator(".entry", has_text=customer)

    def accept(self, customer: str) -> Console:
        self.queue_entry(customer).locator("button.accept, button.claim").click()
        expect(self.title).to_have_text(customer)
        return self

    def write(self, text: str) -> Console:
        self.text.fill(text)
        self.text.press("Enter")
        return self

    def messages(self, sender: str) -> Locator:
        return self.transcript.locator(f".msg.{sender}")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path))
        return path


def customer(page: Page, lang: str = "en") -> tuple[Widget, str]:
    """The widget open for a new customer signed in on the host site (so agents see a name)."""
    name = f"Kim {uuid.uuid4().hex[:6]}"
    widget = Widget(page).goto(f"/?lang={lang}")
    widget.identify(f"cust-{uuid.uuid4().hex[:10]}", name)
    return widget.open().greeted(), name


def escalated(page: Page, question: str | None = None, lang: str = "en") -> tuple[Widget, str]:
    """A customer who asked for a person (after the bot answered `question`, if given)."""
    widget, name = customer(page, lang)
    if question:
        widget.say(question)
        expect(widget.log.locator(".hl-rate")).to_have_count(1)  # the bot's answer
    widget.talk.click()
    return widget, name


def connected(
    page: Page, console: Console, question: str | None = None, lang: str = "en"
) -> tuple[Widget, str]:
    """A customer the console's agent has accepted, and their name."""
    widget, name = escalated(page, question, lang)
    console.accept(name)
    expect(widget.status).to_have_text(
        f"{AGENT_NAME} 상담원과 대화 중" if lang == "ko" else f"Talking with {AGENT_NAME}"
    )
    return widget, name
