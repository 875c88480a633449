"""Seconds per stage of a run, for ``timings.json`` (the one output that differs
between two identical runs) and ``make bench``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class Timings:
    """Wall-clock seconds per named stage, in the order the stages first ran.

    A stage timed twice (the two unit levels, say) adds up. Stage names end in
    ``_s``, like the ingest stages' (``read_normalise_s``, ``geocode_s``…).

    Examples
    --------
    >>> timings = Timings()
    >>> with timings.stage("metrics_s"):
    ...     pass
    >>> list(timings.seconds)
    ['metrics_s']
    """

    def __init__(self, seconds: dict[str, float] | None = None) -> None:
        self.seconds: dict[str, float] = dict(seconds or {})

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the ``with`` block as stage ``name`` (also when it raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name`` (for time measured as a remainder)."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def total(self, *names: str) -> float:
        """Seconds of the stages ``names`` so far (0 for one not yet timed)."""
        return sum(self.seconds.get(name, 0.0) for name in names)

    def rounded(self) -> dict[str, float]:
        """The seconds rounded to milliseconds, as timings.json holds them."""
        return {name: round(seconds, 3) for name, seconds in self.seconds.items()}
