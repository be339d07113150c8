"""The board: this node's view of the desk, changed only through its methods."""

from __future__ import annotations

from dataclasses import replace

from helpline.service.handoff.board import Board, Place
from helpline.store.agents import Agent
from helpline.store.handoff import Handoff

ANN = Agent("ann", "ann@desk.test", "Ann", ("general",), "agent", 2, 0.0)


def waiting(cid: str, enqueued_at: float, priority: str = "normal") -> Handoff:
    return Handoff(cid, f"t-{cid}", "waiting", "general", priority, False, 0.0, enqueued_at)


def board_with_ann_online() -> Board:
    board = Board()
    board.know([ANN])
    board.set_presence(ANN.id, "online")
    return board


def test_an_assigned_row_leaves_the_line_and_its_customer_is_told_no_place() -> None:
    board = board_with_ann_online()
    board.put(waiting("c1", 1.0))
    board.told("c1", Place(1, 0.0, 1))
    board.mark_offline("c1")

    board.put(replace(board.rows["c1"], state="assigned", agent_id=ANN.id))

    assert board.line() == []
    assert not board.was_told("c1", Place(1, 0.0, 1))
    assert not board.is_offline("c1")


def test_where_a_handover_would_stand_is_seen_without_putting_it_on_the_board() -> None:
    board = board_with_ann_online()
    board.put(waiting("c1", 1.0))
    stamp = board.stamp("c1")

    joining = board.joining_place(waiting("c2", 0.5, priority="high"))

    assert (joining.position, board.places("general")["c1"].position) == (1, 1)
    assert list(board.rows) == ["c1"] and board.stamp("c1") == stamp


def test_a_dropped_conversation_takes_everything_known_of_it_along() -> None:
    board = board_with_ann_online()
    board.put(waiting("c1", 1.0))
    board.told("c1", Place(1, 0.0, 1))
    board.mark_offline("c1")

    assert board.drop("c1") is not None
    board.put(waiting("c1", 2.0))  # the customer is handed over again later

    assert not board.is_offline("c1")
    assert not board.was_told("c1", Place(1, 0.0, 1))


def test_the_grace_period_ends_only_for_agents_with_no_console_open_here() -> None:
    board = board_with_ann_online()
    board.console_opened("ann")
    board.console_closed("ann", now=10.0)
    board.console_opened("bo")
    board.start_grace("bo", now=10.0)  # counted gone by a node that had not heard of it

    assert board.grace_over(now=69.0, grace_s=60.0) == []
    assert board.grace_over(now=70.0, grace_s=60.0) == ["ann"]
    assert not board.in_grace("ann") and board.agents_here() == ["bo"]


def test_a_customer_counts_as_here_until_their_last_socket_closes() -> None:
    board = Board()
    board.put(waiting("c1", 1.0))

    assert board.customer_joined("c1") is True
    assert board.customer_joined("c1") is False
    assert board.customer_left("c1") is False
    assert board.customers_here() == ["c1"]
    assert board.customer_left("c1") is True
    assert not board.has_customer("c1")
