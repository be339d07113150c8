"""The customer websocket end to end: real app, real SQLite file, real websocket clients."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import WSCloseCode

from conftest import Customer
from handoff_kit import desk_rulebook
from helpline.rules.model import Rulebook, Thresholds
from helpline.settings import Limits
from helpline.store import SQLiteStore


async def transcript(store: SQLiteStore, conversation: str) -> list[tuple[str, str]]:
    return [(m.sender, m.body.get("text", "")) for m in await store.messages_after(conversation, 0)]


async def test_new_conversation_starts_with_the_bot_greeting(make_client: Any) -> None:
    customer = await Customer.join(await make_client())

    greeting = await customer.bot_reply()

    assert customer.ready["resumed"] is False
    assert (greeting["seq"], greeting["kind"]) == (1, "greeting")
    assert greeting["text"] == "Hi! How can I help?"


async def test_customer_message_is_acknowledged_after_storing_then_answered(
    make_client: Any, store: SQLiteStore
) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "i want a refund")

    ack = await customer.next_of("message.ack")
    answer = await customer.bot_reply()

    assert ack == {
        "type": "message.ack", "id": "m1", "seq": 2, "duplicate": False, "at": ack["at"],
    }  # fmt: skip
    assert isinstance(ack["at"], float) and ack["at"] <= answer["at"]
    assert (answer["seq"], answer["intent"], answer["kind"]) == (3, "refund", "answer")
    conversation = customer.ready["conversation"]
    assert (await transcript(store, conversation))[1] == ("customer", "i want a refund")


async def test_korean_message_is_answered_in_korean(make_client: Any) -> None:
    customer = await Customer.join(await make_client(), lang="ko")
    await customer.say("m1", "환불해 주세요")

    answer = await customer.bot_reply()
    while answer["kind"] == "greeting":
        answer = await customer.bot_reply()

    assert answer["text"] == "Refunds take 3-5 days. (ko)"


async def test_customer_sees_own_message_echoed_with_its_client_id(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "i want a refund")

    echo = await customer.next_of("message.new", sender="customer")

    assert (echo["seq"], echo["client_id"], echo["text"]) == (2, "m1", "i want a refund")


async def test_bot_typing_indicator_surrounds_its_processing(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "i want a refund")
    await customer.next_of("typing.stop")

    kinds = [f["type"] for f in customer.seen]
    assert kinds.index("message.ack") < kinds.index("typing.start") < kinds.index("typing.stop")
    assert all(f["sender"] == "bot" for f in customer.seen if f["type"].startswith("typing"))


async def test_reconnect_with_last_seq_gets_exactly_the_missed_messages_in_order(
    make_client: Any,
) -> None:
    client = await make_client()
    first = await Customer.join(client)
    await first.say("m1", "i want a refund")
    seen_seq = (await first.bot_reply())["seq"]  # greeting
    seen_seq = (await first.bot_reply())["seq"]  # answer
    token = first.ready["token"]
    await first.ws.close()
    other_tab = await Customer.join(client, token=token, last_seq=seen_seq)
    await other_tab.say("m2", "reset my password")
    await other_tab.next_of("message.new", intent="password_reset")

    back = await Customer.join(client, token=token, last_seq=seen_seq)
    missed = [await back.next_of("message.new") for _ in range(2)]
    await back.say("m3", "refund please")
    live = [await back.next_of("message.new") for _ in range(2)]

    assert back.ready["resumed"] is True and back.ready["last_seq"] == seen_seq + 2
    assert [(m["seq"], m["sender"]) for m in missed] == [(4, "customer"), (5, "bot")]
    assert [m["seq"] for m in live] == [6, 7]
    assert [f["seq"] for f in back.seen if f["type"] == "message.new"] == [4, 5, 6, 7]


async def test_resend_of_the_same_id_is_stored_once_and_answered_once(
    make_client: Any, store: SQLiteStore
) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "i want a refund")
    await customer.say("m1", "i want a refund")

    first = await customer.next_of("message.ack")
    second = await customer.next_of("message.ack")
    await customer.send({"type": "ping"})
    await customer.next_of("pong")  # everything before the ping has been handled

    assert (first["seq"], first["duplicate"]) == (2, False)
    assert (second["seq"], second["duplicate"]) == (2, True)
    conversation = customer.ready["conversation"]
    senders = [sender for sender, _ in await transcript(store, conversation)]
    assert senders == ["bot", "customer", "bot"]


async def test_resend_after_reconnect_is_acknowledged_as_duplicate_and_not_answered(
    make_client: Any, store: SQLiteStore
) -> None:
    client = await make_client()
    first = await Customer.join(client)
    await first.say("m1", "i want a refund")
    await first.next_of("message.new", intent="refund")
    await first.ws.close()

    again = await Customer.join(client, token=first.ready["token"], last_seq=3)
    await again.say("m1", "i want a refund")
    ack = await again.next_of("message.ack")
    await again.send({"type": "ping"})
    await again.next_of("pong")

    assert (ack["seq"], ack["duplicate"]) == (2, True)
    assert len(await transcript(store, first.ready["conversation"])) == 3
    assert not [f for f in again.seen if f["type"] == "message.new"]


async def test_unknown_token_starts_a_new_conversation(make_client: Any) -> None:
    customer = await Customer.join(await make_client(), token="no-such-token", last_seq=9)

    greeting = await customer.bot_reply()

    assert customer.ready["resumed"] is False
    assert customer.ready["token"] != "no-such-token"
    assert greeting["seq"] == 1


async def test_two_tabs_of_one_conversation_both_receive_echoes_and_replies(
    make_client: Any,
) -> None:
    client = await make_client()
    tab1 = await Customer.join(client)
    tab2 = await Customer.join(client, token=tab1.ready["token"], last_seq=1)
    await tab1.say("m1", "i want a refund")

    for tab in (tab1, tab2):
        echo = await tab.next_of("message.new", sender="customer")
        answer = await tab.next_of("message.new", sender="bot", intent="refund")
        assert (echo["client_id"], answer["seq"]) == ("m1", 3)
    assert not [f for f in tab2.seen if f["type"] == "message.ack"]


async def test_quick_messages_from_two_tabs_are_processed_one_at_a_time(
    make_client: Any, store: SQLiteStore
) -> None:
    client = await make_client()
    tab1 = await Customer.join(client)
    tab2 = await Customer.join(client, token=tab1.ready["token"], last_seq=1)
    for n in range(3):
        await tab1.say(f"a{n}", f"i want a refund {n}")
        await tab2.say(f"b{n}", f"reset my password {n}")

    for _ in range(6):
        await tab1.next_of("typing.stop")

    senders = [s for s, _ in await transcript(store, tab1.ready["conversation"])]
    assert senders.count("customer") == 6
    assert senders[0] == "bot"  # the greeting
    assert all(senders[i + 1] == "bot" for i, s in enumerate(senders) if s == "customer")


async def test_button_press_answers_the_pressed_intent(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "Reset password", payload="/password_reset")

    answer = await customer.next_of("message.new", sender="bot", kind="answer")

    assert answer["intent"] == "password_reset"


async def test_feedback_on_an_answer_is_stored_and_thanked(
    make_client: Any, store: SQLiteStore
) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "i want a refund")
    answer = await customer.next_of("message.new", sender="bot", kind="answer")
    await customer.send({"type": "feedback.new", "id": "f1", "seq": answer["seq"], "helpful": True})

    ack = await customer.next_of("message.ack", id="f1")
    reply = await customer.next_of("message.new", sender="bot")

    assert (ack["seq"], reply["kind"]) == (4, "feedback")
    events = await store.events(customer.ready["conversation"])
    decisions = [e.data["decision"] for e in events if e.kind == "bot.decision"]
    assert decisions[-1] == "feedback"


async def test_feedback_on_a_customer_message_is_refused(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.say("m1", "i want a refund")
    await customer.next_of("message.ack")
    await customer.send({"type": "feedback.new", "id": "f1", "seq": 2, "helpful": False})

    error = await customer.next_of("error")

    assert error["code"] == "bad_frame"


async def test_ping_is_answered_with_pong(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.send({"type": "ping"})

    assert await customer.next_of("pong") == {"type": "pong"}


async def test_frame_before_hello_is_refused_with_not_ready(make_client: Any) -> None:
    client = await make_client()
    customer = Customer(await client.ws_connect("/ws/customer"))
    await customer.say("m1", "hello?")

    error = await customer.next_of("error")

    assert error["code"] == "not_ready"


async def test_second_hello_on_one_socket_is_refused(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.send({"type": "session.hello", "token": None, "last_seq": 0})

    assert (await customer.next_of("error"))["code"] == "bad_frame"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("this is not json", "bad_json"),
        ('["a", "list"]', "bad_json"),
        ('"a string"', "bad_json"),
        ('{"no": "type"}', "bad_frame"),
        ('{"type": "message.delete"}', "unknown_type"),
        ('{"type": "message.new", "text": "no id"}', "bad_frame"),
        ('{"type": "message.new", "id": "m1"}', "bad_frame"),
        ('{"type": "message.new", "id": 7, "text": "id not a string"}', "bad_frame"),
        ('{"type": "message.new", "id": "m1", "text": "   "}', "bad_frame"),
        ('{"type": "feedback.new", "id": "f1", "seq": "3", "helpful": true}', "bad_frame"),
        ('{"type": "feedback.new", "id": "f1", "seq": 3}', "bad_frame"),
        ('{"type": "session.hello", "token": 5}', "bad_frame"),
    ],
)
async def test_malformed_frame_gets_an_error_and_the_socket_stays_open(
    make_client: Any, raw: str, code: str
) -> None:
    customer = await Customer.join(await make_client())
    await customer.ws.send_str(raw)

    error = await customer.next_of("error")
    await customer.say("m2", "i want a refund")

    assert error["code"] == code and error["message"]
    assert (await customer.next_of("message.new", sender="bot", kind="answer"))["seq"] == 3


async def test_binary_frame_gets_an_error(make_client: Any) -> None:
    customer = await Customer.join(await make_client())
    await customer.ws.send_bytes(b"\x00\x01")

    assert (await customer.next_of("error"))["code"] == "bad_json"


async def test_too_long_text_gets_an_error_is_not_stored_and_socket_stays_open(
    make_client: Any, make_settings: Any, store: SQLiteStore
) -> None:
    settings = make_settings(limits=Limits(max_text_chars=50))
    customer = await Customer.join(await make_client(settings))
    await customer.say("m1", "x" * 51)

    error = await customer.next_of("error")
    await customer.say("m2", "i want a refund")
    ack = await customer.next_of("message.ack")

    assert error["code"] == "too_large"
    assert (ack["id"], ack["seq"]) == ("m2", 2)


async def test_frame_over_the_size_limit_closes_the_socket_with_1009(
    make_client: Any, make_settings: Any
) -> None:
    settings = make_settings(limits=Limits(max_frame_bytes=1024))
    customer = await Customer.join(await make_client(settings))
    await customer.say("m1", "x" * 2000)

    assert await customer.closed() == WSCloseCode.MESSAGE_TOO_BIG


async def test_flood_closes_with_1008_while_another_customer_is_still_answered(
    make_client: Any, make_settings: Any
) -> None:
    limits = Limits(rate_per_s=5, burst=5, flood_strikes=5)
    client = await make_client(make_settings(limits=limits))
    flooder = await Customer.join(client)
    calm = await Customer.join(client)

    for n in range(40):
        if flooder.ws.closed:
            break
        await flooder.send({"type": "ping", "n": n})
    code = await flooder.closed()
    await calm.say("m1", "i want a refund")

    assert code == WSCloseCode.POLICY_VIOLATION
    codes = [f["code"] for f in flooder.seen if f["type"] == "error"]
    assert codes[0] == "rate_limited" and codes[-1] == "flood"
    assert (await calm.next_of("message.new", sender="bot", kind="answer"))["intent"] == "refund"


async def test_rate_limited_message_is_not_stored(
    make_client: Any, make_settings: Any, store: SQLiteStore
) -> None:
    limits = Limits(rate_per_s=0.001, burst=2, flood_strikes=100)
    customer = await Customer.join(await make_client(make_settings(limits=limits)))
    await customer.send({"type": "session.ping"})  # the hello took one token, this the other
    await customer.next_of("error")
    await customer.say("m1", "i want a refund")

    error = await customer.next_of("error")

    assert error["code"] == "rate_limited"
    assert len(await transcript(store, customer.ready["conversation"])) == 1


async def test_idle_connection_gets_an_error_and_is_closed_with_1001(
    make_client: Any, make_settings: Any
) -> None:
    limits = Limits(idle_timeout_s=0.2)
    customer = await Customer.join(await make_client(make_settings(limits=limits)))

    code = await customer.closed()

    assert code == WSCloseCode.GOING_AWAY
    assert [f["code"] for f in customer.seen if f["type"] == "error"] == ["idle"]


async def test_closed_store_gives_an_unavailable_error_and_the_socket_stays_open(
    make_client: Any, store: SQLiteStore
) -> None:
    customer = await Customer.join(await make_client())
    await customer.bot_reply()
    await store.close()

    await customer.say("m1", "i want a refund")
    error = await customer.next_of("error")
    await customer.send({"type": "ping"})

    assert error["code"] == "unavailable"
    assert await customer.next_of("pong") == {"type": "pong"}
    await store.open()  # the fixture closes it again


class BrokenTurnStore(SQLiteStore):
    """A real store whose turn commit fails in a way nobody planned for."""

    async def commit_turn(self, record: Any, now: float) -> Any:
        if record.answers_seq is not None:
            raise RuntimeError("disk gremlins")
        return await super().commit_turn(record, now)


async def test_unexpected_failure_is_logged_once_and_becomes_server_error(
    make_client: Any, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    broken = BrokenTurnStore(tmp_path / "broken.db")
    await broken.open()
    try:
        customer = await Customer.join(await make_client(store=broken))
        with caplog.at_level(logging.ERROR, logger="helpline.web"):
            await customer.say("m1", "i want a refund")
            error = await customer.next_of("error")
        await customer.send({"type": "ping"})
        await customer.next_of("pong")
    finally:
        await broken.close()

    assert error["code"] == "server_error" and "gremlins" not in error["message"]
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1


async def test_many_customers_at_once_each_get_their_own_answer(make_client: Any) -> None:
    client = await make_client()
    customers = await asyncio.gather(*(Customer.join(client) for _ in range(20)))

    await asyncio.gather(*(c.say("m1", "i want a refund") for c in customers))
    answers = await asyncio.gather(
        *(c.next_of("message.new", sender="bot", kind="answer") for c in customers)
    )

    assert {a["intent"] for a in answers} == {"refund"}
    assert len({c.ready["conversation"] for c in customers}) == 20


def always_unsure() -> Rulebook:
    """The desk's rules with every match short of an answer: each question is a "did you mean"."""
    rules = desk_rulebook()
    unsure = replace(rules.config, thresholds=Thresholds(answer=101, clarify=1))
    return Rulebook(unsure, rules.intents)


async def test_did_you_mean_has_a_way_out_that_asks_again_or_offers_a_person(
    make_client: Any,
) -> None:
    customer = await Customer.join(await make_client(rulebook=always_unsure()))
    await customer.say("m1", "my payment failed")
    clarify = await customer.next_of("message.new", kind="clarify")
    way_out = clarify["buttons"][-1]
    await customer.say("m2", way_out["label"], payload=way_out["payload"])
    reply = await customer.next_of("message.new", sender="bot", kind="fallback")
    person = reply["buttons"][0]
    await customer.say("m3", person["label"], payload=person["payload"])
    handoff = await customer.next_of("message.new", sender="bot", kind="handoff")

    assert way_out == {"label": "None of these", "payload": "/none_of_these"}
    assert clarify["buttons"][0]["payload"] == "/payment_failed"
    assert reply["text"].startswith("Sorry, I guessed wrong.")
    assert reply["buttons"] == [{"label": "Talk to a person", "payload": "/talk_to_agent"}]
    assert handoff["text"] == "Handing you to a person."


async def test_a_message_the_bot_cannot_place_is_told_what_it_can_help_with(
    make_client: Any,
) -> None:
    customer = await Customer.join(await make_client(rulebook=desk_rulebook()))
    await customer.say("m1", "qwerty zxcv")

    reply = await customer.next_of("message.new", sender="bot", kind="fallback")

    assert reply["text"] == (
        "Sorry, say it another way?\n\nI can help with:\n"
        "- payments, plans and refunds\n- your account and signing in"
    )


async def test_socket_that_never_says_hello_is_closed_after_the_hello_timeout(
    make_client: Any, make_settings: Any
) -> None:
    client = await make_client(make_settings(limits=Limits(hello_timeout_s=0.3)))
    silent = Customer(await client.ws_connect("/ws/customer"))

    code = await silent.closed()

    assert code == WSCloseCode.GOING_AWAY
    assert [f["code"] for f in silent.seen if f["type"] == "error"] == ["hello_timeout"]


async def test_frames_other_than_hello_do_not_hold_the_socket_open(
    make_client: Any, make_settings: Any
) -> None:
    limits = Limits(hello_timeout_s=0.5, rate_per_s=1000, burst=1000)
    chatty = Customer(
        await (await make_client(make_settings(limits=limits))).ws_connect("/ws/customer")
    )

    refusal = {"code": "not_ready"}
    while refusal["code"] == "not_ready":  # ping after ping, each refused, none a hello
        await chatty.send({"type": "ping"})
        refusal = await chatty.next_of("error")
        await asyncio.sleep(0.01)  # well inside the frame rate: only the hello clock ends it
    code = await chatty.closed()

    assert refusal["code"] == "hello_timeout" and code == WSCloseCode.GOING_AWAY
    assert len(chatty.seen) > 2


async def test_a_hello_in_time_is_served_past_the_hello_timeout(
    make_client: Any, make_settings: Any
) -> None:
    limits = Limits(hello_timeout_s=0.3)
    customer = await Customer.join(await make_client(make_settings(limits=limits)))
    await asyncio.sleep(0.5)  # past the hello timeout: the session must not be closed by it

    await customer.say("m1", "i want a refund")

    assert (await customer.next_of("message.new", sender="bot", kind="answer"))["seq"] == 3
