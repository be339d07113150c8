"""Run actions on a Rasa action server (`python -m rasa_sdk`) over its HTTP webhook."""

from __future__ import annotations

import json
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
# An action's answer is a few replies and events: a few KB. A megabyte is far more than any
# needs, and bounds what is parsed on the event loop and stored as one message (a 200 MB
# answer took 5.8 s to parse, past the action timeout, and was stored whole).
MAX_ANSWER_BYTES = 1024 * 1024


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
                data = await _json(response, call.name)
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


async def _json(response: aiohttp.ClientResponse, action: str) -> Any:
    too_large = ActionServerError(action, f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
    if response.content_length is not None and response.content_length > MAX_ANSWER_BYTES:
        raise too_large  # not read at all
    body = bytearray()
    while chunk := await response.content.read(MAX_ANSWER_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise too_large
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_JSON  # an error status says enough; a 200 like this is refused by wire.result
