"""Hot reload: watch the rules directory for the app's lifetime and swap rules on change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from helpline.web.keys import RULES, SETTINGS

log = logging.getLogger(__name__)


async def watch_rules_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.reload_interval_s <= 0 or not settings.rules_dir.is_dir():
        yield
        return
    from helpline.matcher.encoder_cache import default_dir
    from helpline.rules.rulebook_cache import RulebookCache
    from helpline.rules.watch import watch_rules

    holder = app[RULES]
    interval = settings.reload_interval_s
    kept = RulebookCache(default_dir())  # beside the matcher's index, as serve's start keeps them
    task = asyncio.create_task(
        watch_rules(settings.rules_dir, holder.replace, holder.reject, interval, cache=kept)
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
