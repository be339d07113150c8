"""Run actions on a Rasa action server (`python -m rasa_sdk`) over its HTTP webhook."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from helpline.actions import wire
from helpline.actions.base import ActionCall, ActionResult
from helpline.errors import ActionServerError

log = logging.getLogger(__name__)

_NOT_JSON = object()


def webhook_url(endpoint: str) -> URL:
    """The webhook URL: Rasa's endpoints.yml names it in full; a bare server URL gets /webhook."""
    url = URL(endpoint)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"not an http(s) URL: {endpoint!r}")
    return url.with_path("/webhook") if url.path in ("", "/") else url


class RemoteRunner:
    """POSTs the webhook JSON; one client session per node, opened on first use."""

    def __init__(self, endpoint: str, timeout_s: float = 5.0) -> None:
        self.url = webhook_url(endpoint)
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def run(self, call: ActionCall, domain: Mapping[str, Any]) -> ActionResult:
        body = wire.action_call(call, domain)
        try:
            async with self._client().post(self.url, json=body) as response:
                data = await _json(response)
                status = response.status
        except TimeoutError as exc:
            raise ActionServerError(call.name, f"no answer from {self.url} in time") from exc
        except aiohttp.ClientError as exc:
            raise ActionServerError(call.name, f"cannot reach {self.url}: {exc}") from exc
        if status != 200:
            raise wire.error_for_status(call.name, status, data)
        return wire.result(call.name, data)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session


async def _json(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        return _NOT_JSON  # an error status says enough; a 200 like this is refused by wire.result
