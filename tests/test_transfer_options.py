"""The transfer picker's lists, from the board alone: teams with who is online and how many
wait, the other agents online, least loaded first."""

from __future__ import annotations

from helpline.service.handoff.board import Board
from helpline.service.handoff.transfer_options import transfer_options
from helpline.store.agents import Agent
from helpline.store.handoff import Handoff


def agent(agent_id: str, name: str, teams: tuple[str, ...], capacity: int = 2) -> Agent:
    return Agent(agent_id, f"{agent_id}@desk.test", name, teams, "agent", capacity, 0.0)


def row(cid: str, team: str, state: str = "waiting", agent_id: str | None = None) -> Handoff:
    return Handoff(cid, f"t-{cid}", state, team, "normal", False, 0.0, 1.0, agent_id=agent_id)


def desk(*agents: tuple[Agent, str]) -> Board:
    board = Board()
    board.know([a for a, _ in agents])
    for a, status in agents:
        board.set_presence(a.id, status)
    return board


def test_agents_online_are_listed_least_loaded_first_without_the_asking_agent() -> None:
    me, busy, free = (
        agent("me", "Me", ("general",)),
        agent("b", "Bo", ("billing",), 2),
        agent("c", "Cy", ("billing",), 4),
    )
    board = desk((me, "online"), (busy, "online"), (free, "online"))
    board.put(row("c1", "billing", "assigned", "b"))
    board.put(row("c2", "billing", "assigned", "c"))

    options = transfer_options(board, "general", "me")

    assert [(a["name"], a["active"], a["capacity"]) for a in options["agents"]] == [
        ("Cy", 1, 4),
        ("Bo", 1, 2),
    ]


def test_away_and_offline_agents_are_not_offered_as_targets() -> None:
    board = desk(
        (agent("me", "Me", ("general",)), "online"),
        (agent("a", "Away", ("general",)), "away"),
        (agent("o", "Gone", ("general",)), "offline"),
    )

    assert transfer_options(board, "general", "me")["agents"] == []


def test_every_team_is_listed_with_its_agents_online_and_its_line() -> None:
    board = desk(
        (agent("me", "Me", ("general",)), "online"),
        (agent("b", "Bo", ("billing", "account")), "online"),
        (agent("c", "Cy", ("billing",)), "away"),
    )
    board.put(row("c1", "billing"))
    board.put(row("c2", "billing", "offered", "b"))
    board.put(row("c3", "account", "assigned", "b"))

    teams = transfer_options(board, "fallback", "me")["teams"]

    assert teams == [
        {"name": "account", "online": 1, "waiting": 0},
        {"name": "billing", "online": 1, "waiting": 2},
        {"name": "fallback", "online": 0, "waiting": 0},
        {"name": "general", "online": 1, "waiting": 0},
    ]
