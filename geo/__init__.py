"""geo: offline risk mapping of militant violence in Khyber Pakhtunkhwa, Balochistan
and along the Pakistan–Afghanistan border.

``geo.run()`` runs the whole pipeline and returns a :class:`geo.Run` (see
:mod:`geo.pipeline`); ``geo.boundaries.load()`` reads the boundary layers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geo._errors import GeoError

if TYPE_CHECKING:
    from geo.pipeline import Run, run

__version__ = "0.1.0"

__all__ = ["GeoError", "Run", "__version__", "run"]


def __getattr__(name: str) -> object:
    # The pipeline imports geopandas and the readers: only when asked for, so
    # that `import geo` (and `geo --help`) stay light.
    if name in ("run", "Run"):
        from geo import pipeline

        return getattr(pipeline, name)
    msg = f"module 'geo' has no attribute {name!r}"
    raise AttributeError(msg)
