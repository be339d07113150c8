"""Two nodes sharing one PostgreSQL schema and one Redis, as the multi-node tests of a
feature use them: `make_node()` starts another node of the same desk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from backends import fresh_schema
from handoff_kit import Clock, desk_rulebook
from helpline.settings import Settings
from helpline.store.postgres import PostgresStore
from helpline.web.app import create_app

Node = Callable[[], Awaitable[TestClient]]


@pytest.fixture
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    async with fresh_schema(postgres_server) as url:
        yield url


@pytest.fixture
async def shared_store(database_url: str) -> AsyncIterator[PostgresStore]:
    store = PostgresStore(database_url)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def make_node(
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    database_url: str,
    redis_server: str,
    redis_prefix: str,
) -> Node:
    clock = Clock()

    async def make() -> TestClient:
        settings = make_settings(
            database_url=database_url, redis_url=redis_server, redis_prefix=redis_prefix
        )
        client: TestClient = await aiohttp_client(
            create_app(settings, rulebook=desk_rulebook(), clock=clock)
        )
        return client

    return make
