"""Saturation throughput of `helpline serve --workers N` against one process, same run.

    .venv/bin/python bench/workers.py [--workers 2] [--levels 600 1200] [--rounds 3]

Open loop, as `open_loop.py` runs it (Poisson arrivals dealt round-robin to `--sockets`
sockets, latency from the scheduled send, messages unanswered after `--drain` counted),
against three servers kept up side by side: the bare aiohttp echo server (the machine's
reference), `helpline serve` as one process (in-process bus and locks), and `helpline
serve --workers N` (N processes on one port, their private Redis for the bus and the
conversation locks), each with the repository's rules, encoders off, a fresh SQLite file
and the per-address limits lifted. The offered rates are meant to be past what one
process answers: its answered/s there is its saturation throughput. Each round runs
every server at every rate; the table gives the medians over rounds, and the
ratio of the workers' answered/s to the one process's, per round, then its median.
Server CPU per message is the whole process tree's (supervisor, workers, Redis), from
/proc; "cpu wait" is the share of the time the servers' event loops were ready to run
that they waited for a core instead (schedstat): when it is high, the machine's share,
not the server, set the figures. The two Helplines take turns going first, round by
round. The load generator shares the machine's cores with the servers: its own CPU per
message is shown, and on 2 cores it is part of what the workers compete with. Each
Helpline runs in a session of its own (as each worker does): with Linux's autogroup
scheduling on, a machine busy with other work gives every session one equal share, so
the figures on a shared machine say how the node fares there, not what two free cores
would give; the load average at the start and end is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from open_loop import RUNNING, bench_rules, run_level  # noqa: E402
from ws_load import Server, _run, _stat_cpu_s  # noqa: E402
from ws_load import start_server as start_echo  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LEVELS = (600, 1200)
START_TIMEOUT_S = 180.0


class Tree(Server):
    """A server whose CPU is its whole process tree's (a supervisor and its workers)."""

    def cpu_s(self) -> tuple[float, float]:
        total = sum(_stat_cpu_s(f"/proc/{pid}/stat") for pid in _tree(self.process.pid))
        return total, total

    async def stop(self) -> None:
        self.process.terminate()
        await asyncio.wait_for(self.process.wait(), 60)

    def parts(self) -> dict[str, int]:
        """The tree's processes by role: "supervisor", "redis", "worker 1", "worker 2"...
        (the workers in the order of their pids); a single process is "worker 1"."""
        root = self.process.pid
        roles, workers = {"supervisor": root}, []
        for pid in _tree(root)[1:]:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    command = cmdline.read()
            except FileNotFoundError:
                continue
            if b"redis-server" in command:
                roles["redis"] = pid
            elif b"helpline" in command:
                workers.append(pid)
        if not workers:  # no supervisor: the root is the one process
            return {"worker 1": root}
        return roles | {f"worker {i}": pid for i, pid in enumerate(sorted(workers), 1)}

    def probe(self) -> dict[str, float]:
        """CPU seconds so far of each of parts()."""
        readings = {}
        for role, pid in self.parts().items():
            with contextlib.suppress(FileNotFoundError):
                readings[role] = _stat_cpu_s(f"/proc/{pid}/stat")
        return readings

    def split(self, client_ports: list[int]) -> list[str]:
        """The worker holding the server's end of each client port's connection."""
        served = {}
        for role, pid in self.parts().items():
            if role.startswith("worker"):
                served |= dict.fromkeys(_peer_ports(pid), role)
        return [served.get(port, "unknown") for port in client_ports]


def _peer_ports(pid: int) -> list[int]:
    """The remote ports of process pid's TCP connections (/proc/PID/fd's socket inodes,
    looked up in its network namespace's /proc/PID/net/tcp and tcp6)."""
    inodes = set()
    with contextlib.suppress(FileNotFoundError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
    ports = []
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(FileNotFoundError), open(f"/proc/{pid}/net/{table}") as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                if fields[9] in inodes:
                    ports.append(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def _schedstat_s(pids: list[int]) -> tuple[float, float]:
    """Seconds the main threads of pids ran, and spent runnable waiting for a core."""
    ran = waited = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/task/{pid}/schedstat") as stat:
                on_cpu, on_queue, _ = stat.read().split()
        except FileNotFoundError:  # it ended meanwhile
            continue
        ran, waited = ran + int(on_cpu) / 1e9, waited + int(on_queue) / 1e9
    return ran, waited


async def run_measured(server: Server, rate: int, args: argparse.Namespace) -> dict[str, float]:
    """run_level's figures and the share of the time its loops were ready to run that
    they waited for a core (/proc schedstat): near 0 on free cores; on a busy machine, how
    far the figures are the machine's share rather than the server's own limit."""
    pids = _tree(server.process.pid)
    ran_0, waited_0 = _schedstat_s(pids)
    assert isinstance(server, Tree) or server.name == "echo"
    if isinstance(server, Tree):
        row = await run_level(server, rate, args, split=server.split, probe=server.probe)
    else:
        row = await run_level(server, rate, args)
    ran_1, waited_1 = _schedstat_s(pids)
    ran, waited = ran_1 - ran_0, waited_1 - waited_0
    return row | {"cpu_wait": waited / max(ran + waited, 1e-9)}


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                todo += [int(child) for child in children.read().split()]
        except FileNotFoundError:  # it ended between the two reads
            continue
    return pids


async def start_helpline(rules: Path, database: str, workers: int) -> Tree:
    command = [
        sys.executable, "-m", "helpline", "serve", "--port", "0", "--rules", str(rules),
        "--db", database, "--max-sockets-per-address", "1000000",
        "--max-new-conversations-per-minute", "1000000000",
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    # a session of its own, as each worker has one: under Linux's autogroup scheduling a
    # busy machine gives each session one share, and the single process must not share
    # this script's (the load generator's)
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")}, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT_S)).decode()
        if not line:
            raise RuntimeError("helpline serve ended before it listened")
        if found := RUNNING.search(line):
            break
    name = f"{workers} workers" if workers > 1 else "1 process"
    return Tree(name, process, f"http://127.0.0.1:{found[1]}/ws/customer", "uvloop")


async def main(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    args.load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="helpline-workers-") as folder:
        rules = bench_rules(Path(args.rules), folder, encoders=False)
        servers: list[Server] = [
            await start_echo("echo", os.path.join(folder, "echo.db"), str(rules)),
            await start_helpline(rules, os.path.join(folder, "one.db"), 1),
            await start_helpline(rules, os.path.join(folder, "many.db"), args.workers),
        ]
        results: dict[int, dict[str, list[dict[str, float]]]] = {
            rate: {server.name: [] for server in servers} for rate in args.levels
        }
        try:
            for round_ in range(args.rounds):
                for rate in args.levels:
                    # the two Helplines in turn, first one then the other: a load on the
                    # machine that grows or fades through a round favours neither
                    echo, *nodes = servers
                    for server in [echo, *(nodes[::-1] if round_ % 2 else nodes)]:
                        row = await run_measured(server, rate, args)
                        results[rate][server.name].append(row)
        finally:
            for server in servers:
                await server.stop()
    print_table(results, [s.name for s in servers], args, time.perf_counter() - began)


def print_table(
    results: dict[int, dict[str, list[dict[str, float]]]],
    names: list[str],
    args: argparse.Namespace,
    elapsed_s: float,
) -> None:
    print(f"\n$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"load average (1 min) at the start {args.load_before:.1f}, at the end "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"open loop: Poisson arrivals over {args.sockets} sockets, {args.seconds:g} s timed "
          f"per level, {args.rounds} round(s), medians; encoders off; {os.cpu_count()} cores; "
          f"total {elapsed_s:.0f} s")  # fmt: skip
    print(f"{'offered/s':>9} {'server':<10} {'answered/s':>10} {'p50 ms':>9} {'p99 ms':>9} "
          f"{'cpu ms/msg':>10} {'client ms':>9} {'unans.':>6} {'refused':>7} "
          f"{'closed':>6} {'cpu wait':>8}")  # fmt: skip
    one, many = names[1], names[2]
    summary: dict[str, object] = {"sockets": args.sockets, "workers": args.workers, "levels": {}}
    for rate, by_name in results.items():
        medians = {n: _medians(rows) for n, rows in by_name.items()}
        for name in names:
            r = medians[name]
            print(f"{rate:>9} {name:<10} {r['answered_s']:>10.0f} {r['p50_ms']:>9.1f} "
                  f"{r['p99_ms']:>9.1f} {r['cpu_ms']:>10.3f} {r['client_cpu_ms']:>9.3f} "
                  f"{int(r['unanswered']):>6} {int(r['refused']):>7} {int(r['closed']):>6} "
                  f"{r['cpu_wait']:>8.0%}")  # fmt: skip
            if name != "echo":
                print_parts(r, args.seconds)
        ratios = [m["answered_s"] / max(o["answered_s"], 1e-9)
                  for m, o in zip(by_name[many], by_name[one], strict=True)]  # fmt: skip
        echo_ratio = medians[many]["answered_s"] / max(medians["echo"]["answered_s"], 1e-9)
        saturated = "saturated" if medians[one]["answered_s"] < 0.95 * rate else "NOT saturated"
        print(f"{'':>9} {'ratio':<10} {statistics.median(ratios):>9.2f}x  "
              f"({many} / {one}, per round: {', '.join(f'{x:.2f}' for x in ratios)}; "
              f"{many} / echo {echo_ratio:.2f}; {one} {saturated})")  # fmt: skip
        summary["levels"][str(rate)] = {  # type: ignore[index]
            name: {k: round(v, 3) for k, v in medians[name].items()} for name in names
        } | {"workers_over_one": round(statistics.median(ratios), 3)}
    print(json.dumps(summary))


def _medians(rows: list[dict[str, float]]) -> dict[str, float]:
    """Medians per key; a key some rounds lack (a worker that served no socket) counts 0."""
    keys = sorted({key for row in rows for key in row})
    return {key: statistics.median(row.get(key, 0.0) for row in rows) for key in keys}


def print_parts(row: dict[str, float], seconds: float) -> None:
    """Per process of a Helpline: its sockets, answered/s and CPU (share of one core, and
    per message it answered), from run_level's split and probe figures."""
    for key in sorted(k for k in row if k.startswith("cpu_s:")):
        role = key.removeprefix("cpu_s:")
        cpu_s, answered_s = row[key], row.get(f"answered_s:{role}", 0.0)
        line = f"{'':>9}   {role:<11} cpu {cpu_s / seconds:>4.0%} of a core"
        if role.startswith("worker"):
            per_msg = cpu_s * 1000 / max(answered_s * seconds, 1)
            line += (f", {int(row.get(f'sockets:{role}', 0)):>5} sockets, {answered_s:>6.0f} "
                     f"answered/s, {per_msg:.3f} cpu ms/msg")  # fmt: skip
        print(line)
    if "answered_s:unknown" in row:
        print(f"{'':>9}   sockets of no known worker: {int(row.get('sockets:unknown', 0))}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sockets", type=int, default=600,
                        help="each well under the per-socket rate limit")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=8.0, help="timed part of each level")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS),
                        help="offered messages a second, past one process")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--drain", type=float, default=5.0,
                        help="seconds after the window to wait for the last answers")  # fmt: skip
    parser.add_argument("--rules", default=str(REPO / "bot_rules"), help="rules for Helpline")
    parser.add_argument("--seed", type=int, default=18, help="the arrival times' random seed")
    parser.add_argument("--distinct", action="store_true",
                        help="every message's text unique (padded with spaces)")  # fmt: skip
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    _run(lambda: main(arguments))
