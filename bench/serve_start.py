"""Start-up time of the shipped bot: `helpline serve --rules bot_rules` launched until its
/healthz answers, with the sentence encoder's disk cache cold (a new, empty folder) and warm
(the same folder again), and with the words alone (matcher.encoder: none) for reference.

Each run is a fresh process on a fresh SQLite file; the figures are medians of the runs, in
seconds. Usage:
    .venv/bin/python bench/serve_start.py [--runs 3]
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

REPO = Path(__file__).resolve().parent.parent
HELPLINE = Path(sys.executable).with_name("helpline")
LIMIT_S = 300.0  # a cold start encodes every example: a minute on a slow machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_seconds(rules: Path, cache: Path, workdir: Path) -> float:
    """Launch to the first 200 from /healthz."""
    port = free_port()
    database = workdir / f"start-{time.monotonic_ns()}.db"
    command = [str(HELPLINE), "serve", "--rules", str(rules), "--db", str(database)]
    environment = {**os.environ, "HELPLINE_CACHE_DIR": str(cache)}
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
                    return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.01)  # polling a process that is not ours to signal
        raise RuntimeError(f"no answer from /healthz in {LIMIT_S:.0f} s")
    finally:
        server.terminate()
        server.wait(30)


def words_only_rules(workdir: Path) -> Path:
    """bot_rules with the encoder turned off."""
    rules = workdir / "bot_rules_words"
    shutil.copytree(REPO / "bot_rules", rules)
    config = rules / "config.yaml"
    config.write_text(config.read_text().replace("encoder: minilm", "encoder: none"))
    return rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    figures: dict[str, list[float]] = {"cold cache": [], "warm cache": [], "words alone": []}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        words = words_only_rules(workdir)
        for run in range(args.runs):
            cache = workdir / f"cache-{run}"
            figures["cold cache"].append(start_seconds(REPO / "bot_rules", cache, workdir))
            figures["warm cache"].append(start_seconds(REPO / "bot_rules", cache, workdir))
            figures["words alone"].append(start_seconds(words, cache, workdir))
    print(f"helpline serve --rules bot_rules, launch to /healthz, {args.runs} runs")
    for name, seconds in figures.items():
        shown = " ".join(f"{s:.2f}" for s in seconds)
        print(f"{name:12} median {statistics.median(seconds):6.2f} s   ({shown})")


if __name__ == "__main__":
    main()
