"""Matcher latency and load time at 1,500 and 15,000 examples, next to plain rapidfuzz.

Run: .venv/bin/python bench/matcher_latency.py [--encoder minilm | --korean-encoder e5]
Data: ../shared/bench/clinc150 relative to the repository, or $HELPLINE_BENCH_DATA.
The reference is rapidfuzz's extractOne with token_sort_ratio over the same examples;
both see the same messages in the same run, so the ratio holds across machines.
With --encoder minilm the matcher also encodes each message and example with the sentence
encoder (matcher.encoder in config.yaml): the 15,000 examples take a minute or two to load.
With --korean-encoder e5 the data is Korean (ParaKQC: 800 and 4,000 examples) and the Korean
encoder (matcher.korean_encoder) is on; the reference is the same rapidfuzz search.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rapidfuzz import fuzz, process

from helpline.evaluation.data import read_rows, rulebook_from_rows
from helpline.matcher import build_matcher
from helpline.rules.model import Config
from helpline.text import normalize

REPO = Path(__file__).resolve().parent.parent
QUERY_STRIDE = 3  # every third validation message: ~1,000 messages, a bounded run


def data_dir() -> Path:
    configured = os.environ.get("HELPLINE_BENCH_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "bench"


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0
    return rank(0.50), rank(0.99)


def timed(
    match: Callable[[str], object], queries: list[str]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Wall-clock and CPU (this thread) p50/p99; on a busy machine the CPU figures show
    the matcher's own cost when the wall clock also counts waiting for a core."""
    for text in queries[:20]:  # warm caches the way a running server has them warm
        match(text)
    wall, cpu = [], []
    for text in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        match(text)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return percentiles(wall), percentiles(cpu)


def measure(train: Path, queries: list[str], config: Config) -> dict[str, object]:
    rows = read_rows(train)
    started = time.perf_counter()
    matcher = build_matcher(rulebook_from_rows(rows, config))
    load_s = time.perf_counter() - started
    (p50, p99), (cpu50, cpu99) = timed(lambda text: matcher.match(text), queries)
    started = time.perf_counter()
    choices = [normalize(row["text"]) for row in rows]
    ref_load_s = time.perf_counter() - started
    (ref50, ref99), (_, ref_cpu99) = timed(
        lambda text: process.extractOne(normalize(text), choices, scorer=fuzz.token_sort_ratio),
        queries,
    )
    return {
        "examples": len(rows),
        "load_s": round(load_s, 3),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
        "cpu_p50_ms": round(cpu50, 3),
        "cpu_p99_ms": round(cpu99, 3),
        "reference_load_s": round(ref_load_s, 3),
        "reference_p50_ms": round(ref50, 3),
        "reference_p99_ms": round(ref99, 3),
        "reference_cpu_p99_ms": round(ref_cpu99, 3),
        "p99_ratio_to_reference": round(p99 / ref99, 3) if ref99 else None,
    }


def main(args: list[str]) -> int:
    setting = args[1] if len(args) > 1 else "none"
    if args[:1] == ["--korean-encoder"]:
        encoder, config = setting, Config(korean_encoder=setting)
        base, sets = data_dir() / "parakqc", ("train_1shot.jsonl", "train.jsonl")
    else:
        encoder = setting if args[:1] == ["--encoder"] else "none"
        config = Config(encoder=encoder)
        base, sets = data_dir() / "clinc150", ("train_10shot.jsonl", "train.jsonl")
    if not base.is_dir():
        print(f"no benchmark data at {base} (set HELPLINE_BENCH_DATA)", file=sys.stderr)
        return 1
    queries = [row["text"] for row in read_rows(base / "val.jsonl")][::QUERY_STRIDE]
    results = [measure(base / name, queries, config) for name in sets]
    print(f"{'examples':>9} {'load s':>7} {'p50 ms':>7} {'p99 ms':>7} {'cpu p99':>8} | "
          f"{'ref load':>8} {'ref p50':>8} {'ref p99':>8} {'p99/ref':>8}")
    for r in results:
        print(f"{r['examples']:>9} {r['load_s']:>7} {r['p50_ms']:>7} {r['p99_ms']:>7} "
              f"{r['cpu_p99_ms']:>8} | {r['reference_load_s']:>8} {r['reference_p50_ms']:>8} "
              f"{r['reference_p99_ms']:>8} {r['p99_ratio_to_reference']:>8}")
    print(json.dumps({"messages": len(queries), "encoder": encoder, "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
