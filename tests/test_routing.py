from __future__ import annotations

import pytest

from helpline.routing import (
    AgentLoad,
    QueueEntry,
    effective_rank,
    estimate_wait,
    pick_agent,
    position,
    queue_order,
    team_for,
)


def entry(
    cid: str, at: float, priority: str = "normal", team: str = "billing", **kw: object
) -> QueueEntry:
    return QueueEntry(cid, team, priority, at, **kw)  # type: ignore[arg-type]


def agent(
    aid: str,
    active: int = 0,
    capacity: int = 3,
    status: str = "online",
    teams: tuple[str, ...] = ("billing",),
    last: float = 0.0,
) -> AgentLoad:
    return AgentLoad(aid, teams, status, active, capacity, last)


def test_queue_orders_by_priority_then_time_waited() -> None:
    ordered = queue_order(
        [entry("a", 1), entry("b", 2, "high"), entry("c", 0), entry("d", 3, "low")]
    )
    assert [e.conversation_id for e in ordered] == ["b", "c", "a", "d"]


def test_frustration_raises_priority_one_step() -> None:
    assert effective_rank(entry("a", 0, "normal", frustration=0.9)) == effective_rank(
        entry("b", 0, "high")
    )


def test_urgent_flag_goes_to_the_top() -> None:
    ordered = queue_order([entry("a", 0, "high"), entry("b", 5, "low", urgent=True)])
    assert ordered[0].conversation_id == "b"


def test_position_counts_only_the_customers_own_team() -> None:
    entries = [entry("a", 0, team="account"), entry("b", 1), entry("c", 2)]
    assert position(entries, "c") == 2
    assert position(entries, "a") == 1
    assert position(entries, "zzz") is None


@pytest.mark.parametrize(
    ("category", "expected"), [("billing", "billing"), ("unknown", "general"), (None, "general")]
)
def test_team_comes_from_the_intent_category_with_a_fallback(
    category: str | None, expected: str
) -> None:
    assert team_for(category, ["billing", "account", "general"], "general") == expected


def test_least_busy_online_team_member_with_capacity_is_picked() -> None:
    agents = [
        agent("busy", 2),
        agent("free", 1),
        agent("away", 0, status="away"),
        agent("other_team", 0, teams=("account",)),
        agent("full", 3),
    ]
    assert pick_agent(agents, "billing").agent_id == "free"  # type: ignore[union-attr]


def test_round_robin_among_equally_busy_agents() -> None:
    agents = [agent("x", 1, last=50.0), agent("y", 1, last=10.0)]
    assert pick_agent(agents, "billing").agent_id == "y"  # type: ignore[union-attr]


def test_no_agent_when_everyone_is_full_or_excluded() -> None:
    assert pick_agent([agent("full", 3)], "billing") is None
    assert pick_agent([agent("x")], "billing", exclude=["x"]) is None


def test_wait_is_zero_when_a_slot_is_free() -> None:
    assert estimate_wait(1, [agent("x", 1)], "billing", [600.0]) == 0


def test_wait_grows_with_place_and_shrinks_with_slots() -> None:
    one_agent = [agent("x", 3)]
    two_agents = [agent("x", 3), agent("y", 3)]
    assert estimate_wait(3, one_agent, "billing", [300.0]) == 300
    assert estimate_wait(3, two_agents, "billing", [300.0]) == 150


def test_wait_is_unknown_when_nobody_is_online() -> None:
    assert estimate_wait(1, [agent("x", status="offline")], "billing", []) is None


def test_wait_uses_the_median_handling_time() -> None:
    assert estimate_wait(1, [agent("x", 1, capacity=1)], "billing", [60.0, 120.0, 99999.0]) == 120
