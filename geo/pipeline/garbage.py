"""Python's cyclic garbage collector, tuned for the length of a run.

A run allocates millions of small containers (rows, dicts, tuples) that live
until the run ends. Python's default thresholds collect the youngest
generation every 700 new containers and, as they pile up, walk every live
object, the imported libraries' among them, again and again: 0.3 s of a
6k-incident ``geo run`` and seconds of a 1M one. Inside :func:`seldom_collections`
the youngest generation is collected every 50,000 new containers instead;
cycles are still collected, and the thresholds are restored on leaving.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

RUN_THRESHOLDS = (50_000, 20, 10)  # youngest every 50k new containers (Python: 700, 10, 10)


@contextlib.contextmanager
def seldom_collections() -> Iterator[None]:
    """Collect garbage at :data:`RUN_THRESHOLDS` inside the block (nestable)."""
    before = gc.get_threshold()
    gc.set_threshold(*(max(ours, theirs) for ours, theirs in zip(RUN_THRESHOLDS, before, strict=True)))
    try:
        yield
    finally:
        gc.set_threshold(*before)
