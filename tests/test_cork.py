"""Bursts of frames leave corked: TCP_CORK is held for the block and released after it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from helpline.web.cork import Cork, corked


@pytest.fixture
async def transport() -> AsyncIterator[asyncio.WriteTransport]:
    accepted: asyncio.Future[asyncio.StreamWriter] = asyncio.get_running_loop().create_future()
    server = await asyncio.start_server(lambda r, w: accepted.set_result(w), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    peer = await asyncio.wait_for(accepted, 10)
    yield writer.transport
    writer.close()
    await writer.wait_closed()
    peer.close()
    await peer.wait_closed()
    server.close()
    await server.wait_closed()


def _cork_of(transport: asyncio.BaseTransport) -> int:
    sock = transport.get_extra_info("socket")
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK))


async def test_burst_is_written_with_the_socket_corked(transport: asyncio.WriteTransport) -> None:
    with corked(transport):
        assert _cork_of(transport) == 1


async def test_socket_is_uncorked_when_the_burst_ends(transport: asyncio.WriteTransport) -> None:
    with corked(transport):
        transport.write(b"frame")
    assert _cork_of(transport) == 0


async def test_socket_is_uncorked_when_the_burst_fails(transport: asyncio.WriteTransport) -> None:
    with pytest.raises(ConnectionError), corked(transport):
        raise ConnectionError
    assert _cork_of(transport) == 0


async def test_single_frame_leaves_the_socket_alone(transport: asyncio.WriteTransport) -> None:
    with corked(transport, burst=False):
        assert _cork_of(transport) == 0


def test_no_transport_is_no_error() -> None:
    with corked(None):
        pass


async def test_inner_burst_leaves_the_socket_corked_until_the_outer_one_ends(
    transport: asyncio.WriteTransport,
) -> None:
    cork = Cork.of(transport)
    assert cork is not None
    assert cork.hold()
    assert cork.hold()
    cork.release()
    assert _cork_of(transport) == 1
    cork.release()
    assert _cork_of(transport) == 0
