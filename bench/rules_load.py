"""Loader speed: write a 1,500-intent / 15,000-example rules directory, time load_rulebook.

Prints CPU and wall milliseconds (best of 5) for composing the YAML, reading it with lines,
and the whole load with every check; the cost of one hot-reload poll; and writing and
reading back every example's sentence encoding in the encoder's disk cache (made-up vectors:
the cache's own cost, not the model's; bench/serve_start.py times the real start).

Then what a hot reload costs at 15,000 and 50,000 examples of real wording (start_rules.py,
encoders off): load_rulebook, and the matcher built cold against its index read back from
the disk cache (matcher/index_cache.py), medians of 3 runs, in one process. Usage:
    .venv/bin/python bench/rules_load.py [INTENTS] [EXAMPLES_PER_INTENT]
        [--reload-examples 15000 50000] [--read-back-only]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import start_rules

from helpline.matcher import IndexCache, build_matcher
from helpline.matcher.encoder import DIMENSIONS
from helpline.matcher.encoder_cache import EncodingCache
from helpline.rules import load_rulebook
from helpline.rules.model import Rulebook
from helpline.rules.reader import read_yaml
from helpline.rules.watch import fingerprint

FILES = 10


def write_rules(root: Path, intents: int, per_intent: int) -> None:
    (root / "intents").mkdir(parents=True)
    (root / "config.yaml").write_text("languages: [en]\nhuman_intent: intent_0\n")
    per_file = -(-intents // FILES)
    for part in range(FILES):
        lines = ["intents:"]
        for i in range(part * per_file, min(intents, (part + 1) * per_file)):
            digits = " ".join(str(i))  # spelled out: normalize folds repeated characters
            lines += [
                f"  - name: intent_{i}",
                "    category: general",
                "    examples:",
                "      en:",
            ]
            lines += [f'        - "customer message {digits} variant {j} about something"'
                      for j in range(per_intent)]  # fmt: skip
            lines += ["    answer:", f'      en: "The answer for intent {i}."']
            lines.append(f"    quick_replies: [intent_{(i + 1) % intents}]")
        (root / "intents" / f"part{part}.yaml").write_text("\n".join(lines) + "\n")


def best_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """(cpu_ms, wall_ms), each the best of runs."""
    cpu, wall = float("inf"), float("inf")
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        work()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return cpu * 1000, wall * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("intents", type=int, nargs="?", default=1500)
    parser.add_argument("per_intent", type=int, nargs="?", default=10)
    parser.add_argument("--reload-examples", type=int, nargs="*", default=[15_000, 50_000])
    parser.add_argument(
        "--read-back-only", action="store_true", help="reload: time no cold build of the index"
    )
    args = parser.parse_args()
    intents, per_intent = args.intents, args.per_intent
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rules"
        write_rules(root, intents, per_intent)
        files = sorted((root / "intents").glob("*.yaml"))
        rulebook = load_rulebook(root)
        examples = sum(len(e) for i in rulebook.intents for e in i.examples.values())
        print(f"{len(rulebook.intents):,} intents, {examples:,} examples in {len(files)} files")
        for name, work in (
            ("read_yaml (compose + lines)", lambda: [read_yaml(f, str(f)) for f in files]),
            ("load_rulebook (all checks)", lambda: load_rulebook(root)),
        ):
            cpu, wall = best_of(5, work)
            print(f"{name:30} cpu {cpu:7.0f} ms   wall {wall:7.0f} ms")
        cpu, wall = best_of(5, lambda: [fingerprint(root) for _ in range(100)])
        print(f"{'fingerprint (one poll)':30} cpu {cpu / 100:7.3f} ms   wall {wall / 100:7.3f} ms")
        time_encoding_cache(Path(tmp) / "cache", rulebook)
        for examples in args.reload_examples:
            time_reload(Path(tmp), examples, build=not args.read_back_only)


def time_encoding_cache(folder: Path, rulebook: Rulebook) -> None:
    texts = [t for i in rulebook.intents for e in i.examples.values() for t in e]
    numbers = np.random.default_rng(0).random((len(texts), DIMENSIONS), np.float32)
    vectors = dict(zip(texts, numbers, strict=True))
    runs = iter(range(1_000))
    cpu, wall = best_of(5, lambda: EncodingCache(folder, f"k{next(runs)}", DIMENSIONS).put(vectors))
    print(f"{'encoding cache: write all':30} cpu {cpu:7.0f} ms   wall {wall:7.0f} ms")
    cache = EncodingCache(folder, "k0", DIMENSIONS)
    cpu, wall = best_of(5, lambda: cache.get(texts))
    print(f"{'encoding cache: read all':30} cpu {cpu:7.0f} ms   wall {wall:7.0f} ms")


def median_of(runs: int, work: Callable[[], object]) -> tuple[float, float]:
    """(cpu_s, wall_s), each the median of runs."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        work()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def time_reload(folder: Path, examples: int, build: bool = True) -> None:
    root = start_rules.write_rules(folder / f"real-{examples}", examples, "none", "none")
    rulebook = load_rulebook(root)
    cache = IndexCache(folder / f"index-cache-{examples}")
    build_matcher(rulebook, cache)  # written once; every run below reads it back
    print(f"reload, {examples:,} examples of real wording (medians of 3)")
    timed: list[tuple[str, Callable[[], object]]] = [
        ("load_rulebook", lambda: load_rulebook(root)),
        ("matcher, index built", lambda: build_matcher(rulebook)),
        ("matcher, index read back", lambda: build_matcher(rulebook, cache)),
    ]
    for name, work in timed if build else [timed[0], timed[2]]:
        cpu, wall = median_of(3, work)
        print(f"  {name:28} cpu {cpu:6.2f} s   wall {wall:6.2f} s")


if __name__ == "__main__":
    main()
