"""Agents' names beside their ids in a report: a supervisor knows people by name."""

from __future__ import annotations

from typing import Any

from helpline.store.agents import AgentStore


async def name_groups(report: dict[str, Any], agents: AgentStore) -> dict[str, Any]:
    """A report by agent with each group's agent `name` (None for no agent, or one whose
    account is gone); the ids stay the keys. Other reports as they are."""
    if report.get("by") == "agent":
        names = await _names(agents)
        for group in report["groups"]:
            group["name"] = names.get(group["key"] or "")
    return report


async def name_rows(drilled: dict[str, Any], agents: AgentStore) -> dict[str, Any]:
    """A drill-down's conversations with their agent's `agent_name`."""
    if drilled["conversations"]:
        names = await _names(agents)
        for row in drilled["conversations"]:
            row["agent_name"] = names.get(row["agent"] or "")
    return drilled


async def _names(agents: AgentStore) -> dict[str, str]:
    return {agent.id: agent.name for agent in await agents.agents()}
