"""The unanswered inbox's clustering on labelled messages: its time against matching the
same messages once (the reference, measured in the same run), and how pure its clusters
are by the messages' gold intent.

    .venv/bin/python bench/inbox_cluster.py [--data bench/data/real_en.jsonl ...] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from helpline.inbox import cluster
from helpline.inbox.cluster import clusters
from helpline.matcher import build_matcher
from helpline.rules import load_rulebook
from helpline.text import detect_language

ROOT = Path(__file__).parent.parent


@dataclass(frozen=True)
class Row:
    text: str
    language: str
    gold: str | None
    n: int

    @property
    def key(self) -> tuple[str, int]:
        return ("bench", self.n)


def rows(paths: list[Path]) -> list[Row]:
    found = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            text = data["text"]
            found.append(Row(text, detect_language(text, "ko"), data.get("intent"), len(found)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data", nargs="+", type=Path,
        default=[ROOT / "bench/data/real_en.jsonl", ROOT / "bench/data/real_ko.jsonl"],
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--similar", type=float, help="try another cosine than SIMILAR")
    args = parser.parse_args()
    if args.similar is not None:
        cluster.SIMILAR = args.similar
    rulebook = load_rulebook(ROOT / "bot_rules")
    matcher = build_matcher(rulebook)
    messages = rows(args.data)
    matching, grouping = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        for m in messages:
            matcher.match(m.text, m.language, limit=1)
        matching.append(time.perf_counter() - start)
        start = time.perf_counter()
        found = clusters(messages, rulebook, matcher)
        grouping.append(time.perf_counter() - start)
    # purity: a message is "with its own" when its cluster's most common gold label is its own
    pure = sum(Counter(m.gold for m in c.members).most_common(1)[0][1] for c in found)
    match_s, cluster_s = statistics.median(matching), statistics.median(grouping)
    print(f"messages                 {len(messages)}")
    print(
        f"clusters                 {len(found)} ({sum(c.size == 1 for c in found)} of one message)"
    )
    print(f"largest cluster          {max(c.size for c in found)}")
    print(f"purity by gold intent    {100 * pure / len(messages):.1f}%")
    print(f"matching once (median)   {match_s * 1000:.0f} ms")
    print(
        f"clustering (median)      {cluster_s * 1000:.0f} ms  ({cluster_s / match_s:.2f}x matching)"
    )


if __name__ == "__main__":
    main()
