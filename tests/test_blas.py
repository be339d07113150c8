"""The `helpline` command runs BLAS on one thread (helpline/blas.py says why)."""

from __future__ import annotations

import subprocess
import sys

from threadpoolctl import threadpool_info

from helpline import blas


def blas_threads() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_one_thread_limits_the_blas_numpy_loaded() -> None:
    blas.one_thread()
    assert blas_threads() == {1}


def test_the_command_has_one_thread_when_its_subcommand_runs() -> None:
    # a fresh interpreter whose BLAS would start two threads; `helpline check` stands in
    # for every subcommand: what it sees is what serve, eval and chat see
    probe = (
        "import os, sys\n"
        "os.environ['OPENBLAS_NUM_THREADS'] = '2'\n"
        "from threadpoolctl import threadpool_info\n"
        "import helpline.cli as cli, helpline.cli.check as check\n"
        "def report(args):\n"
        "    print(sorted({i['num_threads'] for i in threadpool_info()"
        " if i['user_api'] == 'blas'}))\n"
        "    return 0\n"
        "check.run = report\n"
        "sys.exit(cli.main(['check', 'bot_rules']))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1]", out.stderr
