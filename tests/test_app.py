"""The app around the websocket: health, widget files, settings, shutdown, hot reload."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode
from aiohttp.test_utils import TestServer

from conftest import WAIT_S, Customer
from fixtures_rules import BASE_INTENTS, write_rules
from helpline.bus import MemoryBus
from helpline.bus.locks import LockRegistry
from helpline.errors import BusOverflowError, ConfigError
from helpline.settings import Limits, Settings
from helpline.web.app import create_app
from helpline.web.keys import RULES
from helpline.web.ratelimit import TokenBucket, Verdict


async def test_health_check_answers_ok(make_client: Any) -> None:
    client = await make_client()

    response = await client.get("/healthz")

    body = await response.json()
    assert response.status == 200
    assert (body["status"], body["store"], body["bus"]) == ("ok", "ok", "ok")
    assert body["descriptors"]["refusing"] is False


@pytest.fixture
def widget_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "widget"
    folder.mkdir()
    (folder / "widget.js").write_text("(function(){})();")
    (folder / "demo.html").write_text("<!doctype html><title>demo</title>")
    (folder / "widget.css").write_text(".hl-root{}")
    (folder / "common.js").write_text("var helplineCommon = {};")
    (tmp_path / "secret.txt").write_text("not for you")
    return folder


@pytest.mark.parametrize(
    ("path", "content_type", "start"),
    [
        ("/", "text/html", "<!doctype html>"),
        ("/widget.js", "text/javascript", "(function"),
        ("/widget/widget.css", "text/css", ".hl-root"),
        ("/widget/widget.js", "text/javascript", "(function"),
    ],
)
async def test_widget_files_are_served_with_their_content_type(
    make_client: Any, make_settings: Any, widget_dir: Path, path: str, content_type: str,
    start: str,
) -> None:  # fmt: skip
    client = await make_client(make_settings(widget_dir=widget_dir))

    response = await client.get(path)

    assert response.status == 200
    assert response.content_type == content_type
    assert (await response.text()).startswith(start)


@pytest.mark.parametrize(
    "path",
    ["/widget/missing.js", "/widget/..%2Fsecret.txt", "/widget/%2e%2e%2fsecret.txt",
     "/widget/.hidden", "/widget/..%5Csecret.txt", "/widget/"],
)  # fmt: skip
async def test_missing_or_outside_widget_files_are_not_found(
    make_client: Any, make_settings: Any, widget_dir: Path, path: str
) -> None:
    (widget_dir / ".hidden").write_text("dot file")
    client = await make_client(make_settings(widget_dir=widget_dir))

    response = await client.get(path)

    assert response.status == 404


async def test_missing_widget_directory_gives_not_found(make_client: Any) -> None:
    client = await make_client()  # make_settings points widget_dir at a missing folder

    assert (await client.get("/widget.js")).status == 404


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"port": 70000}, "port"),
        ({"port": "8080"}, "port"),
        ({"database_url": ""}, "database_url"),
        ({"host": ""}, "host"),
        ({"reload_interval_s": -1.0}, "reload_interval_s"),
    ],
)
def test_invalid_setting_raises_config_error_naming_it(
    overrides: dict[str, Any], setting: str
) -> None:
    values: dict[str, Any] = {"rules_dir": "bot_rules", "database_url": "x.db", **overrides}

    with pytest.raises(ConfigError) as raised:
        Settings(**values)

    assert raised.value.setting == setting
    assert setting in str(raised.value)


@pytest.mark.parametrize("name", ["burst", "rate_per_s", "idle_timeout_s", "max_frame_bytes"])
def test_non_positive_limit_raises_config_error_naming_it(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Limits(**{name: 0})

    assert raised.value.setting == f"limits.{name}"


async def test_unknown_database_scheme_fails_at_start_naming_the_setting(
    make_settings: Any, rulebook: Any
) -> None:
    server = TestServer(create_app(make_settings(database_url="nosuchdb://x/y"), rulebook=rulebook))

    with pytest.raises(ConfigError) as raised:
        await server.start_server()
    await server.close()

    assert raised.value.setting == "database_url"


async def test_shutdown_closes_open_sockets_with_going_away(make_client: Any) -> None:
    client = await make_client()
    customer = await Customer.join(client)
    await customer.bot_reply()

    closing = asyncio.create_task(customer.closed())
    await client.server.close()

    assert await closing == WSCloseCode.GOING_AWAY


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    return write_rules(tmp_path / "rules")


async def reloading_customer(make_client: Any, make_settings: Any, rules_dir: Path) -> Any:
    settings = make_settings(rules_dir=rules_dir, reload_interval_s=0.02)
    client = await make_client(settings, rulebook=None)
    customer = await Customer.join(client)
    await customer.say("m1", "refund status example one")
    answer = await customer.next_of("message.new", sender="bot", kind="answer")
    assert answer["text"] == "The answer to refund status."
    return client, customer


async def test_edited_rules_file_is_answered_with_the_new_text(
    make_client: Any, make_settings: Any, rules_dir: Path
) -> None:
    client, customer = await reloading_customer(make_client, make_settings, rules_dir)
    edited = BASE_INTENTS.replace("The answer to refund status.", "Refunds now take a day.")
    (rules_dir / "intents" / "base.yaml").write_text(edited, encoding="utf-8")

    holder = client.app[RULES]
    await asyncio.wait_for(holder.wait_until(lambda h: h.current.version == 2), WAIT_S)
    await customer.say("m2", "refund status example two")
    answer = await customer.next_of("message.new", sender="bot", kind="answer")

    assert answer["text"] == "Refunds now take a day."


async def test_broken_rules_edit_keeps_serving_the_old_rules(
    make_client: Any, make_settings: Any, rules_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client, customer = await reloading_customer(make_client, make_settings, rules_dir)
    broken = BASE_INTENTS.replace("The answer to refund status.", "[unclosed")
    (rules_dir / "intents" / "base.yaml").write_text(broken, encoding="utf-8")

    holder = client.app[RULES]
    await asyncio.wait_for(holder.wait_until(lambda h: h.rejected == 1), WAIT_S)
    await customer.say("m2", "refund status example two")
    answer = await customer.next_of("message.new", sender="bot", kind="answer")

    assert answer["text"] == "The answer to refund status."
    assert holder.current.version == 1
    assert "base.yaml:" in str(holder.last_error)
    assert any("base.yaml:" in r.getMessage() for r in caplog.records)


async def test_lock_registry_runs_one_holder_at_a_time_and_forgets_idle_locks() -> None:
    locks = LockRegistry()
    order: list[str] = []
    first_inside = asyncio.Event()

    async def first() -> None:
        async with locks.hold("c1"):
            first_inside.set()
            order.append("first in")
            await asyncio.sleep(0)  # give the second a chance to barge in
            order.append("first out")

    async def second() -> None:
        await first_inside.wait()
        async with locks.hold("c1"):
            order.append("second in")

    await asyncio.gather(first(), second())

    assert order == ["first in", "first out", "second in"]
    assert len(locks) == 0


async def test_lock_registry_forgets_locks_of_cancelled_waiters_and_failed_holders() -> None:
    locks = LockRegistry()
    inside = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold("c1"):
            inside.set()
            await release.wait()
            raise RuntimeError("the turn failed")

    async def waiter() -> None:
        async with locks.hold("c1"):
            pytest.fail("a cancelled waiter never gets the lock")

    held = asyncio.create_task(holder())
    await inside.wait()
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)  # the waiter queues on the lock
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(locks) == 1  # still held by the first
    release.set()
    with pytest.raises(RuntimeError):
        await held

    assert len(locks) == 0
    async with locks.hold("c1"):  # free again at once
        assert len(locks) == 1


@pytest.mark.parametrize(
    ("times", "verdicts"),
    [
        ([0, 0, 0], ["allow", "allow", "limited"]),
        ([0, 0, 0, 0, 0], ["allow", "allow", "limited", "limited", "flood"]),
        ([0, 0, 0, 0.5, 0.5], ["allow", "allow", "limited", "allow", "limited"]),
        ([0, 0, 0, 0, 10], ["allow", "allow", "limited", "limited", "allow"]),
    ],
)
def test_token_bucket_refuses_bursts_and_calls_persistent_refusal_a_flood(
    times: list[float], verdicts: list[str]
) -> None:
    now = [0.0]
    bucket = TokenBucket(Limits(rate_per_s=2, burst=2, flood_strikes=3), lambda: now[0])
    seen = []
    for at in times:
        now[0] = at
        seen.append(bucket.take())

    assert seen == [Verdict(v) for v in verdicts]


async def test_bus_delivers_to_every_subscriber_of_a_topic_only() -> None:
    bus = MemoryBus()
    a, b = await bus.subscribe("t1"), await bus.subscribe("t1")
    other = await bus.subscribe("t2")

    await bus.publish("t1", {"n": 1})

    assert [await a.get(), await b.get()] == [{"n": 1}, {"n": 1}]
    await bus.publish("t2", {"n": 2})
    assert await other.get() == {"n": 2}  # t1's frame never reached it
    await a.close()
    assert bus.subscriber_count("t1") == 1


async def test_bus_subscriber_that_falls_behind_is_told_so() -> None:
    bus = MemoryBus(queue_size=2)
    slow = await bus.subscribe("t")
    for n in range(3):
        await bus.publish("t", {"n": n})

    with pytest.raises(BusOverflowError):
        await slow.get()


async def test_serve_with_bad_rules_prints_the_problems_and_exits_1(tmp_path: Path) -> None:
    rules = write_rules(tmp_path / "rules", {"intents/base.yaml": "intents: [unclosed\n"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--rules", str(rules),
        "--db", str(tmp_path / "h.db"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 1
    assert "base.yaml:" in err.decode()
    assert b"running at" not in out


async def test_serve_with_a_bad_trusted_proxy_names_it_and_exits_2(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--db", str(tmp_path / "h.db"),
        "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "proxy.internal",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 30)

    assert process.returncode == 2
    assert "'proxy.internal' is not an address or network" in err.decode()
    assert b"running at" not in out


async def test_widget_script_is_one_file_with_its_styles_and_the_shared_helpers_inside(
    make_client: Any, make_settings: Any, widget_dir: Path
) -> None:
    client = await make_client(make_settings(widget_dir=widget_dir))

    text = await (await client.get("/widget.js")).text()

    assert text.startswith("(function () {") and text.rstrip().endswith("})();")
    assert 'var HELPLINE_WIDGET_CSS = ".hl-root{}";' in text
    assert text.index("var helplineCommon") < text.index("(function(){})();")


async def test_widget_script_changes_as_its_stylesheet_does_and_is_revalidated(
    make_client: Any, make_settings: Any, widget_dir: Path
) -> None:
    client = await make_client(make_settings(widget_dir=widget_dir))
    first = await client.get("/widget.js")
    etag = first.headers["ETag"]
    unchanged = await client.get("/widget.js", headers={"If-None-Match": etag})
    (widget_dir / "widget.css").write_text(".hl-root{color:red}")
    changed = await client.get("/widget.js", headers={"If-None-Match": etag})

    assert unchanged.status == 304
    assert changed.status == 200 and ".hl-root{color:red}" in await changed.text()
