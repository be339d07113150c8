"""The unanswered inbox page in Chromium: customers' messages the bot could not answer (over
the real websocket) shown in clusters; an author adds one to an intent and the next customer
who writes it gets that intent's answer; dismissing; agents' answers as drafts; Korean; axe.

The server runs on a copy of tests/browser/rules, which the inbox writes to."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from browser.axe import serious_findings
from browser.conftest import RULES, run_server
from browser.console_driver import Console, add_agent, connected
from browser.inbox_driver import Inbox, ask_once, close_widget

CHEAPER = [
    "is there a cheaper plan",
    "is there any cheaper plan?",
    "is there a cheaper plan available",
]
CHANGE_PLAN_ANSWER = "You can change your plan under Account > Plan"


@pytest.fixture(scope="module")
def rules_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("inbox") / "rules"
    shutil.copytree(RULES, copy)
    return copy


@pytest.fixture(scope="module")
def server_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inbox-db") / "helpline.db"


@pytest.fixture(scope="module")
def server(server_db: Path, rules_copy: Path) -> Iterator[str]:
    with run_server(server_db, rules=rules_copy) as url:
        yield url


@pytest.fixture(scope="module")
def repository_rules() -> Iterator[None]:
    """The repository's rules are never what the inbox writes to."""
    before = {p: p.read_bytes() for p in RULES.rglob("*") if p.is_file()}
    yield
    assert {p: p.read_bytes() for p in RULES.rglob("*") if p.is_file()} == before


@pytest.fixture
def author_context(browser: Browser, server: str) -> Iterator[BrowserContext]:
    context = browser.new_context(
        base_url=server, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield context
    context.close()


@pytest.fixture
def inbox(author_context: BrowserContext, server_db: Path, repository_rules: None) -> Inbox:
    author = add_agent(server_db, "Hana", role="author")
    return Inbox(author_context.new_page()).login(author)


def test_an_added_cluster_is_answered_the_next_time_a_customer_writes_it(
    browser: Browser, server: str, author_context: BrowserContext, server_db: Path,
    rules_copy: Path, repository_rules: None,
) -> None:  # fmt: skip
    for text in CHEAPER:
        close_widget(ask_once(browser, server, text))
    inbox = Inbox(author_context.new_page()).login(add_agent(server_db, "Hana", role="author"))
    card = inbox.cluster(CHEAPER[0])
    expect(card.locator(".badge.size")).to_have_text("3 messages")
    expect(card.locator(".badge.flag")).to_have_text("fallback")
    expect(card.locator(".badge", has_text="nearest intent")).to_contain_text("change_plan")
    expect(card.locator(".message-list label")).to_have_text(CHEAPER)
    expect(card.get_by_role("combobox", name="Intent to add to")).to_have_value("change_plan")

    card.get_by_role("button", name="Add all 3 messages").click()

    expect(inbox.result).to_have_text(
        "Added to change_plan (help.yaml) as new examples: 3. Rules reloaded: the bot now"
        " answers 3 of the 3 in this cluster."
    )
    expect(inbox.result).to_be_focused()
    expect(card).to_have_count(0)
    written = (rules_copy / "intents" / "help.yaml").read_text(encoding="utf-8")
    assert all(f'"{text}"' in written for text in CHEAPER)
    widget = ask_once(browser, server, "is there a cheaper plan")
    expect(widget.bot_messages().last).to_contain_text(CHANGE_PLAN_ANSWER)
    close_widget(widget)


def test_single_ticked_messages_are_added_and_the_rest_stay(
    browser: Browser, server: str, inbox: Inbox
) -> None:
    texts = ["how do i stream in 4k", "can i stream in 4k", "is 4k streaming possible"]
    for text in texts:
        close_widget(ask_once(browser, server, text))
    inbox.refresh()
    card = inbox.cluster(texts[0])
    expect(card.locator(".badge.size")).to_have_text("3 messages")
    card.get_by_role("checkbox", name=texts[1]).check()
    card.get_by_role("combobox", name="Intent to add to").fill("change_plan")

    card.get_by_role("button", name="Add the ticked messages").click()

    expect(inbox.result).to_contain_text("Added to change_plan (help.yaml) as new examples: 1.")
    rest = inbox.clusters.locator("li.cluster", has_text=texts[0])
    expect(rest.locator(".message-list label")).to_have_text([texts[0], texts[2]])


def test_an_unknown_intent_is_refused_in_the_card_and_the_choice_is_kept(
    browser: Browser, server: str, inbox: Inbox, rules_copy: Path
) -> None:
    close_widget(ask_once(browser, server, "where is my parcel"))
    inbox.refresh()
    card = inbox.cluster("where is my parcel")
    before = (rules_copy / "intents" / "help.yaml").read_text(encoding="utf-8")
    card.get_by_role("checkbox", name="where is my parcel").check()
    card.get_by_role("combobox", name="Intent to add to").fill("parcel_tracking")

    card.get_by_role("button", name="Add the message").click()

    expect(card.get_by_role("alert")).to_have_text(
        'There is no intent "parcel_tracking". Pick one from the list.'
    )
    expect(card.get_by_role("combobox", name="Intent to add to")).to_have_value("parcel_tracking")
    expect(card.get_by_role("checkbox", name="where is my parcel")).to_be_checked()
    assert (rules_copy / "intents" / "help.yaml").read_text(encoding="utf-8") == before


def test_a_write_the_server_refuses_shows_why_and_keeps_the_choice(
    browser: Browser, server: str, inbox: Inbox
) -> None:
    close_widget(ask_once(browser, server, "my smart tv shows error 5003"))
    inbox.refresh()
    card = inbox.cluster("my smart tv shows error 5003")
    inbox.page.route(  # the store refuses, as a database gone away would
        "**/api/inbox/*/add",
        lambda route: route.fulfill(
            status=503, content_type="application/json",
            body='{"error": "store_unavailable", "message": "the database is unavailable"}',
        ),
    )  # fmt: skip
    card.get_by_role("combobox", name="Intent to add to").fill("forgot_password")

    card.get_by_role("button", name="Add the message").click()

    expect(card.get_by_role("alert")).to_have_text(
        "That did not work: the database is unavailable Your choices are kept."
    )
    expect(card.get_by_role("combobox", name="Intent to add to")).to_have_value("forgot_password")
    expect(card.get_by_role("button", name="Add the message")).to_be_enabled()


def test_a_cluster_is_added_with_the_keyboard_alone(
    browser: Browser, server: str, inbox: Inbox
) -> None:
    close_widget(ask_once(browser, server, "can i watch on two tvs at once"))
    inbox.refresh()
    card = inbox.cluster("can i watch on two tvs at once")
    intent = card.get_by_role("combobox", name="Intent to add to")
    intent.focus()
    intent.press("Control+A")
    intent.press_sequentially("change_plan")
    intent.press("Tab")
    expect(card.get_by_role("button", name="Add the message")).to_be_focused()

    inbox.page.keyboard.press("Enter")

    expect(inbox.result).to_contain_text("Added to change_plan (help.yaml) as new examples: 1.")
    expect(inbox.result).to_be_focused()


def test_a_dismissed_cluster_leaves_the_inbox(browser: Browser, server: str, inbox: Inbox) -> None:
    close_widget(ask_once(browser, server, "can i pay with bitcoin"))
    inbox.refresh()
    card = inbox.cluster("can i pay with bitcoin")

    card.get_by_role("button", name="Dismiss").click()

    expect(inbox.result).to_have_text("Dismissed the message. It will not come back.")
    expect(card).to_have_count(0)
    inbox.page.reload()
    expect(inbox.page.locator("#inbox-summary")).to_be_visible()
    expect(inbox.cluster("can i pay with bitcoin")).to_have_count(0)


def test_the_inbox_speaks_korean(browser: Browser, server: str, inbox: Inbox) -> None:
    close_widget(ask_once(browser, server, "비트코인으로 결제돼요?", lang="ko"))
    inbox.refresh()

    inbox.page.locator("#lang").select_option("ko")

    page = inbox.page
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("tab", name="미응답")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="상담원 답변에서 배우기")).to_be_visible()
    card = inbox.cluster("비트코인으로 결제돼요?")
    expect(card.locator(".badge.size")).to_have_text("메시지 1개")
    expect(card.locator(".badge.flag")).to_have_text("이해 못 함")
    expect(card.locator(".badge", has_text="가까운 의도")).to_have_text("가까운 의도 없음")
    expect(card.get_by_role("button", name="메시지 1개 모두 추가")).to_be_visible()
    expect(card.get_by_role("button", name="제외")).to_be_visible()
    expect(card.get_by_role("combobox", name="추가할 의도")).to_have_value("")


def answered_by_agent(page: Page, console: Console, question: str, answer: str) -> None:
    """A customer asks for a person, asks them `question`; the agent answers and closes."""
    widget, _ = connected(page, console, None)
    widget.say(question)
    expect(console.messages("customer").last).to_contain_text(question)
    console.write(answer)
    expect(widget.log.locator(".hl-msg.hl-agent")).to_have_count(1)
    console.page.locator("#close-open").click()
    console.page.get_by_role("button", name="Close the conversation").click()
    expect(console.title).to_be_hidden()


def learn_tab(inbox: Inbox) -> None:
    inbox.refresh()
    inbox.page.get_by_role("tab", name="Unanswered").press("ArrowRight")  # the tabs' keys
    tab = inbox.page.get_by_role("tab", name="Learn from agents")
    expect(tab).to_be_focused()
    expect(tab).to_have_attribute("aria-selected", "true")


def test_agents_answers_are_offered_as_a_draft_to_copy_or_download(
    page: Page, console: Console, inbox: Inbox
) -> None:
    answer = "Downloads expire after **48 hours** offline; open the app online to renew."
    answered_by_agent(page, console, "my downloads vanish after a day", answer)
    learn_tab(inbox)
    draft = inbox.draft("my downloads vanish after a day")
    expect(draft.locator(".pair .a")).to_contain_text("Downloads expire after 48 hours")
    draft.get_by_role("textbox", name="New intent name").fill("download_expiry")

    draft.get_by_role("button", name="Copy YAML").click()

    expect(inbox.answers_result).to_have_text("Copied to the clipboard.")
    copied = inbox.page.evaluate("() => navigator.clipboard.readText()")
    assert copied == (
        "  - name: download_expiry\n"
        "    category: general\n"
        "    examples:\n"
        '      en: ["my downloads vanish after a day"]\n'
        "      ko: []\n"
        "    answer:\n"
        f'      en: "{answer}"\n'
        '      ko: ""  # write the Korean answer\n'
    )
    with inbox.page.expect_download() as downloaded:
        draft.get_by_role("button", name="Download YAML").click()
    assert downloaded.value.suggested_filename == "download_expiry.yaml"
    assert Path(downloaded.value.path()).read_text(encoding="utf-8") == "intents:\n" + copied


def test_an_agents_answer_made_an_intent_answers_the_next_customer(
    browser: Browser, server: str, page: Page, console: Console, inbox: Inbox
) -> None:
    question = "the app logs me out every hour"
    answer = "Turn off **battery saver** for StreamFlix; it ends sessions in the background."
    answered_by_agent(page, console, question, answer)
    learn_tab(inbox)
    draft = inbox.draft(question)
    draft.get_by_role("textbox", name="New intent name").fill("logged_out_often")

    draft.get_by_role("button", name="Add as a new intent").click()  # no Korean yet

    expect(draft.get_by_role("alert")).to_contain_text("no examples in 'ko'")
    expect(draft.get_by_role("textbox", name="New intent name")).to_have_value("logged_out_often")
    korean = draft.get_by_role("group", name="Korean")
    korean.get_by_role("textbox", name="Examples (one a line)").fill(
        "앱이 자꾸 로그아웃돼요\n한 시간마다 로그아웃돼요"
    )
    korean.get_by_role("textbox", name="Answer").fill(
        "StreamFlix의 **배터리 절약**을 꺼 주세요. 백그라운드에서 세션이 끝나요."
    )
    draft.get_by_role("button", name="Add as a new intent").click()

    expect(inbox.answers_result).to_have_text(
        "Added the intent logged_out_often to help.yaml and reloaded the rules."
        " The bot now answers 3 of its 3 examples."
    )
    expect(inbox.answers_result).to_be_focused()
    widget = ask_once(browser, server, question)
    expect(widget.bot_messages().last).to_contain_text("Turn off battery saver for StreamFlix")
    close_widget(widget)


def test_axe_finds_nothing_serious_on_either_tab(
    browser: Browser, server: str, inbox: Inbox, axe_source: str
) -> None:
    close_widget(ask_once(browser, server, "do you sell gift cards"))
    inbox.refresh()
    expect(inbox.cluster("do you sell gift cards")).to_be_visible()
    assert serious_findings(inbox.page, axe_source) == []
    inbox.screenshot("inbox-en.png")  # the README's: several clusters by now
    inbox.page.get_by_role("tab", name="Learn from agents").click()
    assert serious_findings(inbox.page, axe_source) == []
    inbox.page.locator("#lang").select_option("ko")
    assert serious_findings(inbox.page, axe_source) == []


def test_the_console_links_to_the_inbox_for_authors_only(
    agent_page: Page, server: str, server_db: Path
) -> None:
    console = Console(agent_page).login(add_agent(server_db, "Jun"))
    expect(console.page.locator("#inbox-link")).to_be_hidden()  # an agent
    console.page.get_by_role("button", name="Log out").click()
    supervisor = add_agent(server_db, "Sora", role="supervisor")
    console.login(supervisor)

    console.page.get_by_role("link", name="Unanswered inbox").click()

    expect(console.page).to_have_url(f"{server}/console/inbox")
    expect(console.page.locator("#agent-name")).to_have_text("Sora")


def test_an_author_signing_in_at_the_console_is_sent_to_the_inbox(
    page: Page, server: str, server_db: Path
) -> None:
    author = add_agent(server_db, "Yuna", role="author")
    Console(page).goto().sign_in(author.email, author.password)

    expect(page).to_have_url(f"{server}/console/inbox")
    expect(page.get_by_role("tab", name="Unanswered")).to_be_visible()


def test_an_agent_is_told_the_inbox_is_for_authors(page: Page, server_db: Path) -> None:
    agent = add_agent(server_db, "Min")
    Inbox(page).login(agent)

    expect(page.get_by_text("This page is for authors and supervisors.")).to_be_visible()
    expect(page.get_by_role("tab", name="Unanswered")).to_be_hidden()
