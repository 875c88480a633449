"""Vectorised work split across the machine's cores, in threads.

For kernels that release the GIL while they run (shapely's tree queries and
constructors, pyproj's geodesics): a million points take half the time on two
cores, and nothing is copied between processes. Small inputs run in the
calling thread, where starting threads would cost more than it saves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

T = TypeVar("T")

# Below this many rows a split costs more (thread start, concatenation) than it saves.
SPLIT_FROM = 100_000


def usable_cores() -> int:
    """Cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def row_blocks(n: int, min_rows: int | None = None) -> list[slice]:
    """Contiguous slices covering ``range(n)``: one per usable core for
    ``n >= min_rows`` (default :data:`SPLIT_FROM`), else one slice."""
    parts = usable_cores() if n >= (SPLIT_FROM if min_rows is None else min_rows) else 1
    bounds = np.linspace(0, n, max(parts, 1) + 1).astype(np.int64)
    return [slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def map_blocks(function: Callable[[slice], T], n: int, min_rows: int | None = None) -> list[T]:
    """``function(block)`` for each slice of :func:`row_blocks`, in threads when
    there are several, results in block order."""
    blocks = row_blocks(n, min_rows)
    if len(blocks) == 1:
        return [function(blocks[0])]
    with ThreadPoolExecutor(len(blocks)) as pool:
        return list(pool.map(function, blocks))
