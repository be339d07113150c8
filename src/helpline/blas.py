"""One BLAS thread per process.

The English sentence encoder is numpy matrix products on a few dozen rows: too small for
OpenBLAS's worker threads to help, and on a machine with other work those threads spin and
wait for each other. Measured on 2 cores with other work running, one message's encoding
took ten times longer with OpenBLAS's own threads than with one (bench/encoder_threads.py).
A server gets its parallelism from serving many customers at once, not from one product.
The English encoder sets it when it is made (matcher/encoder.py), so every process that
encodes has it: `helpline serve`, eval, chat, the tests. threadpoolctl sets the limit on
whichever BLAS numpy has loaded, at any time after import.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_thread() -> None:
    """BLAS in this process uses one thread from now on (numpy is imported if it was not)."""
    import numpy  # noqa: F401  (loads the BLAS library the limit applies to)

    threadpool_limits(limits=1, user_api="blas")
