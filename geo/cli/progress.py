"""A progress bar over the named steps of a long command."""

from __future__ import annotations

import sys
from collections.abc import Callable

from tqdm import tqdm


def step_bar(total_steps: int, quiet: bool) -> tuple[Callable[[str], None], Callable[[], None]]:
    """Return ``(advance, close)``: ``advance(message)`` moves the bar one step."""
    bar = tqdm(total=total_steps, disable=quiet, file=sys.stderr, unit="step",
               bar_format="{desc:<40} {bar} {n_fmt}/{total_fmt} [{elapsed}]")
    started = [False]

    def advance(message: str) -> None:
        if started[0]:
            bar.update(1)
        started[0] = True
        bar.set_description_str(message)

    def close() -> None:
        if started[0]:
            bar.update(1)
        bar.set_description_str("done")
        bar.close()

    return advance, close
