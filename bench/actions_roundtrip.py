"""Custom action cost per call: in-process (rasa-sdk's executor) vs a Rasa action server.

Run: .venv/bin/python bench/actions_roundtrip.py [calls]
Both runners call the StreamFlix example action (bot_rules/actions/subscription.py) for a
known customer; the action server is `python -m rasa_sdk --actions actions` started from
bot_rules/ on a free port, on the same machine, in the same run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from helpline.actions import ActionCall, InProcessRunner, RemoteRunner
from helpline.actions.base import ActionRunner

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "bot_rules"
CALL = ActionCall(
    "action_check_subscription", "demo-1001", "when is my next payment", "en",
    intent="billing_date", confidence=0.93,
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(RULES), "SANIC_HOST": "127.0.0.1"}
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    return subprocess.Popen(
        command, cwd=RULES, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def wait_healthy(url: str, timeout_s: float = 30.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        try:
            with urllib.request.urlopen(url + "/health", timeout=1.0):
                return time.monotonic() - started
        except OSError:
            time.sleep(0.05)  # poll interval while the server binds
    raise TimeoutError(url)


async def timed(runner: ActionRunner, calls: int) -> list[float]:
    await runner.run(CALL, {})  # warm-up: imports, connection
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        await runner.run(CALL, {})
        times.append(time.perf_counter() - started)
    return sorted(times)


def line(name: str, times: list[float]) -> str:
    def ms(q: float) -> float:
        return times[min(len(times) - 1, int(q * len(times)))] * 1000

    return f"{name:<22} p50 {ms(0.5):7.3f} ms   p99 {ms(0.99):7.3f} ms   ({len(times)} calls)"


async def main(calls: int) -> None:
    local = InProcessRunner(sorted((RULES / "actions").glob("*.py")))
    print(line("in-process", await timed(local, calls)))
    port = free_port()
    server = start_server(port)
    try:
        ready = wait_healthy(f"http://127.0.0.1:{port}")
        print(f"action server ready in {ready:.2f} s")
        remote = RemoteRunner(f"http://127.0.0.1:{port}")
        try:
            print(line("rasa_sdk server (HTTP)", await timed(remote, calls)))
        finally:
            await remote.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
