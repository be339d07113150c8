"""The board's ordered lines against routing's definitions, under random changes: the
order is routing.queue_order's, and the places a pass works out are every one that moved."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from helpline import routing
from helpline.routing import AgentLoad, QueueEntry
from helpline.service.handoff.board import Board, Place
from helpline.store.agents import Agent
from helpline.store.handoff import Handoff

TEAMS = ("general", "billing")
AGENTS = (
    Agent("ann", "ann@desk.test", "Ann", ("general", "billing"), "agent", 2, 0.0),
    Agent("bo", "bo@desk.test", "Bo", ("billing",), "agent", 1, 0.0),
)
IDS = st.sampled_from([f"c{n}" for n in range(6)])


def entry_of(row: Handoff) -> QueueEntry:
    return QueueEntry(
        row.conversation_id, row.team, row.priority, row.enqueued_at, row.frustration, row.urgent
    )


def waiting(cid: str, at: float, team: str = "general", priority: str = "normal") -> Handoff:
    return Handoff(cid, f"t-{cid}", "waiting", team, priority, False, 0.0, at)


rows_st = st.builds(
    lambda cid, state, team, priority, urgent, frustration, at, agent: Handoff(
        cid, f"t-{cid}", state, team, priority, urgent, frustration, float(at),
        agent_id=None if state == "waiting" else agent,
    ),
    IDS,
    st.sampled_from(["waiting", "waiting", "offered", "assigned"]),
    st.sampled_from(TEAMS),
    st.sampled_from(list(routing.PRIORITY_RANK)),
    st.booleans(),
    st.sampled_from([0.0, 0.69, 0.7, 0.95]),
    st.integers(0, 5),  # few distinct times: ties broken by the id
    st.sampled_from([a.id for a in AGENTS]),
)  # fmt: skip


class BoardAgainstRouting(RuleBasedStateMachine):
    """A reference model kept beside the board: the rows, presence and handling times."""

    shared = False  # one node: every customer in line is told

    def __init__(self) -> None:
        super().__init__()
        self.board = Board()
        self.board.know(AGENTS)
        self.rows: dict[str, Handoff] = {}
        self.presence = {a.id: "offline" for a in AGENTS}
        self.handle_times: list[float] = []

    # --- changes ----------------------------------------------------------------------

    @rule(row=rows_st)
    def put(self, row: Handoff) -> None:
        self.board.put(row)
        self.rows[row.conversation_id] = row

    @rule(cid=IDS, priority=st.sampled_from(list(routing.PRIORITY_RANK)), urgent=st.booleans())
    def change_priority(self, cid: str, priority: str, urgent: bool) -> None:
        if cid in self.rows:
            self.put(replace(self.rows[cid], priority=priority, urgent=urgent))

    @rule(cid=IDS)
    def drop(self, cid: str) -> None:
        self.board.drop(cid)
        self.rows.pop(cid, None)

    @rule(
        agent=st.sampled_from([a.id for a in AGENTS]),
        status=st.sampled_from(["online", "away", "offline"]),
    )
    def presence_changes(self, agent: str, status: str) -> None:
        self.board.set_presence(agent, status)
        self.presence[agent] = status

    @rule(seconds=st.sampled_from([30.0, 120.0, 600.0]))
    def handled(self, seconds: float) -> None:
        self.board.handled(seconds)
        self.handle_times.append(seconds)

    @rule(cid=IDS)
    def customer_connects(self, cid: str) -> None:
        self.board.customer_joined(cid)

    @rule(cid=IDS)
    def customer_disconnects(self, cid: str) -> None:
        self.board.customer_left(cid)  # what they were told is forgotten

    @rule()
    def tell(self) -> None:
        """The service's pass: each place due and not already told is told (with several
        nodes, only to customers connected to this one)."""
        for cid, place in self.board.places_to_tell(self.board.loads(offers=False)):
            if self.shared and not self.board.has_customer(cid):
                continue
            if not self.board.was_told(cid, place):
                self.board.told(cid, place)
        for cid in self.in_line():
            if not self.shared or self.board.has_customer(cid):
                assert self.board.was_told(cid, self.expected_place(cid)), cid

    # --- the reference: routing's functions over the model ---------------------------

    def in_line(self, team: str | None = None) -> list[str]:
        entries = [
            entry_of(r) for r in self.rows.values()
            if r.state != "assigned" and (team is None or r.team == team)
        ]  # fmt: skip
        return [e.conversation_id for e in routing.queue_order(entries)]

    def loads(self, offers: bool) -> list[AgentLoad]:
        def active(agent: str) -> int:
            return sum(
                1 for r in self.rows.values()
                if r.agent_id == agent and (offers or r.state == "assigned")
            )  # fmt: skip

        return [
            AgentLoad(a.id, a.teams, self.presence[a.id], active(a.id), a.capacity) for a in AGENTS
        ]

    def expected_place(self, cid: str, joining: Handoff | None = None) -> Place:
        rows = dict(self.rows)
        if joining is not None:
            rows[joining.conversation_id] = joining
        line = [entry_of(r) for r in rows.values() if r.state != "assigned"]
        team = rows[cid].team
        n = routing.position(line, cid)
        assert n is not None
        loads = self.loads(offers=False)
        online = sum(1 for a in loads if team in a.teams and a.status == "online")
        return Place(n, routing.estimate_wait(n, loads, team, self.handle_times), online)

    # --- what must always hold --------------------------------------------------------

    @invariant()
    def each_line_is_in_queue_order(self) -> None:
        assert [r.conversation_id for r in self.board.line()] == self.in_line()
        for team in TEAMS:
            assert [r.conversation_id for r in self.board.line(team)] == self.in_line(team)

    @invariant()
    def places_are_routings(self) -> None:
        for cid in self.in_line():
            assert self.board.place(cid) == self.expected_place(cid)
        for team in TEAMS:
            assert self.board.places(team) == {
                cid: self.expected_place(cid) for cid in self.in_line(team)
            }

    @invariant()
    def loads_count_the_rows(self) -> None:
        for offers in (True, False):
            found = [replace(a, last_assigned_at=0.0) for a in self.board.loads(offers=offers)]
            assert found == self.loads(offers)

    @invariant()
    def the_offer_walk_takes_waiting_rows_in_queue_order(self) -> None:
        for teams in ({"general"}, {"billing"}, set(TEAMS)):
            walked = [r.conversation_id for r in self.board.waiting_in_order(lambda t=teams: t)]
            expected = [
                cid for cid in self.in_line()
                if self.rows[cid].state == "waiting" and self.rows[cid].team in teams
            ]  # fmt: skip
            assert walked == expected

    @invariant()
    def the_head_of_a_view_is_the_merged_line(self) -> None:
        rows, places, total = self.board.head(["billing"], 3)
        line = self.in_line("billing")
        assert [r.conversation_id for r in rows] == line[:3]
        assert places == list(range(1, len(rows) + 1)) and total == len(line)
        rows, places, total = self.board.head(None, 5)
        assert [r.conversation_id for r in rows] == self.in_line()[:5]
        assert places == [self.in_line(r.team).index(r.conversation_id) + 1 for r in rows]

    @rule(row=rows_st)
    def a_handover_is_placed_where_it_would_stand(self, row: Handoff) -> None:
        joining = replace(row, state="waiting", agent_id=None)
        assert self.board.joining_place(joining) == self.expected_place(
            joining.conversation_id, joining
        )


class SharedBoardAgainstRouting(BoardAgainstRouting):
    shared = True  # several nodes: each tells the customers connected to it


RUNS = settings(max_examples=200, stateful_step_count=30, deadline=None)
BoardAgainstRouting.TestCase.settings = RUNS
SharedBoardAgainstRouting.TestCase.settings = RUNS
test_board_against_routing = BoardAgainstRouting.TestCase
test_board_against_routing_on_several_nodes = SharedBoardAgainstRouting.TestCase


def board_of(count: int) -> Board:
    board = Board()
    board.know(AGENTS)
    for n in range(count):
        board.put(waiting(f"c{n:02d}", float(n)))
    return board


def pass_over(board: Board) -> list[str]:
    """One pass as the service makes it; the conversations whose place was worked out."""
    due = board.places_to_tell(board.loads(offers=False))
    for cid, place in due:
        board.told(cid, place)
    return [cid for cid, _ in due]


def test_a_pass_with_nothing_moved_works_out_no_place() -> None:
    board = board_of(50)
    pass_over(board)

    assert pass_over(board) == []


def test_a_conversation_joining_at_the_end_is_the_only_place_worked_out() -> None:
    board = board_of(50)
    pass_over(board)

    board.put(waiting("new", 99.0))

    assert pass_over(board) == ["new"]


def test_when_the_head_leaves_every_place_behind_it_is_worked_out() -> None:
    board = board_of(50)
    pass_over(board)

    board.drop("c00")

    assert pass_over(board) == [f"c{n:02d}" for n in range(1, 50)]


def test_an_offer_moves_nobody() -> None:
    board = board_of(5)
    pass_over(board)

    board.put(replace(board.rows["c00"], state="offered", agent_id="ann"))

    assert pass_over(board) == []


def test_an_agent_coming_online_changes_every_wait_in_their_teams() -> None:
    board = board_of(3)
    board.put(waiting("b1", 0.5, team="billing"))
    pass_over(board)

    board.set_presence("bo", "online")  # billing only

    assert pass_over(board) == ["b1"]


def test_customers_told_nobody_is_there_are_not_worked_out() -> None:
    board = board_of(3)
    board.mark_offline("c01")

    assert pass_over(board) == ["c00", "c02"]


def test_a_customer_who_left_is_worked_out_again_while_others_move_behind_them() -> None:
    board = board_of(3)
    pass_over(board)

    board.customer_left("c00")  # what they were told is forgotten
    board.put(waiting("new", 99.0))

    assert pass_over(board) == ["new", "c00"]
