"""Agent login cost: argon2id at its default cost, and the event loop while it hashes.

    .venv/bin/python bench/agent_login.py [--logins 20] [--concurrent 8] [--probes 200]

The server runs in a subprocess (this script with --serve) on a fresh SQLite file, with
one agent and the login rate limit lifted (the bench fails logins on purpose). Printed:
- sequential login latency (one at a time);
- /healthz latency with no login running, then while `--concurrent` logins are in flight
  (hashing runs in threads, so the loop should keep answering);
- failed-login latency for a wrong password and for an unknown email (the unknown email
  is checked against a dummy hash, so the two should match).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]
EMAIL, PASSWORD = "bench@example.com", "bench password 123"


def serve(port: int, db: str) -> None:
    from aiohttp import web

    from helpline.settings import Settings
    from helpline.web.app import create_app
    from helpline.web.auth_settings import AuthSettings
    from helpline.web.keys import AUTH_SETTINGS

    settings = Settings(rules_dir=REPO / "bot_rules", database_url=db, port=port)
    app = create_app(settings)
    app[AUTH_SETTINGS] = AuthSettings(max_failed_logins=10**9)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def add_agent(db: str) -> None:
    from helpline.password import Passwords
    from helpline.store import SQLiteStore

    store = SQLiteStore(db)
    await store.open()
    try:
        await store.create_agent(
            email=EMAIL, name="Bench", teams=("billing",), role="agent", capacity=3,
            password_hash=await Passwords().hash(PASSWORD), now=time.time(),
        )  # fmt: skip
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def server(db: str, port: int) -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port), db
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(200):  # up to ~10 s for the child to bind
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{url}/healthz"):
                        break
                await asyncio.sleep(0.05)
        yield url
    finally:
        process.terminate()
        await process.wait()


async def timed(call: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    start = time.perf_counter()
    status = await call()
    return (time.perf_counter() - start) * 1000, status


def summary(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{name:<38} n={len(ms):<4} p50={statistics.median(ms):7.1f} ms  p95={p95:7.1f} ms"


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        await add_agent(db)
        async with server(db, args.port) as url, aiohttp.ClientSession() as http:

            async def login(email: str = EMAIL, password: str = PASSWORD) -> int:
                body = {"email": email, "password": password}
                async with http.post(f"{url}/api/agent/login", json=body) as response:
                    return response.status

            async def health() -> int:
                async with http.get(f"{url}/healthz") as response:
                    return response.status

            ok = [(await timed(login))[0] for _ in range(args.logins)]
            print(summary("login, one at a time", ok))
            idle = [(await timed(health))[0] for _ in range(args.probes)]
            print(summary("/healthz, no login running", idle))
            busy: list[float] = []
            logins = [asyncio.create_task(login()) for _ in range(args.concurrent)]
            while not all(t.done() for t in logins):
                busy.append((await timed(health))[0])
            await asyncio.gather(*logins)
            print(summary(f"/healthz, {args.concurrent} logins in flight", busy))
            wrong = [(await timed(lambda: login(password="wrong")))[0] for _ in range(args.logins)]
            print(summary("failed login, wrong password", wrong))
            nobody = [
                (await timed(lambda: login(email="nobody@example.com")))[0]
                for _ in range(args.logins)
            ]
            print(summary("failed login, unknown email", nobody))


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--port", type=int, default=18423)
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
