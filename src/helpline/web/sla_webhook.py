"""The SLA webhook: a breach as a JSON POST to the URL config.yaml's `sla.webhook` names
(Slack's incoming webhooks show its `text`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0  # a slow receiver must not hold up the next tickets' check


class SlaWebhook:
    """One client session for the node's lifetime. A failed call is logged and dropped:
    the breach stays recorded as an event and shown in the consoles either way."""

    def __init__(self, url: Callable[[], str | None]) -> None:
        self.url = url  # read per call: a rules reload may change it
        self._session: aiohttp.ClientSession | None = None

    async def __call__(self, alert: dict[str, Any]) -> None:
        url = self.url()
        if not url:
            return
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_S))
        body = {k: v for k, v in alert.items() if k != "type"} | {"event": alert["type"]}
        try:
            async with self._session.post(url, json=body) as response:
                if response.status >= 300:
                    log.warning("SLA webhook answered %d", response.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("SLA webhook failed: %s", exc)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
