"""`helpline agent add|list|passwd`: create agent accounts, list them, set a password."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from helpline.errors import ConfigError, StoreError
from helpline.password import Passwords, is_locked, locked, strength_problem, unlocked
from helpline.store import open_store
from helpline.store.agents import Agent, AgentStore, agent_store, check_agent

T = TypeVar("T")


class AgentCommandError(Exception):
    """A refusal worth one line on stderr (CLI only: the core raises StoreError)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("agent", help="manage agent accounts")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="create an agent; prints its id")
    add.add_argument("--email", required=True, help="login name, unique ignoring case")
    add.add_argument("--name", required=True, help="shown to customers")
    add.add_argument("--teams", default="", help="comma-separated, e.g. billing,account")
    add.add_argument("--role", default="agent", help="agent (default), supervisor or author")
    add.add_argument("--capacity", default="3", help="max concurrent chats (default 3)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from one stdin line"
    )
    add.add_argument("--db", default="helpline.db", help="SQLite file or database URL")
    add.set_defaults(func=run_add)
    listing = actions.add_parser("list", help="list agents and their presence")
    listing.add_argument("--db", default="helpline.db", help="SQLite file or database URL")
    listing.set_defaults(func=run_list)
    passwd = actions.add_parser(
        "passwd", help="set an agent's password; every session of theirs is signed out"
    )
    passwd.add_argument("--email", required=True, help="the agent's login")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="read the password from one stdin line"
    )
    passwd.add_argument("--db", default="helpline.db", help="SQLite file or database URL")
    passwd.set_defaults(func=run_passwd)
    for name, help_text, func in (
        ("lock", "stop an agent signing in; every session of theirs is signed out", run_lock),
        ("unlock", "let a locked agent sign in again with their password", run_unlock),
    ):
        command = actions.add_parser(name, help=help_text)
        command.add_argument("--email", required=True, help="the agent's login")
        command.add_argument("--db", default="helpline.db", help="SQLite file or database URL")
        command.set_defaults(func=func)


def run_add(args: argparse.Namespace) -> int:
    try:
        teams = tuple(t.strip() for t in args.teams.split(",") if t.strip())
        capacity = _capacity(args.capacity)
        check_agent(
            email=args.email.strip(),
            name=args.name.strip(),
            teams=teams,
            role=args.role,
            capacity=capacity,
        )
        password = _password(args.password_stdin)
        agent = asyncio.run(_add(args, teams, capacity, password))
    except (AgentCommandError, StoreError, ConfigError) as exc:
        print(f"helpline agent add: {exc}", file=sys.stderr)
        return 1
    print(agent.id)
    return 0


def run_list(args: argparse.Namespace) -> int:
    try:
        rows = asyncio.run(_with_store(args.db, _listing))
    except (StoreError, ConfigError) as exc:
        print(f"helpline agent list: {exc}", file=sys.stderr)
        return 1
    for row in rows:
        print("\t".join(row))
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    try:
        password = _password(args.password_stdin)
        ended = asyncio.run(_passwd(args, password))
    except (AgentCommandError, StoreError, ConfigError) as exc:
        print(f"helpline agent passwd: {exc}", file=sys.stderr)
        return 1
    print(f"password changed for {args.email.strip()}; {ended} session(s) signed out")
    return 0


async def _passwd(args: argparse.Namespace, password: str) -> int:
    password_hash = await Passwords().hash(password)

    async def change(store: AgentStore) -> int:
        agent, old_hash = await _by_email(store, args.email)
        # a new password does not unlock a locked account: that is `agent unlock`
        new_hash = locked(password_hash) if is_locked(old_hash) else password_hash
        return await store.set_password(agent.id, new_hash)

    return await _with_store(args.db, change)


def run_lock(args: argparse.Namespace) -> int:
    return _set_lock(args, lock=True)


def run_unlock(args: argparse.Namespace) -> int:
    return _set_lock(args, lock=False)


def _set_lock(args: argparse.Namespace, *, lock: bool) -> int:
    """Lock keeps the password's hash behind a mark that no password matches and signs
    the agent out everywhere (open consoles close at their next session check); unlock
    takes the mark away."""
    email = args.email.strip()

    async def change(store: AgentStore) -> tuple[bool, int]:
        agent, password_hash = await _by_email(store, email)
        if is_locked(password_hash) == lock:
            return False, 0
        new_hash = locked(password_hash) if lock else unlocked(password_hash)
        return True, await store.set_password(agent.id, new_hash)

    try:
        changed, ended = asyncio.run(_with_store(args.db, change))
    except (AgentCommandError, StoreError, ConfigError) as exc:
        print(f"helpline agent {args.action}: {exc}", file=sys.stderr)
        return 1
    state = "locked" if lock else "unlocked"
    if not changed:
        print(f"{email} was already {state}")
    elif lock:
        print(f"{email} locked; {ended} session(s) signed out")
    else:
        print(f"{email} unlocked")
    return 0


async def _by_email(store: AgentStore, email: str) -> tuple[Agent, str]:
    found = await store.agent_by_email(email.strip())
    if found is None:
        raise AgentCommandError(f"no agent with email {email.strip()!r}")
    return found


def _capacity(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise AgentCommandError(f"capacity must be a whole number, not {text!r}") from None


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise AgentCommandError("the two passwords differ")
    problem = strength_problem(password)
    if problem:
        raise AgentCommandError(problem)
    return password


async def _add(args: argparse.Namespace, teams: tuple[str, ...], capacity: int, pw: str) -> Agent:
    password_hash = await Passwords().hash(pw)  # before opening: no lock held while hashing

    async def create(store: AgentStore) -> Agent:
        return await store.create_agent(
            email=args.email,
            name=args.name,
            teams=teams,
            role=args.role,
            capacity=capacity,
            password_hash=password_hash,
            now=time.time(),
        )

    return await _with_store(args.db, create)


async def _listing(store: AgentStore) -> list[tuple[str, ...]]:
    presence = {p.agent_id: p.status for p in await store.presences()}
    header = ("id", "email", "name", "role", "capacity", "teams", "presence", "login")
    rows = []
    for a in await store.agents():
        found = await store.agent_by_email(a.email)
        login = "locked" if found is not None and is_locked(found[1]) else "open"
        rows.append(
            (a.id, a.email, a.name, a.role, str(a.capacity), ",".join(a.teams),
             presence.get(a.id, "offline"), login)
        )  # fmt: skip
    return [header, *rows]


async def _with_store(url: str, use: Callable[[AgentStore], Awaitable[T]]) -> T:
    store = open_store(url, setting="--db")
    await store.open()
    try:
        return await use(agent_store(store))
    finally:
        await store.close()
