"""The CannedStore operations on PostgreSQL: coroutines on a connection."""

from __future__ import annotations

import json

import asyncpg  # type: ignore[import-untyped]

from helpline.store.canned import CANNED_COLUMNS, CannedAnswer, CannedChange, changed, taken
from helpline.store.canned import to_canned as _row


def _values(answer: CannedAnswer) -> tuple[object, ...]:
    bodies = json.dumps(dict(answer.bodies), ensure_ascii=False)
    return (answer.id, answer.shortcut, answer.title, bodies, answer.team,
            answer.created_by, answer.updated_at)  # fmt: skip


async def canned_answers(conn: asyncpg.Connection) -> list[CannedAnswer]:
    rows = await conn.fetch(f"SELECT {CANNED_COLUMNS} FROM canned_answers ORDER BY shortcut")
    return [_row(r) for r in rows]


async def add_canned(conn: asyncpg.Connection, answer: CannedAnswer) -> CannedAnswer:
    try:
        # a savepoint: the refused insert must not abort the operation's transaction
        async with conn.transaction():
            await conn.execute(
                f"INSERT INTO canned_answers ({CANNED_COLUMNS})"
                " VALUES ($1, $2, $3, $4, $5, $6, $7)",
                *_values(answer),
            )
    except asyncpg.UniqueViolationError as exc:
        raise taken(answer.shortcut) from exc
    return answer


async def change_canned(
    conn: asyncpg.Connection, canned_id: str, change: CannedChange, now: float
) -> CannedAnswer | None:
    row = await conn.fetchrow(
        f"SELECT {CANNED_COLUMNS} FROM canned_answers WHERE id = $1 FOR UPDATE", canned_id
    )
    if row is None:
        return None
    new = changed(_row(row), change, now)
    try:
        async with conn.transaction():
            await conn.execute(
                "UPDATE canned_answers SET shortcut = $1, title = $2, bodies = $3, team = $4,"
                " updated_at = $5 WHERE id = $6",
                *_values(new)[1:5], new.updated_at, canned_id,
            )  # fmt: skip
    except asyncpg.UniqueViolationError as exc:
        raise taken(new.shortcut) from exc
    return new


async def delete_canned(conn: asyncpg.Connection, canned_id: str) -> bool:
    status = await conn.execute("DELETE FROM canned_answers WHERE id = $1", canned_id)
    return bool(status == "DELETE 1")
