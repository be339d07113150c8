"""Custom actions in rasa-sdk's format: in-process, on a real action server, and in a turn."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from conftest import WAIT_S, Customer
from helpline import dialogue
from helpline.actions import (
    ActionCall,
    ActionStep,
    InProcessRunner,
    RemoteRunner,
    call_for,
    merge,
    wire,
)
from helpline.errors import ActionError, ActionNotFoundError, ActionServerError
from helpline.matcher import build_matcher
from helpline.rules import load_rulebook
from helpline.rules.model import Config, Intent, Rulebook
from helpline.rules.texts import BUILTIN_TEXTS
from helpline.store import SQLiteStore
from helpline.turn import Button, ConversationState, Inbound, Turn

ROOT = Path(__file__).resolve().parents[1]
FAILED_EN = BUILTIN_TEXTS["action_failed"]["en"]

ACTIONS_PY = """
import asyncio
from rasa_sdk import Action
from rasa_sdk.events import SlotSet


class CountVisits(Action):
    def name(self):
        return "action_count_visits"

    async def run(self, dispatcher, tracker, domain):
        visits = int(tracker.get_slot("visits") or 0) + 1
        dispatcher.utter_message(
            text=f"visit {visits} for {tracker.sender_id}",
            buttons=[{"title": "Again", "payload": "/refund"}],
        )
        return [SlotSet("visits", visits)]


class Echo(Action):
    def name(self):
        return "action_echo"

    def run(self, dispatcher, tracker, domain):
        latest = tracker.latest_message
        language = latest["metadata"]["language"]
        dispatcher.utter_message(text=f"{latest['intent']['name']}|{language}|{latest['text']}")
        return []


class Silent(Action):
    def name(self):
        return "action_silent"

    def run(self, dispatcher, tracker, domain):
        return [SlotSet("seen", True)]


class CustomJson(Action):
    def name(self):
        return "action_custom_json"

    def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(json_message={"text": "from custom json", "extra": 1})
        return []


class Hang(Action):
    def name(self):
        return "action_hang"

    async def run(self, dispatcher, tracker, domain):
        await asyncio.Event().wait()


class Broken(Action):
    def name(self):
        return "action_broken"

    def run(self, dispatcher, tracker, domain):
        raise RuntimeError("a bug in the action")
"""


@pytest.fixture(scope="module")
def actions_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package `helpline_test_actions` (for the action server) whose one file is actions/*.py."""
    root = tmp_path_factory.mktemp("actions")
    package = root / "helpline_test_actions"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "demo.py").write_text(ACTIONS_PY)
    return root


@pytest.fixture(scope="module")
def actions_file(actions_dir: Path) -> Path:
    return actions_dir / "helpline_test_actions" / "demo.py"


def with_actions(rulebook: Rulebook, files: tuple[str, ...], **actions: str) -> Rulebook:
    """The rulebook with intent name -> action, and these actions/*.py files."""
    intents = tuple(
        Intent(**{**vars(i), "action": actions[i.name]}) if i.name in actions else i
        for i in rulebook.intents
    )
    return Rulebook(config=rulebook.config, intents=intents, action_files=files)


def call(name: str, **fields: Any) -> ActionCall:
    values: dict[str, Any] = {"sender_id": "c1", "text": "i want a refund", "language": "en"}
    return ActionCall(name=name, **{**values, **fields})


def turn_for(rulebook: Rulebook, text: str, slots: dict[str, Any] | None = None) -> Turn:
    state = ConversationState(language="en", slots=slots or {})
    inbound = Inbound(kind="text", now=100.0, text=text)
    return dialogue.respond(rulebook, build_matcher(rulebook), state, inbound)


# --- the action server process -------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ActionServer:
    """`python -m rasa_sdk` in its own process group, so a kill takes its worker too."""

    def __init__(self, where: Path, module: str = "helpline_test_actions") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(where), "SANIC_HOST": "127.0.0.1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", module, "--port", str(self.port)],
            cwd=where,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.log: list[bytes] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def wait_healthy(self, timeout_s: float = 30.0) -> None:
        """Poll GET /health until it answers (the server binds a moment after it starts)."""
        deadline = time.monotonic() + timeout_s
        pause = threading.Event()  # never set: wait(x) is the pause between polls
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(b"".join(self.log).decode(errors="replace"))
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=1.0) as response:
                    if response.status == 200:
                        return
            except OSError:
                pause.wait(0.05)
        raise TimeoutError(f"action server not healthy after {timeout_s}s")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT_S)
        self._reader.join(timeout=WAIT_S)  # the pipe ends once every process holding it died
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def start_server(actions_dir: Path) -> Iterator[Callable[[], ActionServer]]:
    started: list[ActionServer] = []

    def start() -> ActionServer:
        server = ActionServer(actions_dir)
        started.append(server)
        server.wait_healthy()
        return server

    yield start
    for server in started:
        server.kill()


@pytest.fixture(scope="module")
def action_server(actions_dir: Path) -> Iterator[ActionServer]:
    server = ActionServer(actions_dir)
    try:
        server.wait_healthy()
        yield server
    finally:
        server.kill()


# --- the wire format -----------------------------------------------------------------


def test_action_call_carries_tracker_with_slots_and_latest_message() -> None:
    body = wire.action_call(
        call("action_x", intent="refund", confidence=0.9, slots={"plan": "basic"}), {}
    )

    assert (body["next_action"], body["sender_id"]) == ("action_x", "c1")
    assert body["tracker"]["slots"] == {"plan": "basic"}
    latest = body["tracker"]["latest_message"]
    assert latest["intent"] == {"name": "refund", "confidence": 0.9}
    assert (latest["text"], latest["entities"]) == ("i want a refund", [])


def test_server_result_keeps_text_buttons_and_custom_json_text() -> None:
    data = {
        "events": [{"event": "slot", "name": "plan", "value": "basic"}, {"no": "event"}],
        "responses": [
            {"text": "hello", "buttons": [{"title": "Yes", "payload": "/yes"}], "custom": {}},
            {"text": None, "custom": {"text": "from custom"}},
            {"text": None, "image": "https://example.com/x.png"},
        ],
    }

    result = wire.result("action_x", data)

    assert [(m.text, [b.payload for b in m.buttons]) for m in result.messages] == [
        ("hello", ["/yes"]),
        ("from custom", []),
    ]
    assert result.events == ({"event": "slot", "name": "plan", "value": "basic"},)


@pytest.mark.parametrize(
    ("events", "slots"),
    [
        ([{"event": "slot", "name": "plan", "value": "premium"}], {"plan": "premium", "n": 1}),
        ([{"event": "slot", "name": "plan", "value": None}], {"n": 1}),
        ([{"event": "reset_slots"}], {}),
        ([{"event": "restart"}, {"event": "slot", "name": "x", "value": 2}], {"x": 2}),
        ([{"event": "followup", "name": "action_y"}], {"plan": "basic", "n": 1}),
    ],
)
def test_slot_events_update_the_slots(events: list[dict[str, Any]], slots: dict[str, Any]) -> None:
    assert wire.slots_after({"plan": "basic", "n": 1}, events) == slots


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, ActionNotFoundError), (400, ActionError), (500, ActionServerError)],
)
def test_server_error_status_maps_to_a_domain_error(status: int, error: type[Exception]) -> None:
    assert type(wire.error_for_status("action_x", status, {"error": "no"})) is error


def test_a_200_answer_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ActionServerError):
        wire.result("action_x", ["not", "an", "object"])


# --- in-process ----------------------------------------------------------------------


async def test_in_process_runner_runs_a_real_rasa_sdk_action(actions_file: Path) -> None:
    runner = InProcessRunner([actions_file])

    result = await runner.run(call("action_count_visits", slots={"visits": 2}), {})

    assert [m.text for m in result.messages] == ["visit 3 for c1"]
    assert result.events[0] == {"event": "slot", "timestamp": None, "name": "visits", "value": 3}


async def test_in_process_runner_registers_only_the_files_own_actions(actions_file: Path) -> None:
    runner = InProcessRunner([actions_file])

    assert runner.names() == [
        "action_broken",
        "action_count_visits",
        "action_custom_json",
        "action_echo",
        "action_hang",
        "action_silent",
    ]


async def test_in_process_unknown_action_is_not_found(actions_file: Path) -> None:
    with pytest.raises(ActionNotFoundError, match="demo.py"):
        await InProcessRunner([actions_file]).run(call("action_missing"), {})


async def test_file_that_fails_to_import_is_an_action_error_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("from rasa_sdk import Action\nclass Oops(Action:\n")

    with pytest.raises(ActionError, match="broken.py"):
        await InProcessRunner([broken]).run(call("action_x"), {})


async def test_edited_action_file_is_reloaded(tmp_path: Path) -> None:
    source = tmp_path / "greet.py"
    template = (
        "from rasa_sdk import Action\n"
        "class Greet(Action):\n"
        "    def name(self): return 'action_greet'\n"
        "    def run(self, dispatcher, tracker, domain):\n"
        "        dispatcher.utter_message(text={!r})\n"
        "        return []\n"
    )
    source.write_text(template.format("first"))
    runner = InProcessRunner([source])
    first = await runner.run(call("action_greet"), {})
    source.write_text(template.format("second"))
    os.utime(source, (time.time() + 5, time.time() + 5))  # a newer mtime even on coarse clocks

    second = await runner.run(call("action_greet"), {})

    assert (first.messages[0].text, second.messages[0].text) == ("first", "second")


# --- in a turn -----------------------------------------------------------------------


async def test_action_messages_replace_the_intents_answer(
    rulebook: Rulebook, actions_file: Path
) -> None:
    rules = with_actions(rulebook, (str(actions_file),), refund="action_count_visits")
    turn = turn_for(rules, "i want a refund")

    done, _ = await ActionStep().apply(rules, turn, call("action_count_visits"))

    assert [r.text for r in done.replies] == ["visit 1 for c1"]
    assert done.replies[0].buttons == (Button("Again", "/refund"),)
    assert done.state.slots == {"visits": 1}


async def test_action_without_messages_leaves_the_answer_and_sets_slots(
    rulebook: Rulebook, actions_file: Path
) -> None:
    rules = with_actions(rulebook, (str(actions_file),), refund="action_silent")
    turn = turn_for(rules, "i want a refund")

    done, _ = await ActionStep().apply(rules, turn, call("action_silent"))

    assert [r.text for r in done.replies] == ["Refunds take 3-5 days."]
    assert done.state.slots == {"seen": True}


async def test_decision_names_the_action_and_the_call_carries_intent_and_slots(
    rulebook: Rulebook, actions_file: Path, store: SQLiteStore
) -> None:
    rules = with_actions(rulebook, (str(actions_file),), refund="action_echo")
    turn = turn_for(rules, "i want a refund", slots={"plan": "basic"})
    conversation = await store.create_conversation(token="t", language="en", now=1.0)

    made = call_for(turn, conversation, {"text": "i want a refund"}, now=2.0)

    assert turn.decision.action == "action_echo"
    assert made is not None
    assert (made.name, made.intent, made.slots) == ("action_echo", "refund", {"plan": "basic"})
    assert made.sender_id == conversation.id and 0.8 <= made.confidence <= 1.0


def test_intent_without_action_makes_no_call(rulebook: Rulebook) -> None:
    turn = turn_for(rulebook, "i want a refund")

    assert turn.decision.action is None


@pytest.mark.parametrize(
    ("action", "timeout_s"),
    [("action_hang", 0.05), ("action_broken", 5.0), ("action_missing", 5.0)],
)
async def test_failing_action_gives_a_friendly_reply_then_the_answer(
    rulebook: Rulebook, actions_file: Path, action: str, timeout_s: float
) -> None:
    rules = with_actions(rulebook, (str(actions_file),), refund=action)
    turn = turn_for(rules, "i want a refund")

    done, events = await ActionStep(timeout_s=timeout_s).apply(rules, turn, call(action))

    assert [r.text for r in done.replies] == [FAILED_EN, "Refunds take 3-5 days."]
    assert events[0][0] == "action.run" and events[0][1]["ok"] is False


async def test_failure_reply_uses_the_rules_action_failed_text(rulebook: Rulebook) -> None:
    texts = {**rulebook.config.texts, "action_failed": {"en": "Billing is down, sorry."}}
    config = Config(**{**vars(rulebook.config), "texts": texts})
    rules = with_actions(Rulebook(config=config, intents=rulebook.intents), (), refund="action_x")

    done, _ = await ActionStep().apply(rules, turn_for(rules, "i want a refund"), call("action_x"))

    assert done.replies[0].text == "Billing is down, sorry."


async def test_action_failure_is_logged_once_until_it_works_again(
    rulebook: Rulebook, actions_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rules = with_actions(rulebook, (str(actions_file),), refund="action_missing")
    step = ActionStep()
    caplog.set_level(logging.WARNING, logger="helpline.actions.step")

    for _ in range(3):
        await step.apply(rules, turn_for(rules, "i want a refund"), call("action_missing"))

    assert len(caplog.records) == 1 and "action_missing" in caplog.records[0].getMessage()


async def test_intent_with_action_but_no_rules_actions_gets_the_friendly_reply(
    rulebook: Rulebook,
) -> None:
    rules = with_actions(rulebook, (), refund="action_count_visits")

    done, events = await ActionStep().apply(
        rules, turn_for(rules, "i want a refund"), call("action_count_visits")
    )

    assert done.replies[0].text == FAILED_EN
    assert "no actions/*.py" in events[0][1]["error"]


def test_named_response_stands_for_that_intents_answer(rulebook: Rulebook) -> None:
    turn = turn_for(rulebook, "i want a refund")
    result = wire.result("action_x", {"responses": [{"response": "utter_password_reset"}]})

    done = merge.with_result(rulebook, turn, result)

    assert [r.text for r in done.replies] == ["Use 'Forgot password'."]


# --- the StreamFlix example action ---------------------------------------------------


@pytest.fixture(scope="module")
def streamflix() -> Rulebook:
    return load_rulebook(ROOT / "bot_rules")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "when is my next payment",
            "You're on **Premium**. Your next payment is on **2026-12-03**.",
        ),
        ("다음 결제일 확인", "현재 **프리미엄** 요금제를 이용 중이에요."),
    ],
)
async def test_streamflix_known_customer_hears_their_own_billing_date(
    streamflix: Rulebook, text: str, expected: str
) -> None:
    turn = turn_for(streamflix, text, slots={"customer_id": "demo-1001"})
    made = ActionCall(
        "action_check_subscription",
        "anon",
        text,
        turn.decision.language,
        intent=turn.decision.intent,
        slots=turn.state.slots,
    )

    done, _ = await ActionStep().apply(streamflix, turn, made)

    assert done.replies[0].text.startswith(expected)
    assert done.state.slots["next_billing_date"] == "2026-12-03"


async def test_streamflix_unknown_customer_gets_the_general_billing_answer(
    streamflix: Rulebook,
) -> None:
    turn = turn_for(streamflix, "when is my next payment")
    made = ActionCall("action_check_subscription", "someone", "when is my next payment", "en")

    done, _ = await ActionStep().apply(streamflix, turn, made)

    assert turn.decision.action == "action_check_subscription"
    assert done.replies == turn.replies


# --- a real action server ------------------------------------------------------------


async def test_remote_runner_runs_an_action_on_a_real_action_server(
    action_server: ActionServer,
) -> None:
    runner = RemoteRunner(action_server.url)
    try:
        result = await runner.run(call("action_count_visits", slots={"visits": 4}), {})
    finally:
        await runner.close()

    assert [m.text for m in result.messages] == ["visit 5 for c1"]
    assert wire.slots_after({}, result.events) == {"visits": 5}


async def test_remote_runner_reports_an_unknown_action_as_not_found(
    action_server: ActionServer,
) -> None:
    runner = RemoteRunner(action_server.url + "/webhook")
    try:
        with pytest.raises(ActionNotFoundError, match="action_missing"):
            await runner.run(call("action_missing"), {})
    finally:
        await runner.close()


async def test_remote_runner_to_a_closed_port_is_a_server_error() -> None:
    runner = RemoteRunner(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ActionServerError, match="cannot reach"):
            await runner.run(call("action_count_visits"), {})
    finally:
        await runner.close()


async def test_customer_gets_action_replies_and_slots_persist_across_turns(
    make_client: Any, make_settings: Any, rulebook: Rulebook, action_server: ActionServer
) -> None:
    rules = with_actions(rulebook, (), refund="action_count_visits")
    settings = make_settings(action_endpoint=action_server.url)
    customer = await Customer.join(await make_client(settings, rulebook=rules))
    conversation = customer.ready["conversation"]
    await customer.bot_reply()  # greeting

    await customer.say("m1", "i want a refund")
    first = await customer.bot_reply()
    await customer.say("m2", "refund please")
    second = await customer.bot_reply()

    assert first["text"] == f"visit 1 for {conversation}"
    assert second["text"] == f"visit 2 for {conversation}"
    assert first["buttons"] == [{"label": "Again", "payload": "/refund"}]


async def test_action_run_is_recorded_as_an_event(
    make_client: Any,
    make_settings: Any,
    rulebook: Rulebook,
    action_server: ActionServer,
    store: SQLiteStore,
) -> None:
    rules = with_actions(rulebook, (), refund="action_count_visits")
    customer = await Customer.join(
        await make_client(make_settings(action_endpoint=action_server.url), rulebook=rules)
    )
    await customer.say("m1", "i want a refund")
    await customer.next_of("message.new", sender="bot", intent="refund")

    events = await store.events(customer.ready["conversation"])

    ran = [e.data for e in events if e.kind == "action.run"]
    assert len(ran) == 1 and ran[0]["name"] == "action_count_visits" and ran[0]["ok"] is True
    assert ran[0]["duration_ms"] >= 0


async def test_killed_action_server_gets_a_friendly_reply_and_the_node_keeps_serving(
    make_client: Any,
    make_settings: Any,
    rulebook: Rulebook,
    start_server: Callable[[], ActionServer],
) -> None:
    server = start_server()
    rules = with_actions(rulebook, (), refund="action_count_visits")
    client = await make_client(make_settings(action_endpoint=server.url), rulebook=rules)
    customer = await Customer.join(client)
    await customer.say("m1", "i want a refund")
    assert (await customer.next_of("message.new", sender="bot", intent="refund"))[
        "text"
    ].startswith("visit 1")

    server.kill()
    await customer.say("m2", "i want a refund")
    sorry = await customer.next_of("message.new", sender="bot", intent="refund")
    answer = await customer.next_of("message.new", sender="bot", intent="refund")
    await customer.say("m3", "reset my password")
    other = await customer.next_of("message.new", sender="bot", intent="password_reset")

    assert (sorry["text"], answer["text"]) == (FAILED_EN, "Refunds take 3-5 days.")
    assert other["text"] == "Use 'Forgot password'."


async def test_in_process_actions_from_the_rules_run_through_the_websocket(
    make_client: Any, rulebook: Rulebook, actions_file: Path
) -> None:
    rules = with_actions(rulebook, (str(actions_file),), refund="action_echo")
    customer = await Customer.join(await make_client(rulebook=rules))

    await customer.say("m1", "i want a refund")
    reply = await customer.next_of("message.new", sender="bot", intent="refund")

    assert reply["text"] == "refund|en|i want a refund"


# --- the documented commands, end to end ---------------------------------------------


async def test_serve_with_action_endpoint_answers_rest_from_the_streamflix_action(
    tmp_path: Path,
) -> None:
    """`python -m rasa_sdk --actions actions` in bot_rules/ + `helpline serve --action-endpoint`.

    A REST sender named like a verified customer is not that customer: the action sees
    `rest:demo-1002` and answers without anyone's plan or billing date."""
    action_server = ActionServer(ROOT / "bot_rules", module="actions")
    serve = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0",
        "--rules", str(ROOT / "bot_rules"), "--db", str(tmp_path / "h.db"),
        "--action-endpoint", action_server.url + "/webhook",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        line = await asyncio.wait_for(serve.stdout.readline(), 30.0)
        found = re.search(rb"running at (http://\S+?)/? ", line)
        assert found, line
        await asyncio.to_thread(action_server.wait_healthy)
        async with aiohttp.ClientSession() as session:
            body = {"sender": "demo-1002", "message": "when is my next payment"}
            async with session.post(
                found.group(1).decode() + "/webhooks/rest/webhook", json=body
            ) as r:
                replies = await r.json()
    finally:
        serve.send_signal(signal.SIGTERM)
        await asyncio.wait_for(serve.wait(), WAIT_S)
        action_server.kill()

    assert replies[0]["recipient_id"] == "demo-1002"
    assert replies[0]["text"].startswith("Your next payment date is under **Profile icon")
    assert "Standard with ads" not in replies[0]["text"]
