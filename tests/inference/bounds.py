"""A generous time and memory bound for tests of inputs at the size limits.

The real figures (2 s and 200 MB for any program input up to the 16 MB cap) are
measured by ``python -m inference.benchmarks.input_limits_bench``; a test only checks that the
work stays within about five times that, so that a loaded machine cannot fail it.
"""

import time
import tracemalloc
from contextlib import contextmanager

SECONDS = 10.0
MEGABYTES = 1000


@contextmanager
def within(seconds: float = SECONDS, megabytes: float = MEGABYTES):
    """Fail when the block takes more CPU time or Python memory (``tracemalloc``'s peak)."""
    tracemalloc.start()
    start = time.process_time()
    try:
        yield
    finally:
        spent = time.process_time() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert spent < seconds, f"took {spent:.1f} s of CPU"
    assert peak < megabytes, f"peak {peak:.0f} MB"
