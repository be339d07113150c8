"""The widget shows the bot's answers: FAQ answers in both languages, buttons, feedback."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser.widget_driver import Widget, relay_with_injection


def test_faq_answer_is_shown_in_korean(page: Page) -> None:
    widget = Widget(page).goto("/").open().greeted()
    widget.say("비밀번호를 잊어버렸어요")
    answer = widget.bot_messages().filter(has_text="로그인 화면에서")
    expect(answer).to_have_count(1)
    expect(answer.locator("strong")).to_have_text("비밀번호를 잊으셨나요?")
    expect(widget.talk).to_have_text("상담원 연결")


def test_faq_answer_is_shown_in_english(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("I forgot my password")
    answer = widget.bot_messages().filter(has_text="on the sign-in screen")
    expect(answer).to_have_count(1)
    expect(widget.talk).to_have_text("Talk to a person")
    expect(widget.launcher).to_have_attribute("aria-label", "Open chat")


def test_answer_markdown_becomes_bold_list_and_a_new_tab_link(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("I forgot my password")
    answer = widget.bot_messages().filter(has_text="on the sign-in screen")
    expect(answer.locator("li")).to_have_text(["Enter your email", "Open the link we send"])
    link = answer.locator("a")
    expect(link).to_have_attribute("href", "https://help.streamflix.example/password")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")


def test_did_you_mean_buttons_answer_the_chosen_intent(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("plan")
    expect(widget.button("Change my plan")).to_be_visible()
    widget.button("Cancel my plan").click()
    expect(widget.said().last).to_have_text("Cancel my plan")
    expect(widget.bot_messages().filter(has_text="Cancel membership")).to_have_count(1)
    expect(widget.button("Change my plan")).to_be_hidden()


def test_did_you_mean_none_of_these_asks_again_and_offers_a_person(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("plan")
    widget.button("None of these").click()
    expect(widget.said().last).to_have_text("None of these")
    reply = widget.bot_messages().filter(has_text="Sorry, I guessed wrong")
    expect(reply.locator(".hl-choice")).to_have_text(["Talk to a person"])


def test_thumbs_down_on_an_answer_offers_a_person(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("I forgot my password")
    page.get_by_role("button", name="This did not help").click()
    expect(page.get_by_role("button", name="This did not help")).to_be_disabled()
    offer = widget.bot_messages().filter(has_text="Sorry that didn't help")
    expect(offer.locator(".hl-choice")).to_have_text(["Talk to a person"])


def test_thumbs_up_on_an_answer_is_thanked(page: Page) -> None:
    widget = Widget(page).goto("/?lang=en").open().greeted()
    widget.say("I forgot my password")
    page.get_by_role("button", name="This helped").click()
    expect(page.get_by_role("button", name="This helped")).to_have_attribute("aria-pressed", "true")
    expect(widget.bot_messages().filter(has_text="Glad that helped")).to_have_count(1)


def test_talk_to_a_person_hands_the_conversation_over(page: Page) -> None:
    widget = Widget(page).goto("/").open().greeted()
    widget.talk.click()
    expect(widget.said().last).to_have_text("상담원 연결")
    expect(widget.bot_messages().filter(has_text="상담원에게 연결해 드릴게요")).to_have_count(1)
    # no agent is signed in to this server: the desk says so (see test_widget_handoff.py)
    expect(widget.status).to_have_text("지금은 상담원이 없어요")
    expect(widget.talk).to_be_hidden()


def test_html_in_a_message_is_shown_as_text(page: Page) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    widget = Widget(page).goto("/?lang=en").open().greeted()
    attack = "<img src=x onerror=alert(1)>"
    widget.say(attack)
    expect(widget.said().last).to_have_text(attack)
    expect(widget.bot_messages()).to_have_count(2)  # greeting and the bot's reply to it
    assert widget.log.locator("img").count() == 0
    assert dialogs == []


def test_unsafe_links_and_tags_in_a_bot_message_stay_text(page: Page, server: str) -> None:
    inject = relay_with_injection(page, server)
    widget = Widget(page).goto("/?lang=en").open().greeted()
    text = "[click](javascript:alert(1)) <b>bold?</b> [ok](https://streamflix.example/)"
    inject({"type": "message.new", "seq": 99, "sender": "bot", "kind": "fallback", "text": text})
    shown = widget.bot_messages().last
    expect(shown).to_contain_text("[click](javascript:alert(1)) <b>bold?</b> ok")
    expect(shown.locator("a")).to_have_attribute("href", "https://streamflix.example/")
    assert shown.locator("b").count() == 0
