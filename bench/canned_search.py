"""The agent's `/` search over the supervisors' canned answers: one search's latency at
200 and 1,000 answers, bodies of 60 and 300 words, against the same search over whole
bodies (what INDEXED_BODY_CHARS avoids), in the same run.

    .venv/bin/python bench/canned_search.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Callable

from rapidfuzz import fuzz, process, utils

from helpline.bus.memory import MemoryBus
from helpline.service.handoff.canned_library import CannedLibrary
from helpline.store.agents import Agent
from helpline.store.canned import CannedAnswer, CannedChange

WORDS = [
    "refund", "payment", "card", "plan", "cancel", "device", "error", "login", "password",
    "profile", "download", "subscription", "invoice", "late", "parcel", "account",
    "환불", "결제", "카드", "해지", "오류", "로그인",
]  # fmt: skip
QUERIES = ("s12", "refund policy", "my card payment failed yesterday")
AGENT = Agent("a_bench", "bench@desk.test", "Bench", ("general",), "agent", 2, 0.0)


class ListStore:
    def __init__(self, answers: list[CannedAnswer]) -> None:
        self.answers = answers

    async def canned_answers(self) -> list[CannedAnswer]:
        return self.answers

    async def add_canned(self, answer: CannedAnswer) -> CannedAnswer:
        raise NotImplementedError

    async def change_canned(
        self, canned_id: str, change: CannedChange, now: float
    ) -> CannedAnswer | None:
        raise NotImplementedError

    async def delete_canned(self, canned_id: str) -> bool:
        raise NotImplementedError


def generated(count: int, words: int, rng: random.Random) -> list[CannedAnswer]:
    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    return [
        CannedAnswer(
            f"k_{i}", f"s{i}", text(4), {"en": text(words), "ko": text(words)}, None, "a_sup", 1.0
        )  # fmt: skip
        for i in range(count)
    ]


def whole_search(query: str, texts: list[str]) -> None:
    process.extract(utils.default_process(query), texts, scorer=fuzz.WRatio, processor=None,
                    limit=None, score_cutoff=50)  # fmt: skip


def median_ms(search: Callable[[str], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            search(query)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def main(rounds: int) -> None:
    rng = random.Random(1)
    print("| answers | words per body | search (ms, median) | whole bodies (ms, median) |")
    print("|---|---|---|---|")
    for count, words in ((200, 60), (1000, 60), (1000, 300)):
        answers = generated(count, words, rng)
        library = CannedLibrary(ListStore(answers), MemoryBus(), lambda: ("ko", "en"), time.time)
        await library.load()
        whole = [utils.default_process(t) for a in answers for t in (a.title, a.bodies["en"])]

        ours = median_ms(lambda q, lib=library: lib.search(AGENT, "en", q, {}), rounds)
        reference = median_ms(lambda q, texts=whole: whole_search(q, texts), rounds)
        print(f"| {count} | {words} | {ours:.1f} | {reference:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    asyncio.run(main(parser.parse_args().rounds))
