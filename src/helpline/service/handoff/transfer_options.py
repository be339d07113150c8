"""Where an agent can transfer a conversation: every team with who is online and how many
wait, and the other agents online with their load, as the transfer picker lists them."""

from __future__ import annotations

from typing import Any

from helpline.service.handoff.board import Board

TRANSFER_OPTIONS = "transfer.options"


def transfer_options(board: Board, fallback_team: str, agent_id: str) -> dict[str, Any]:
    """Teams by name; agents least loaded first (then by name), the asking agent left out:
    the same list on every node, since every node's board knows every agent."""
    waiting: dict[str, int] = {}
    for row in board.line():
        waiting[row.team] = waiting.get(row.team, 0) + 1
    teams = [
        {"name": team, "online": board.agents_online(team), "waiting": waiting.get(team, 0)}
        for team in sorted(board.teams(fallback_team))
    ]
    online = [
        load for load in board.loads()
        if load.status == "online" and load.agent_id != agent_id and load.agent_id in board.agents
    ]  # fmt: skip
    online.sort(key=lambda a: (a.active / max(a.capacity, 1), board.agents[a.agent_id].name))
    agents = [
        {
            "id": load.agent_id,
            "name": board.agents[load.agent_id].name,
            "teams": list(load.teams),
            "active": load.active,
            "capacity": load.capacity,
        }  # fmt: skip
        for load in online
    ]
    return {"type": TRANSFER_OPTIONS, "teams": teams, "agents": agents}
