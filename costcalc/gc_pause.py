"""Pausing Python's cyclic garbage collector while a large graph is analysed.

Analysing a graph allocates a few objects per node and frees almost none of them until
the end; each time enough have piled up, the collector walks every live object, which
on a 100k-node graph cost about a third of the analysis. The objects costcalc builds
hold no reference cycles that need collecting mid-run, so the collector is paused for
the duration and restored (to what it was) afterwards.

Once it runs again, the collector's first passes would still walk everything the analysis
left (a quarter of a second per 100k nodes), and walk it again in each older generation.
The ``costcalc`` command, whose process ends with it, calls ``freeze_after_analysis``:
what is alive when an analysis ends is then frozen (``gc.freeze``: kept out of every later
collection; objects are still freed when their last reference goes). The library does
not do this by default: in a long-lived process it would keep cyclic garbage alive.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze_on_exit = False


def freeze_after_analysis() -> None:
    """For a process that ends with its command: freeze what each analysis leaves."""
    global _freeze_on_exit
    _freeze_on_exit = True


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _freeze_on_exit:
            gc.freeze()
        if was_enabled:
            gc.enable()
