"""The mailer's lifetime in the app: built at start-up, its sender task stopped at cleanup."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from helpline.service.mail import Mailer
from helpline.web.keys import CLOCK, MAILER, SETTINGS, STORE


async def mailer_ctx(app: web.Application) -> AsyncIterator[None]:
    """Registered after the store's context, so the sender stops before the store closes."""
    settings = app[SETTINGS]
    mailer = Mailer(app[STORE], settings.smtp, app[CLOCK], settings.outbox)
    app[MAILER] = mailer
    sender = asyncio.create_task(mailer.run(), name="helpline-mailer")
    try:
        yield
    finally:
        mailer.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
