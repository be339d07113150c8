"""The alert webhook's sender: JSON POSTs off the watcher's path, retried a little."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

ATTEMPTS = 3  # then the alert is logged as undelivered; consoles and /metrics still have it
FIRST_RETRY_S = 2.0  # doubled after each failure: 2 s, 4 s
TIMEOUT_S = 10.0
QUEUE_SIZE = 100  # alerts waiting to be posted; beyond that a receiver is down for good


class WebhookSender:
    """`send` only queues (the watcher never waits on a receiver); one task posts them in
    order. A 2xx answer is delivered; anything else is retried ATTEMPTS times in all."""

    def __init__(
        self, url: str, *, attempts: int = ATTEMPTS, first_retry_s: float = FIRST_RETRY_S
    ) -> None:
        self.url = url
        self.attempts, self.first_retry_s = attempts, first_retry_s
        self._queue: asyncio.Queue[Mapping[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._task: asyncio.Task[None] | None = None

    def send(self, body: Mapping[str, Any]) -> None:
        try:
            self._queue.put_nowait(body)
        except asyncio.QueueFull:
            log.error("alert webhook: %d alerts undelivered; this one dropped", QUEUE_SIZE)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                body = await self._queue.get()
                await self._deliver(session, body)

    async def _deliver(self, session: aiohttp.ClientSession, body: Mapping[str, Any]) -> None:
        for attempt in range(1, self.attempts + 1):
            problem = await self._post(session, body)
            if problem is None:
                return
            log.warning(
                "alert webhook: attempt %d of %d failed: %s", attempt, self.attempts, problem
            )
            if attempt < self.attempts:
                await asyncio.sleep(self.first_retry_s * 2 ** (attempt - 1))
        log.error("alert webhook: gave up on alert %s", body.get("alert", {}).get("id"))

    async def _post(self, session: aiohttp.ClientSession, body: Mapping[str, Any]) -> str | None:
        """None when delivered, else what went wrong."""
        try:
            async with session.post(self.url, json=body) as response:
                if 200 <= response.status < 300:
                    return None
                return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"
