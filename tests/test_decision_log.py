"""The watcher's running copy of recent decisions: each read only what is new, a
decision read twice counted once, one committed late still counted, old ones forgotten."""

from __future__ import annotations

from helpline.service.alert.decision_log import OVERLAP_S, DecisionLog
from helpline.spike import FALLBACK
from helpline.store.alerts import StoredDecision


def answer(event_id: int, at: float, intent: str = "plans") -> StoredDecision:
    return StoredDecision(event_id, at, "answer", intent)


def test_the_first_read_is_the_whole_span_and_later_ones_only_what_is_new() -> None:
    log = DecisionLog()
    assert log.to_read(0, 1000) == [(0, 1000)]
    log.add([answer(1, 10)], 0, 1000)
    assert log.to_read(60, 1060) == [(1000 - OVERLAP_S, 1060)]


def test_a_decision_read_twice_in_the_overlap_counts_once() -> None:
    log = DecisionLog()
    log.add([answer(1, 990)], 0, 1000)
    log.add([answer(1, 990), answer(2, 1010)], 1000 - OVERLAP_S, 1060)
    assert log.counts(0, 1000, 1060) == ({"plans": 1}, {"plans": 1})


def test_a_decision_committed_after_a_read_of_its_time_is_still_counted() -> None:
    log = DecisionLog()
    log.add([answer(1, 995)], 0, 1000)
    log.add([answer(3, 1010), answer(2, 998)], 1000 - OVERLAP_S, 1060)  # id 2 landed late
    assert log.counts(0, 996, 1060) == ({"plans": 2}, {"plans": 1})


def test_decisions_count_toward_their_intent_or_the_fallbacks_and_others_not_at_all() -> None:
    log = DecisionLog()
    found = [
        answer(1, 10),
        StoredDecision(2, 20, "fallback", "plans"),
        StoredDecision(3, 30, "greeting", None),
        StoredDecision(4, 40, "clarify", "refund"),
    ]
    log.add(found, 0, 100)
    assert log.counts(0, 15, 100) == ({FALLBACK: 1, "refund": 1}, {"plans": 1})


def test_what_no_window_reaches_is_forgotten() -> None:
    log = DecisionLog()
    log.add([answer(1, 10), answer(2, 500)], 0, 1000)
    log.forget_before(100)
    assert log.counts(0, 400, 1000) == ({"plans": 1}, {})
    assert log.covered_from == 100


def test_a_longer_baseline_reads_the_older_span_it_lacks() -> None:
    log = DecisionLog()
    log.add([answer(1, 500)], 400, 1000)
    assert log.to_read(100, 1000) == [(100, 400), (1000 - OVERLAP_S, 1000)]
