"""The unit levels the risk layers are measured at: districts and tehsils.

One :class:`Level` per level says which boundary layer holds its units, the
columns that identify and name a unit, and the files a run writes for it. The
metrics (:mod:`geo.metrics.layers`), their export (:mod:`geo.export.risk`) and
the maps (:mod:`geo.maps.content`) all read them from here.

Notes
-----
This module imports only :mod:`geo.filenames`: any stage may import it.
"""

from __future__ import annotations

import dataclasses

from geo import filenames


@dataclasses.dataclass(frozen=True)
class Level:
    """One unit level.

    Attributes
    ----------
    layer
        The boundary layer of its units (``districts``, ``tehsils``).
    id_column
        The column of the stable unit id.
    name_columns
        The columns that name a unit, itself first, then the units it lies in.
    output
        The base name of its risk layer (``districts_risk``): the layer of
        the GeoPackage and the ``.geojson``/``.qml``/``.qmd`` files.
    summary_table
        The file of its summary table (the layer without geometry).
    monthly_table
        The file of its monthly incidents and killed per unit.
    """

    layer: str
    id_column: str
    name_columns: tuple[str, ...]
    output: str
    summary_table: str
    monthly_table: str


LEVELS = (
    Level("districts", "district_id", ("district", "province"), "districts_risk",
          filenames.SUMMARY_DISTRICTS_CSV, filenames.MONTHLY_DISTRICTS_CSV),
    Level("tehsils", "tehsil_id", ("tehsil", "district", "province"), "tehsils_risk",
          filenames.SUMMARY_TEHSILS_CSV, filenames.MONTHLY_TEHSILS_CSV),
)
LEVEL_BY_OUTPUT = {level.output: level for level in LEVELS}
