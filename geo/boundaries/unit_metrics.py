"""Measures of each district and tehsil that depend only on the boundary layers.

Distances to the border, shares of area near it and queen-contiguity
neighbours change only when ``boundaries/`` does, so ``geo boundaries build``
computes them once into the side table ``boundaries/unit_geometry_metrics.csv``
(one row per unit of each unit layer) and a run reads them back instead of
measuring the same geometry again (the measure alone took most of a sample run).
``geo boundaries check`` compares the table byte for byte with a rebuild, like
every other generated file.

Columns: ``layer`` (tehsils, districts, districts_pre2022), ``unit_id`` (the
layer's ``tehsil_id`` or ``district_id``), the four columns of
:func:`geo.metrics.proximity.unit_proximity` and ``neighbour_ids``: the unit's
queen-contiguity neighbours, ``;``-separated, in the order libpysal's
``Queen.from_dataframe`` lists them. Rows follow each layer's own row order.
Unit areas are not repeated here: they are the ``area_km2`` column of the
layers themselves.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.boundaries import DISTRICT_LAYERS
from geo.config import default_settings
from geo.filenames import BUILD_REPORT_JSON, UNIT_GEOMETRY_METRICS_CSV
from geo.geojson import rfc7946_geometry

if TYPE_CHECKING:  # libpysal is imported where weights are built, never by `geo ingest`
    from libpysal.weights import W
    from scipy import sparse

# The build report records the CRS the distances were searched in (see read_unit_proximity).
REPORT_KEY = "unit_geometry_metrics"
UNIT_LAYERS = ("tehsils", *DISTRICT_LAYERS.values())
ID_COLUMNS = {"tehsils": "tehsil_id", **{name: "district_id" for name in DISTRICT_LAYERS.values()}}
PROXIMITY_COLUMNS = ("min_distance_to_border_km", "centroid_distance_to_border_km",
                     "share_within_25km", "share_within_50km")
_SEPARATOR = ";"


def unit_metrics_table(layers: dict[str, gpd.GeoDataFrame], projected_crs: str) -> pd.DataFrame:
    """The side table for the unit layers of one build.

    Parameters
    ----------
    layers
        The build's layers; needs ``border``, ``border_bands`` and every layer
        of :data:`UNIT_LAYERS`.
    projected_crs
        The metric CRS in which the nearest border vertex is searched
        (``Settings.equal_area_crs``), as a run would.
    """
    from geo.metrics.proximity import BorderDistance, unit_proximity  # geo.metrics imports geo.boundaries

    # Measured on the geometry as the committed files hold it (rounded, oriented),
    # which is what a run loads: point_on_surface depends on both.
    written = {name: layers[name].set_geometry(rfc7946_geometry(layers[name].geometry.values))
               for name in (*UNIT_LAYERS, "border", "border_bands")}
    distances = BorderDistance.build(written["border"].geometry.iloc[0], projected_crs)
    frames = []
    for name in UNIT_LAYERS:
        units, id_column = written[name], ID_COLUMNS[name]
        proximity = unit_proximity(units, id_column, distances, written["border_bands"])
        ids = units[id_column].tolist()
        frames.append(pd.DataFrame({
            "layer": name, "unit_id": ids,
            **{column: proximity[column].to_numpy() for column in PROXIMITY_COLUMNS},
            "neighbour_ids": [_SEPARATOR.join(ids[j] for j in neighbours) for neighbours in _queen(units)],
        }))
    return pd.concat(frames, ignore_index=True)


def report_entry(projected_crs: str) -> dict[str, str]:
    """What the build report says about the side table."""
    return {"file": UNIT_GEOMETRY_METRICS_CSV, "equal_area_crs": projected_crs}


def read_unit_metrics(layer: str, boundaries_dir: Path | None = None) -> pd.DataFrame:
    """The committed rows of one unit layer, in the layer's row order.

    Raises
    ------
    ValueError
        ``layer`` is not one of :data:`UNIT_LAYERS`.
    """
    if layer not in UNIT_LAYERS:
        msg = f"no unit metrics for layer {layer!r}; choose one of {', '.join(UNIT_LAYERS)}"
        raise ValueError(msg)
    table = pd.read_csv(_folder(boundaries_dir) / UNIT_GEOMETRY_METRICS_CSV,
                        dtype={"layer": str, "unit_id": str}, keep_default_na=False,
                        na_values={column: [""] for column in PROXIMITY_COLUMNS})
    return table[table["layer"] == layer].reset_index(drop=True)


def read_unit_proximity(layer: str, units: gpd.GeoDataFrame, id_column: str, border: shapely.Geometry,
                        bands: gpd.GeoDataFrame, projected_crs: str,
                        boundaries_dir: Path | None = None) -> pd.DataFrame:
    """:func:`geo.metrics.proximity.unit_proximity` of ``units``, read from the side table.

    The table answers when it was built in ``projected_crs`` and lists exactly
    the ids of ``units``; otherwise (another CRS in the settings, units that
    are not a committed layer) the distances are measured afresh from
    ``border`` and ``bands``, so the result is always the one a fresh measure
    would give.

    Parameters
    ----------
    layer
        The committed layer ``units`` were loaded from (one of :data:`UNIT_LAYERS`).
    """
    folder = _folder(boundaries_dir)
    if _built_in(folder) == projected_crs:
        rows = read_unit_metrics(layer, folder)
        if sorted(rows["unit_id"]) == sorted(units[id_column].astype(str)):
            return rows.rename(columns={"unit_id": id_column})[[id_column, *PROXIMITY_COLUMNS]]
    from geo.metrics.proximity import BorderDistance, unit_proximity

    return unit_proximity(units, id_column, BorderDistance.build(border, projected_crs), bands)


class Neighbours:
    """Queen-contiguity neighbours of units 0…n−1 with binary weights: the part
    of libpysal's ``W`` that Gi* reads (``neighbors``, ``id_order``, ``sparse``,
    ``n``), without importing libpysal, which costs about a second (it pulls
    scikit-learn and scipy.stats) in every ``geo run``.

    :meth:`to_libpysal` gives the ``W`` itself (esda's permutations need one).
    """

    def __init__(self, neighbors: dict[int, list[int]]) -> None:
        self.neighbors = neighbors
        self.id_order = list(range(len(neighbors)))
        self.n = len(neighbors)
        self._sparse: sparse.csr_matrix | None = None

    @property
    def sparse(self) -> sparse.csr_matrix:
        """(n, n) binary matrix, built as libpysal's ``W.sparse`` (same entry order)."""
        if self._sparse is None:
            from scipy import sparse as scipy_sparse

            row = np.array([i for i in self.id_order for _ in self.neighbors[i]], dtype=np.int64)
            col = np.array([j for i in self.id_order for j in self.neighbors[i]], dtype=np.int64)
            self._sparse = scipy_sparse.csr_matrix((np.ones(len(row)), (row, col)), shape=(self.n, self.n))
        return self._sparse

    def to_libpysal(self) -> W:
        """The same weights as a libpysal ``W`` (imports libpysal)."""
        from libpysal.weights import W

        return W(self.neighbors, {k: [1.0] * len(v) for k, v in self.neighbors.items()},
                 id_order=list(self.id_order), silence_warnings=True)


def contiguity_neighbours(units: gpd.GeoDataFrame, id_column: str | None = None,
                          boundaries_dir: Path | None = None) -> Neighbours:
    """Queen-contiguity :class:`Neighbours` of ``units``, equal to
    :func:`contiguity_weights`; libpysal is imported only when the side table
    does not list ``units`` (hand-made units, a subset, another order)."""
    neighbours = _table_neighbours(units, id_column, boundaries_dir)
    if neighbours is None:
        weights = contiguity_weights(units, id_column, boundaries_dir)
        neighbours = {k: list(weights.neighbors[k]) for k in weights.id_order}
    return Neighbours(neighbours)


def contiguity_weights(units: gpd.GeoDataFrame, id_column: str | None = None,
                       boundaries_dir: Path | None = None) -> W:
    """Queen-contiguity weights of ``units``, as ``Queen.from_dataframe(units,
    use_index=False)`` gives them: ids 0…n−1 in row order, binary weights.

    Read from the side table when ``units`` lists the ids of a committed unit
    layer in that layer's order (so the weights are identical to libpysal's,
    neighbour order included); computed with libpysal otherwise (hand-made
    units, a subset, another order).

    Parameters
    ----------
    id_column
        The column of unit ids; by default ``tehsil_id`` when ``units`` has
        one, else ``district_id``.
    boundaries_dir
        Folder of the side table; the project's ``boundaries/`` by default.
    """
    from libpysal.weights import Queen

    neighbours = _table_neighbours(units, id_column, boundaries_dir)
    if neighbours is not None:
        return Neighbours(neighbours).to_libpysal()
    with warnings.catch_warnings():  # islands are reported by the callers
        warnings.simplefilter("ignore")
        return Queen.from_dataframe(units, use_index=False, silence_warnings=True)


def _table_neighbours(units: gpd.GeoDataFrame, id_column: str | None,
                      boundaries_dir: Path | None) -> dict[int, list[int]] | None:
    """Each unit's neighbours (row positions) from the side table, or None when
    ``units`` is not a committed unit layer in that layer's order."""
    if id_column is None:
        id_column = next((c for c in ("tehsil_id", "district_id") if c in units.columns), None)
    ids = units[id_column].astype(str).tolist() if id_column is not None else []
    path = _folder(boundaries_dir) / UNIT_GEOMETRY_METRICS_CSV
    if ids and path.exists():
        # the csv module: a tenth of the time pandas takes for these few hundred rows
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for layer in UNIT_LAYERS:
            chosen = [row for row in rows if row["layer"] == layer]
            if [row["unit_id"] for row in chosen] == ids:
                position = {unit: k for k, unit in enumerate(ids)}
                return {k: [position[n] for n in row["neighbour_ids"].split(_SEPARATOR) if n]
                        for k, row in enumerate(chosen)}
    return None


def _queen(units: gpd.GeoDataFrame) -> list[list[int]]:
    """Each unit's queen neighbours (row positions) in libpysal's order."""
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    return [list(weights.neighbors[k]) for k in range(len(units))]


def _folder(boundaries_dir: Path | None) -> Path:
    return Path(boundaries_dir) if boundaries_dir is not None else default_settings().boundaries_dir


def _built_in(folder: Path) -> str | None:
    """The CRS the committed table was built in (None without a table or report)."""
    report = folder / BUILD_REPORT_JSON
    if not (folder / UNIT_GEOMETRY_METRICS_CSV).exists() or not report.exists():
        return None
    return json.loads(report.read_text(encoding="utf-8")).get(REPORT_KEY, {}).get("equal_area_crs")
