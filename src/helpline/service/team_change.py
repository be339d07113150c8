"""What a supervisor may ask of the team, read from a request body into typed values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpline.errors import TeamError
from helpline.store.agents import MAX_EMAIL_CHARS, MAX_NAME_CHARS, ROLES

MAX_TEAMS = 20  # an agent in more teams than this is a typing mistake, not a desk
MAX_TEAM_CHARS = 40
MAX_CAPACITY = 50  # concurrent chats: far above what a person can answer well
NEW_FIELDS = frozenset({"email", "name", "role", "teams", "capacity"})
CHANGE_FIELDS = frozenset({"name", "role", "teams", "capacity", "locked"})


@dataclass(frozen=True)
class NewAgent:
    email: str
    name: str
    role: str
    teams: tuple[str, ...]
    capacity: int


@dataclass(frozen=True)
class AgentChange:
    """Only the fields given; None leaves one as it is."""

    name: str | None = None
    role: str | None = None
    teams: tuple[str, ...] | None = None
    capacity: int | None = None
    locked: bool | None = None


def new_agent_from(body: Any) -> NewAgent:
    fields = _object(body, NEW_FIELDS)
    for required in ("email", "name"):
        if required not in fields:
            raise _bad(required, f"{required} is required")
    return NewAgent(
        email=_email(fields["email"]),
        name=_name(fields["name"]),
        role=_role(fields.get("role", "agent")),
        teams=_teams(fields.get("teams", [])),
        capacity=_capacity(fields.get("capacity", 3)),
    )


def change_from(body: Any) -> AgentChange:
    fields = _object(body, CHANGE_FIELDS)
    if not fields:
        raise _bad(None, f"give at least one of {', '.join(sorted(CHANGE_FIELDS))}")
    locked = fields.get("locked")
    if locked is not None and not isinstance(locked, bool):
        raise _bad("locked", "locked must be true or false")
    return AgentChange(
        name=_name(fields["name"]) if "name" in fields else None,
        role=_role(fields["role"]) if "role" in fields else None,
        teams=_teams(fields["teams"]) if "teams" in fields else None,
        capacity=_capacity(fields["capacity"]) if "capacity" in fields else None,
        locked=locked,
    )


def _object(body: Any, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _bad(None, "the body must be a JSON object")
    for key in body:
        if key not in allowed:
            raise _bad(str(key)[:40], f"unknown field {str(key)[:40]!r}")
    return body


def _email(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    local, at, domain = text.rpartition("@")
    if not (at and local and domain) or len(text) > MAX_EMAIL_CHARS or " " in text:
        raise _bad("email", "email must be an email address")
    return text


def _name(value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_NAME_CHARS:
        raise _bad("name", f"name must be 1-{MAX_NAME_CHARS} characters")
    return text


def _role(value: Any) -> str:
    if value not in ROLES:
        raise _bad("role", f"role must be one of {', '.join(ROLES)}")
    return str(value)


def _teams(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) > MAX_TEAMS:
        raise _bad("teams", f"teams must be a list of at most {MAX_TEAMS} team names")
    teams: list[str] = []
    for item in value:
        name = item.strip() if isinstance(item, str) else ""
        if not name or len(name) > MAX_TEAM_CHARS or "," in name:
            raise _bad("teams", f"a team name must be 1-{MAX_TEAM_CHARS} characters, no commas")
        if name not in teams:
            teams.append(name)
    return tuple(teams)


def _capacity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise _bad("capacity", f"capacity must be a whole number from 1 to {MAX_CAPACITY}")
    return value


def _bad(field: str | None, message: str) -> TeamError:
    return TeamError("bad_request", message, field)
