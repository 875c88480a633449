"""The colours geo draws with, shared by the QGIS styles, the web map, its PNG
overview and the brief.

Colours are QGIS ``"r,g,b,a"`` strings (0–255), as the ``.qml`` styles carry
them; the maps convert them to hex. :func:`event_types_by_count` gives the
order in which incident types take :data:`TYPE_PALETTE`'s colours, so that a
type has one colour in QGIS and in the map.

Notes
-----
This module imports nothing at module level: any stage may import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Sequential yellow–red ramp for the five risk classes (ColorBrewer YlOrRd).
RISK_COLOURS = (("very low", "255,255,178,255"), ("low", "254,204,92,255"), ("medium", "253,141,60,255"),
                ("high", "240,59,32,255"), ("very high", "189,0,38,255"))
# Qualitative palette (ColorBrewer Paired/Set1) for incident types, then grey for all other types.
TYPE_PALETTE = ("227,26,28,255", "31,120,180,255", "51,160,44,255", "255,127,0,255", "106,61,154,255",
                "177,89,40,255", "166,206,227,255", "178,223,138,255", "251,154,153,255", "253,191,111,255",
                "202,178,214,255", "255,255,153,255")
OTHER_COLOUR = "150,150,150,255"
# Border bands by their outer edge (km).
BAND_COLOURS = ((10.0, "179,0,0,140"), (25.0, "227,74,51,120"), (50.0, "252,141,89,100"),
                (100.0, "253,204,138,90"))


def event_types_by_count(event_type: pd.Series) -> list[str]:
    """Event types from the most to the least common (ties by name): the order
    in which they get the palette's colours, in QGIS and in the map.

    Parameters
    ----------
    event_type
        The event type of every incident drawn.

    Returns
    -------
    list of str
        Each type once, the most common first.
    """
    counts = event_type.value_counts().sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return counts.index.astype(str).tolist()
