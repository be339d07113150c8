"""`helpline agent add|list|passwd|lock|unlock` as real processes on a real SQLite file."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import WAIT_S
from helpline.rules.model import Rulebook
from helpline.settings import Settings
from helpline.store import SQLiteStore
from helpline.web.app import create_app

PASSWORD = "long enough secret"
AGENT_ID = re.compile(r"a_[0-9a-f]{32}")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def helpline(*args: str, stdin: str = "") -> Ran:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "helpline",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), WAIT_S * 4)
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())


async def add(db: Path, *extra: str, email: str = "ann@example.com", pw: str = PASSWORD) -> Ran:
    return await helpline(
        "agent", "add", "--email", email, "--name", "Ann", "--db", str(db),
        "--password-stdin", *extra, stdin=pw + "\n",
    )  # fmt: skip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "agents.db"


async def test_add_prints_the_new_agents_id_only(db: Path) -> None:
    ran = await add(db, "--teams", "billing,account", "--role", "supervisor", "--capacity", "2")

    assert ran.code == 0
    assert AGENT_ID.fullmatch(ran.out.strip())


async def test_added_agent_logs_in_with_that_password_through_the_app(
    db: Path,
    aiohttp_client: Any,
    make_settings: Callable[..., Settings],
    rulebook: Rulebook,
) -> None:
    ran = await add(db, "--teams", "billing,account", "--capacity", "4")
    store = SQLiteStore(db)
    await store.open()
    try:
        client = await aiohttp_client(create_app(make_settings(), store=store, rulebook=rulebook))
        response = await client.post(
            "/api/agent/login", json={"email": "ANN@example.com", "password": PASSWORD}
        )
        agent = (await response.json())["agent"]
        await client.close()
    finally:
        await store.close()

    assert response.status == 200
    assert agent["id"] == ran.out.strip()
    assert (agent["teams"], agent["role"], agent["capacity"]) == (
        ["billing", "account"],
        "agent",
        4,
    )


async def test_second_agent_with_the_same_email_is_refused_in_one_line(db: Path) -> None:
    await add(db)

    ran = await add(db, email="Ann@Example.com")

    assert ran.code == 1
    assert ran.err.splitlines() == [
        "helpline agent add: an agent with email 'Ann@Example.com' already exists"
    ]


@pytest.mark.parametrize(
    ("extra", "password", "complaint"),
    [
        (("--role", "admin"), PASSWORD, "role 'admin' is not one of agent, supervisor, author"),
        (("--capacity", "0"), PASSWORD, "capacity must be a whole number of at least 1, not 0"),
        (("--capacity", "many"), PASSWORD, "capacity must be a whole number, not 'many'"),
        (("--name", " "), PASSWORD, "name must be 1-100 characters"),
        (("--teams", "billing"), "short", "the password must have at least 8 characters"),
        ((), "", "the password must have at least 8 characters"),
    ],
)
async def test_invalid_add_is_refused_in_one_line_without_touching_the_database(
    db: Path, extra: tuple[str, ...], password: str, complaint: str
) -> None:
    ran = await add(db, *extra, pw=password)

    assert (ran.code, ran.out) == (1, "")
    assert ran.err.splitlines() == [f"helpline agent add: {complaint}"]
    assert not db.exists()


async def test_list_shows_each_agent_with_teams_and_presence(db: Path) -> None:
    added = await add(db, "--teams", "billing")

    ran = await helpline("agent", "list", "--db", str(db))

    assert ran.code == 0
    assert ran.out.splitlines() == [
        "id\temail\tname\trole\tcapacity\tteams\tpresence\tlogin",
        f"{added.out.strip()}\tann@example.com\tAnn\tagent\t3\tbilling\toffline\topen",
    ]


@dataclass
class Console:
    """The app on the agents' database, as the browser's sign-in page talks to it."""

    client: Any

    async def log_in(self, password: str = PASSWORD) -> Any:
        self.client.session.cookie_jar.clear()
        return await self.client.post(
            "/api/agent/login", json={"email": "ann@example.com", "password": password}
        )

    async def token(self) -> str:
        token: str = (await (await self.log_in()).json())["token"]
        return token

    async def me(self, token: str) -> int:
        response = await self.client.get(
            "/api/agent/me", headers={"Authorization": f"Bearer {token}"}
        )
        return int(response.status)


@pytest.fixture
async def console(
    db: Path, aiohttp_client: Any, make_settings: Callable[..., Settings], rulebook: Rulebook
) -> AsyncIterator[Console]:
    """Ann's account, made by the CLI, and an app serving the same SQLite file."""
    await add(db)
    store = SQLiteStore(db)
    await store.open()
    try:
        client = await aiohttp_client(create_app(make_settings(), store=store, rulebook=rulebook))
        yield Console(client)
        await client.close()
    finally:
        await store.close()


async def test_passwd_sets_a_new_password_and_signs_out_every_session(
    db: Path, console: Console
) -> None:
    token = await console.token()

    ran = await helpline(
        "agent", "passwd", "--email", "Ann@example.com", "--db", str(db),
        "--password-stdin", stdin="a brand new secret\n",
    )  # fmt: skip

    me = await console.me(token)
    old = (await console.log_in(PASSWORD)).status
    new = (await console.log_in("a brand new secret")).status
    assert (ran.code, ran.out.strip()) == (
        0, "password changed for Ann@example.com; 1 session(s) signed out"
    )  # fmt: skip
    assert (me, old, new) == (401, 401, 200)


async def test_passwd_for_an_unknown_email_is_refused_in_one_line(db: Path) -> None:
    await add(db)

    ran = await helpline(
        "agent", "passwd", "--email", "zed@example.com", "--db", str(db), "--password-stdin",
        stdin="a brand new secret\n",
    )  # fmt: skip

    assert ran.code == 1
    assert ran.err.splitlines() == ["helpline agent passwd: no agent with email 'zed@example.com'"]


async def test_lock_signs_the_agent_out_and_refuses_even_the_right_password_until_unlock(
    db: Path, console: Console
) -> None:
    token = await console.token()

    locked = await helpline("agent", "lock", "--email", "ann@example.com", "--db", str(db))
    again = await helpline("agent", "lock", "--email", "ann@example.com", "--db", str(db))
    me = await console.me(token)
    while_locked = (await console.log_in()).status
    # a new password set meanwhile does not open the account either
    await helpline(
        "agent", "passwd", "--email", "ann@example.com", "--db", str(db),
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    after_passwd = (await console.log_in()).status
    listed = await helpline("agent", "list", "--db", str(db))
    unlocked = await helpline("agent", "unlock", "--email", "ann@example.com", "--db", str(db))
    after_unlock = (await console.log_in()).status

    assert (locked.code, locked.out.strip()) == (
        0,
        "ann@example.com locked; 1 session(s) signed out",
    )
    assert again.out.strip() == "ann@example.com was already locked"
    assert (me, while_locked, after_passwd, after_unlock) == (401, 401, 401, 200)
    assert listed.out.splitlines()[1].endswith("\tlocked")
    assert (unlocked.code, unlocked.out.strip()) == (0, "ann@example.com unlocked")


async def test_lock_for_an_unknown_email_is_refused_in_one_line(db: Path) -> None:
    await add(db)

    ran = await helpline("agent", "lock", "--email", "zed@example.com", "--db", str(db))

    assert ran.code == 1
    assert ran.err.splitlines() == ["helpline agent lock: no agent with email 'zed@example.com'"]
