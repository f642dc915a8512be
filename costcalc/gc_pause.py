"""Pausing Python's cyclic garbage collector while a large graph is analysed.

Analysing a graph allocates a few objects per node and frees almost none of them until
the end; each time enough have piled up, the collector walks every live object, which
on a 100k-node graph cost about a third of the analysis. The objects costcalc builds
hold no reference cycles that need collecting mid-run, so the collector is paused for
the duration and restored (to what it was) afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
