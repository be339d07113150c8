"""Start-up time of the shipped bot: `helpline serve --rules bot_rules` launched until its
/healthz answers, with the sentence encoder's disk cache cold (a new, empty folder) and warm
(the same folder again), and with the words alone (matcher.encoder: none) for reference.

Each run is a fresh process on a fresh SQLite file; the figures are medians of the runs, in
seconds: wall time, and the server's CPU time until then (from /proc; on a busy machine it
moves far less than the wall time). Usage:
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
    figures: dict[str, list[tuple[float, float]]] = {
        "cold cache": [],
        "warm cache": [],
        "words alone": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        words = words_only_rules(workdir)
        for run in range(args.runs):
            cache = workdir / f"cache-{run}"
            figures["cold cache"].append(start_seconds(REPO / "bot_rules", cache, workdir))
            figures["warm cache"].append(start_seconds(REPO / "bot_rules", cache, workdir))
            figures["words alone"].append(start_seconds(words, cache, workdir))
    print(f"helpline serve --rules bot_rules, launch to /healthz, {args.runs} runs")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    for name, runs in figures.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        shown = " ".join(f"{w:.2f}" for w, _ in runs)
        print(f"{name:12} wall {wall:6.2f} s  cpu {cpu:6.2f} s   (wall: {shown})")


if __name__ == "__main__":
    main()
