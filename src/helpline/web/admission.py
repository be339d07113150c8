"""Who may open a socket or start a conversation: counts per client address, and the
node's descriptor head-room. One per node, in memory (each node counts its own)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from helpline.client_address import Network, client_address
from helpline.errors import ProtocolError
from helpline.service import frames
from helpline.settings import ConnectionLimits
from helpline.web.attempts import FailedAttempts
from helpline.web.descriptors import DescriptorBudget

CONVERSATION_WINDOW_S = 60.0


@dataclass(frozen=True)
class Refusal:
    """Why a socket is not opened, as the HTTP answer to its upgrade request."""

    status: int  # 429: this address has enough; 503: this node has no room
    code: str
    message: str
    retry_after_s: int

    def response(self) -> web.Response:
        body = {"error": self.code, "message": self.message, "retry_after_s": self.retry_after_s}
        headers = {"Retry-After": str(self.retry_after_s)}
        return web.json_response(body, status=self.status, headers=headers)


class Admission:
    """Asked before every upgrade and every new conversation; told when a socket closes."""

    def __init__(
        self,
        limits: ConnectionLimits,
        descriptors: DescriptorBudget,
        clock: Callable[[], float],
    ) -> None:
        self.limits = limits
        self.descriptors = descriptors
        self._open: Counter[str] = Counter()
        # the failed-login counter's sliding window, here counting conversations started
        self._started = FailedAttempts(
            limits.new_conversations_per_minute, CONVERSATION_WINDOW_S, clock
        )

    def refuse_socket(self, address: str) -> Refusal | None:
        """None when the address may open one more socket now."""
        if self._open[address] >= self.limits.sockets_per_address:
            limit = self.limits.sockets_per_address
            return Refusal(429, "too_many_sockets", f"at most {limit} open sockets per address", 5)
        # the upgraded connection already holds its descriptor: nothing to add to the count
        if self.descriptors.refusing():
            return Refusal(503, "unavailable", "this node is at its connection limit", 5)
        return None

    def socket_opened(self, address: str) -> None:
        """Count a socket of address while it is open (until socket_closed)."""
        self._open[address] += 1

    def socket_closed(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]

    def start_conversation(self, address: str) -> None:
        """Count a new conversation of address; ProtocolError `rate_limited` when it has
        started its fill this minute. Checked and counted in one step: hellos sent at once
        cannot all slip through."""
        wait = self._started.retry_after(address)
        if wait is not None:
            raise ProtocolError(
                frames.RATE_LIMITED,
                f"too many new conversations from this address; try again in {wait} s",
            )
        self._started.record(address)


def address_of(request: web.Request, trusted: tuple[Network, ...]) -> str:
    """The client's address (a trusted proxy's X-Forwarded-For, else the peer)."""
    return client_address(request.remote, request.headers.get("X-Forwarded-For"), trusted)
