"""Start-up time: `helpline serve` launched until its /healthz answers.

The shipped bot (`--rules bot_rules`, both sentence encoders on) with the disk cache cold (a
new, empty folder: every example encoded, the index built), with the encodings kept but the
matcher's index built again (its files deleted), warm (encodings and index read back), and
with the words alone (encoders off) for reference. Then rules of 15,000 and 50,000 examples
of real customer wording (start_rules.py), the index built and read back, with the encoders
`--encoders none|minilm|both` (the encodings of a first, untimed start kept).

Each run is a fresh process on a fresh SQLite file, its modules compiled beforehand (as an
installed package's are); the figures are medians of the runs, in seconds: wall time, and
the server's CPU time until then (from /proc; on a busy machine it moves far less than the
wall time). Usage:
    .venv/bin/python bench/serve_start.py [--runs 3] [--examples 15000 50000]
        [--encoders none minilm both] [--no-bot-rules] [--read-back-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import start_rules

REPO = Path(__file__).resolve().parent.parent
HELPLINE = Path(sys.executable).with_name("helpline")
LIMIT_S = 1800.0  # a first start with the encoders encodes every example: 15,000 take minutes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process, all its threads (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_seconds(rules: Path, cache: Path, workdir: Path) -> tuple[float, float]:
    """(wall, cpu) seconds from launch to the first 200 from /healthz."""
    port = free_port()
    database = workdir / f"start-{time.monotonic_ns()}.db"
    command = [str(HELPLINE), "serve", "--rules", str(rules), "--db", str(database)]
    environment = {**os.environ, "HELPLINE_CACHE_DIR": str(cache)}
    # Compiled modules kept, as an installed package has them (pip writes them): a start
    # that compiles every module's source first spends 0.5-1 s more doing it.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    started = time.perf_counter()
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < LIMIT_S:
            if server.poll() is not None:
                raise RuntimeError(f"helpline serve exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return time.perf_counter() - started, cpu_seconds(server.pid)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.01)  # polling a process that is not ours to signal
        raise RuntimeError(f"no answer from /healthz in {LIMIT_S:.0f} s")
    finally:
        server.terminate()
        server.wait(30)


def words_only_rules(workdir: Path) -> Path:
    """bot_rules with the encoders turned off."""
    rules = workdir / "bot_rules_words"
    if rules.exists():
        return rules
    shutil.copytree(REPO / "bot_rules", rules)
    config = rules / "config.yaml"
    text = config.read_text().replace("encoder: minilm", "encoder: none")
    config.write_text(text.replace("korean_encoder: e5", "korean_encoder: none"))
    return rules


def forget_indexes(cache: Path) -> None:
    """The matcher's index files gone, the encodings kept: a start that builds the index."""
    for path in cache.glob("index-*"):
        path.unlink()


def bot_rules_figures(runs: int, workdir: Path) -> dict[str, list[tuple[float, float]]]:
    figures: dict[str, list[tuple[float, float]]] = {
        "cold cache": [], "index built": [], "warm cache": [], "words alone": [],
    }  # fmt: skip
    words = words_only_rules(workdir)
    bot = REPO / "bot_rules"
    for run in range(runs):
        cache = workdir / f"cache-{run}"
        figures["cold cache"].append(start_seconds(bot, cache, workdir))
        forget_indexes(cache)
        figures["index built"].append(start_seconds(bot, cache, workdir))
        figures["warm cache"].append(start_seconds(bot, cache, workdir))
        figures["words alone"].append(start_seconds(words, cache, workdir))
    return figures


# --encoders: the rules' matcher settings (matcher.encoder, matcher.korean_encoder)
ENCODERS = {"none": ("none", "none"), "minilm": ("minilm", "none"), "both": ("minilm", "e5")}


def sized_figures(
    examples: int, encoders: str, runs: int, workdir: Path, build: bool = True
) -> dict[str, list[tuple[float, float]]]:
    """A start of `examples` examples building the index (its encodings kept from a first
    start) and reading it back; without `build`, only reading back the first start's."""
    rules = start_rules.write_rules(workdir / f"rules-{examples}-{encoders}", examples,
                                    *ENCODERS[encoders])  # fmt: skip
    cache = workdir / f"cache-{examples}-{encoders}"
    figures: dict[str, list[tuple[float, float]]] = {
        # one run: with the encoders on, it encodes every example (then kept on disk)
        "first start": [start_seconds(rules, cache, workdir)], "index built": [],
        "index read back": [],
    }  # fmt: skip
    for _ in range(runs):
        if build:
            forget_indexes(cache)
            figures["index built"].append(start_seconds(rules, cache, workdir))
        figures["index read back"].append(start_seconds(rules, cache, workdir))
    return {name: found for name, found in figures.items() if found}


def show(title: str, figures: dict[str, list[tuple[float, float]]]) -> None:
    print(title)
    for name, runs in figures.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        shown = " ".join(f"{w:.2f}" for w, _ in runs)
        print(f"  {name:16} wall {wall:6.2f} s  cpu {cpu:6.2f} s   (wall: {shown})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--examples", type=int, nargs="*", default=[15_000, 50_000])
    parser.add_argument("--encoders", nargs="*", choices=ENCODERS, default=["none"])
    parser.add_argument("--no-bot-rules", action="store_true", help="only the sized rules")
    parser.add_argument(
        "--read-back-only",
        action="store_true",
        help="sized rules: the index built once (the first start), then only read back",
    )
    args = parser.parse_args()
    print(f"helpline serve, launch to /healthz, medians of {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        # untimed: compiles every module once (pycache above)
        start_seconds(words_only_rules(workdir), workdir / "cache-first", workdir)
        if not args.no_bot_rules:
            show("--rules bot_rules", bot_rules_figures(args.runs, workdir))
        for examples in args.examples:
            for encoders in args.encoders:
                figures = sized_figures(
                    examples, encoders, args.runs, workdir, build=not args.read_back_only
                )
                show(f"{examples:,} examples, encoders: {encoders}", figures)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
