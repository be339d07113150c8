"""A real `helpline serve` killed with SIGKILL right after a file and its message were
acknowledged: after the restart the message replays with its file, and the file reads."""

from __future__ import annotations

import json

import aiohttp

from attachment_kit import png
from test_crash_recovery import Server, connect, server, session

__all__ = ["server", "session"]  # the fixtures this module uses


async def test_kill_9_after_a_file_and_its_message_are_acknowledged_loses_neither(
    server: Server, session: aiohttp.ClientSession
) -> None:
    tab, ready = await connect(session, server, None, 0)
    token = {"X-Conversation-Token": ready["token"]}
    image = png(8, 8)
    async with session.post(
        f"{server.url}/customer/attachments", params={"name": "screen.png"}, data=image,
        headers={**token, "Content-Type": "image/png"},
    ) as response:  # fmt: skip
        assert response.status == 201
        file = (await response.json())["attachment"]
    frame = {"type": "message.new", "id": "m1", "text": "", "attachment": file["id"]}
    await tab.ws.send_str(json.dumps(frame))
    ack = await tab.next_of("message.ack", id="m1")
    await server.kill()

    await server.start()
    back, _ = await connect(session, server, ready["token"], 0)
    replayed = await back.next_of("message.new", seq=ack["seq"])
    path = f"{server.url}/customer/attachments/{file['id']}"
    async with session.get(path, headers=token) as read:
        content = await read.read()
    await back.ws.close()

    assert replayed["attachment"] == file
    assert content == image
    assert await server.stop() == 0
