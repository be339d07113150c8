"""Spike alerts in the console: a burst of customers (real websockets, from a browser page)
puts an alert in the banner, a supervisor attaches a notice from it that customers are then
told first, and lifts it; axe finds nothing serious, in English and Korean."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from browser.axe import serious_findings
from browser.conftest import RULES, run_server
from browser.console_driver import Console, add_agent

NOTICE = "We know about a plan change problem since 14:05 and are fixing it."
QUESTION = "change my plan"

# Customers on their own sockets, all at once; each resolves to the kinds of the bot's
# messages after the greeting, in order, up to and including the answer.
BURST_JS = """async ({count, text}) => {
  const one = (n) => new Promise((resolve, reject) => {
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws/customer');
    const said = [];
    ws.onopen = () => ws.send(JSON.stringify(
      {type: 'session.hello', token: null, last_seq: 0, lang: 'en'}));
    ws.onmessage = (ev) => {
      const f = JSON.parse(ev.data);
      if (f.type === 'session.ready') {
        ws.send(JSON.stringify({type: 'message.new', id: 'burst-' + n, text: text}));
      }
      if (f.type !== 'message.new' || f.sender !== 'bot' || f.kind === 'greeting') return;
      said.push({kind: f.kind, text: f.text});
      if (f.kind !== 'incident') { ws.close(); resolve(said); }
    };
    ws.onerror = () => reject(new Error('socket failed'));
  });
  return Promise.all(Array.from({length: count}, (_, n) => one(n)));
}"""


@pytest.fixture(scope="module")
def server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("alerts") / "helpline.db"


@pytest.fixture(scope="module")
def server(server_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    rules = tmp_path_factory.mktemp("alert-rules") / "rules"
    shutil.copytree(RULES, rules)
    with (rules / "config.yaml").open("a", encoding="utf-8") as config:
        config.write("\nalerts:\n  interval_s: 1  # every second: the burst shows at once\n")
    with run_server(server_db, rules=rules) as url:
        yield url


@pytest.fixture
def supervisor(agent_page: Page, server_db: Path) -> Console:
    boss = add_agent(server_db, "Sora", role="supervisor")
    return Console(agent_page).login(boss).set_presence("away")


def customers_ask(context: BrowserContext, count: int) -> list[list[dict[str, Any]]]:
    page = context.new_page()
    page.goto("/healthz")  # any page of the server's origin
    said: list[list[dict[str, Any]]] = page.evaluate(BURST_JS, {"count": count, "text": QUESTION})
    page.close()
    return said


def test_a_spike_shows_in_the_banner_and_a_notice_is_attached_from_it(
    supervisor: Console, context: BrowserContext, axe_source: str
) -> None:
    page = supervisor.page
    said = customers_ask(context, 6)
    assert [s[-1]["kind"] for s in said] == ["answer"] * 6
    alert = page.locator("#alerts [role=alert]")
    expect(alert).to_contain_text("Spike: change_plan since")
    expect(alert).to_contain_text("6 in the last 5 min (usually <1)")
    assert serious_findings(page, axe_source) == []

    page.get_by_role("button", name="Attach a notice").click()
    page.get_by_label("Notice (English)").fill(NOTICE)
    page.get_by_role("button", name="Post the notice").click()
    expect(page.locator("#alerts .standing")).to_have_text(
        f"Customers are told (change_plan): {NOTICE}"
    )
    assert serious_findings(page, axe_source) == []
    (told,) = customers_ask(context, 1)
    assert [m["kind"] for m in told] == ["incident", "answer"] and told[0]["text"] == NOTICE

    page.get_by_role("button", name="Lift the notice").click()
    expect(page.locator("#alerts .standing")).to_have_count(0)
    (answered,) = customers_ask(context, 1)
    assert [m["kind"] for m in answered] == ["answer"]


def test_the_banner_speaks_korean_and_the_notice_form_too(
    supervisor: Console, context: BrowserContext, axe_source: str
) -> None:
    page = supervisor.page
    customers_ask(context, 6)  # the spike of the test before may stand already: it is shown
    page.get_by_label("Language").select_option("ko")
    expect(page.locator("#alerts [role=alert]").first).to_contain_text("급증: change_plan 문의가")
    page.get_by_role("button", name="고객 안내 붙이기").click()
    expect(page.get_by_label("안내 (한국어)")).to_be_focused()
    assert serious_findings(page, axe_source) == []
