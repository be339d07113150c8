"""A connection's Cork: looked up once, corks and uncorks, and never takes the socket over."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from helpline.web.cork import Cork

Pair = tuple[asyncio.StreamWriter, asyncio.StreamReader]


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    """A connected writer, and the reader at the other end."""
    accepted: asyncio.Future[asyncio.StreamReader] = asyncio.get_running_loop().create_future()
    peers: list[asyncio.StreamWriter] = []

    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer)
        accepted.set_result(reader)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    _, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    reader = await asyncio.wait_for(accepted, 10)
    yield writer, reader
    for w in (writer, *peers):
        w.close()
        await w.wait_closed()
    server.close()
    await server.wait_closed()


def _cork_of(transport: asyncio.BaseTransport) -> int:
    sock = transport.get_extra_info("socket")
    return int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_CORK))


def _cork(writer: asyncio.StreamWriter) -> Cork:
    cork = Cork.of(writer.transport)
    assert cork is not None
    return cork


async def test_hold_corks_the_socket(pair: Pair) -> None:
    writer, _ = pair
    assert _cork(writer).hold()
    assert _cork_of(writer.transport) == 1


async def test_release_uncorks_the_socket(pair: Pair) -> None:
    writer, _ = pair
    cork = _cork(writer)
    cork.hold()
    cork.release()
    assert _cork_of(writer.transport) == 0


async def test_bursts_leave_the_connection_open_and_delivering(pair: Pair) -> None:
    writer, reader = pair
    cork = _cork(writer)
    for n in range(50):
        cork.hold()
        writer.write(b"%d," % n)
        cork.release()
    writer.write(b"end")
    received = await asyncio.wait_for(reader.readuntil(b"end"), 10)
    assert received == b"".join(b"%d," % n for n in range(50)) + b"end"


async def test_hold_on_a_closing_transport_does_nothing(pair: Pair) -> None:
    writer, _ = pair
    cork = _cork(writer)
    writer.close()
    assert cork.hold() is False


def test_no_transport_has_no_cork() -> None:
    assert Cork.of(None) is None


async def test_release_on_a_closing_transport_leaves_the_descriptor_alone(pair: Pair) -> None:
    # the close sends what is held; the number may soon name another connection's socket
    writer, _ = pair
    cork = _cork(writer)
    cork.hold()
    writer.close()  # the descriptor stays open until the loop's next step
    cork.release()
    assert _cork_of(writer.transport) == 1
