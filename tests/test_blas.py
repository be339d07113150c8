"""A process that encodes English runs BLAS on one thread (helpline/blas.py says why)."""

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


def test_the_english_encoder_sets_it_when_it_is_made() -> None:
    # a fresh interpreter whose BLAS would start two threads, as a server on a bigger
    # machine would: once the shipped encoder exists, its products run on one
    probe = (
        "import os\n"
        "os.environ['OPENBLAS_NUM_THREADS'] = '2'\n"
        "from threadpoolctl import threadpool_info\n"
        "from helpline.matcher.encoder import SentenceEncoder\n"
        "def threads():\n"
        "    return sorted({i['num_threads'] for i in threadpool_info()"
        " if i['user_api'] == 'blas'})\n"
        "before = threads()\n"
        "SentenceEncoder.shipped()\n"
        "print(before, threads())\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[2] [1]", out.stderr
