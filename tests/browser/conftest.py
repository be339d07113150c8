"""Browser fixtures: a real `helpline serve` process, Debian's Chromium driven by Playwright.

- `server`: base URL of a `helpline serve` subprocess (tests/browser/rules, a tmp SQLite file).
- `server_db`: that SQLite file (agents are added to it with `helpline agent add`).
- `own_server` / `own_server_db`: the same, one per module, for modules where customers meet
  agents: they override `server` and `server_db` with these, so conversations other modules
  left waiting are never offered to their agents. It has a privacy desk nobody staffs.
- `agent` / `console`: a new agent account, signed in to the console in its own browser.
- `browser`: headless Chromium (/usr/bin/chromium), one per test module.
- `context` / `page`: a fresh browser context (own localStorage) per test; `phone_page` at 360 px.
- `axe_source`: the axe-core script, installed by scripts/install-browser.sh when missing.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from browser.console_driver import AGENT_NAME, AgentAccount, Console, add_agent
from browser.widget_driver import IDENTITY_SECRET

REPO = Path(__file__).resolve().parents[2]
RULES = Path(__file__).resolve().parent / "rules"
CHROMIUM = "/usr/bin/chromium"
AXE_DIR = Path(
    os.environ.get("HELPLINE_AXE_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "helpline" / "axe"
)
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
START_TIMEOUT_S = 30.0
WAIT_MS = 10_000  # upper bound for one expectation; normally milliseconds
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Chromium and axe-core, installed on first use (a fresh machine has neither)."""
    if Path(CHROMIUM).exists() and AXE_JS.exists():
        return
    subprocess.run(["bash", str(REPO / "scripts" / "install-browser.sh")], check=True)


@pytest.fixture(scope="session")
def axe_source(browser_tools: None) -> str:
    return AXE_JS.read_text(encoding="utf-8")


def _read_lines(stream: Iterable[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)
    lines.put("")  # end of output: the process has exited


@pytest.fixture(scope="session")
def server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("browser") / "helpline.db"


@pytest.fixture(scope="session")
def server(server_db: Path) -> Iterator[str]:
    with run_server(server_db) as url:
        yield url


# An SMTP server nobody listens on: the desk offers email (the widget's form) as it does
# where one is set up; what it would send stays in the outbox, retried.
SMTP_ENV = {
    "HELPLINE_SMTP_HOST": "127.0.0.1", "HELPLINE_SMTP_PORT": "9",
    "HELPLINE_SMTP_SECURITY": "none", "HELPLINE_SMTP_FROM": "desk@streamflix.example",
}  # fmt: skip


@contextlib.contextmanager
def run_server(db: Path, smtp: bool = True, rules: Path = RULES) -> Iterator[str]:
    """A real server process on a free port; ready when it prints the URL it listens on.

    Customer identities signed with IDENTITY_SECRET are trusted (see widget_driver.identify).
    Without `smtp` the server has no SMTP server set up, so it never offers email."""
    command = [
        sys.executable, "-m", "helpline", "serve", "--host", "127.0.0.1", "--port", "0",
        "--rules", str(rules), "--db", str(db), "--widget-dir", str(REPO / "web_widget"),
    ]  # fmt: skip
    env = {**os.environ, "HELPLINE_IDENTITY_SECRET": IDENTITY_SECRET}
    env = {k: v for k, v in env.items() if not k.startswith("HELPLINE_SMTP_")}
    env.update(SMTP_ENV if smtp else {})
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    try:
        url = _wait_for_url(lines)
        with urllib.request.urlopen(url + "healthz", timeout=5) as response:
            assert response.status == 200
        yield url.rstrip("/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        assert proc.stdout is not None
        proc.stdout.close()


def _wait_for_url(lines: queue.Queue[str]) -> str:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            raise RuntimeError("helpline serve did not start:\n" + "".join(seen)) from None
        if not line:
            raise RuntimeError("helpline serve exited:\n" + "".join(seen))
        seen.append(line)
        found = re.search(r"running at (http://\S+/)", line)
        if found:
            return found.group(1)


# Module scope, not session: while the sync API is alive it marks an event loop as running
# in this thread, which would break the asyncio tests that run after these modules.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright, browser_tools: None) -> Iterator[Browser]:
    chromium = shutil.which("chromium") or CHROMIUM
    browser = playwright.chromium.launch(
        executable_path=chromium, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def phone_page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server,
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def agent_context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    """A second browser, for the agent, beside the customer's `context`."""
    context = browser.new_context(
        base_url=server, viewport={"width": 1440, "height": 900}, locale="en-US"
    )
    yield context
    context.close()


@pytest.fixture
def agent_page(agent_context: BrowserContext) -> Page:
    return agent_context.new_page()


@pytest.fixture(scope="module")
def own_server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("own") / "helpline.db"
    add_agent(db, "Privacy", teams="privacy")  # makes the team exist; never signs in
    return db


@pytest.fixture(scope="module")
def own_server(own_server_db: Path) -> Iterator[str]:
    with run_server(own_server_db) as url:
        yield url


@pytest.fixture
def agent(server_db: Path) -> AgentAccount:
    return add_agent(server_db, AGENT_NAME)


@pytest.fixture
def console(agent_page: Page, agent: AgentAccount) -> Iterator[Console]:
    """Signed in and online; set away afterwards so later tests' customers are not offered
    to an agent whose browser has gone."""
    console = Console(agent_page).login(agent)
    console.wait_presence("online")
    yield console
    console.set_presence("away")
