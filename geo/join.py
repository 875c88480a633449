"""Join incidents to tehsil, district and province (or, outside the study area,
to a country and Afghan district).

Rule for points on a shared edge (or vertex) of two tehsils: the tehsil with
the smallest ``tehsil_id`` wins, so the result does not depend on row or
polygon order. The same rule applies to Afghan districts.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from geo import boundaries


@dataclasses.dataclass(frozen=True)
class JoinLayers:
    """The boundary layers a join needs, loaded once per run."""

    tehsils: gpd.GeoDataFrame
    afghan_districts: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame

    @classmethod
    def load(cls, boundaries_dir=None, district_vintage: str = "current") -> JoinLayers:
        """The layers from ``boundaries_dir``, with the districts of ``district_vintage``."""
        return cls(
            tehsils=boundaries.load("tehsils", boundaries_dir=boundaries_dir,
                                    district_vintage=district_vintage),
            afghan_districts=boundaries.load("afghan_districts", boundaries_dir=boundaries_dir),
            countries=boundaries.load("countries", boundaries_dir=boundaries_dir),
        )



def _first_hit(points: np.ndarray, polygons: gpd.GeoDataFrame, id_column: str) -> np.ndarray:
    """Index into ``polygons`` of the polygon containing each point (smallest id on
    shared edges), or -1."""
    order = np.argsort(polygons[id_column].to_numpy(dtype=str), kind="stable")
    tree = shapely.STRtree(polygons.geometry.values[order])
    point_idx, poly_idx = tree.query(points, predicate="intersects")
    hit = np.full(len(points), -1, dtype=np.int64)
    # Sorting ids first means the smallest sorted position per point is the smallest id.
    best = np.full(len(points), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, point_idx, poly_idx)
    found = best != np.iinfo(np.int64).max
    hit[found] = order[best[found]]
    return hit


def join_incidents(incidents: pd.DataFrame, layers: JoinLayers) -> pd.DataFrame:
    """Add tehsil_id, tehsil, district_id, district, province, country and
    in_study_area to every incident with coordinates (others get them empty).

    Outside the study area, ``district`` and ``province`` are the Afghan
    district and province when the point lies in Afghanistan; ``country``
    comes from the country outlines in all cases.
    """
    n = len(incidents)
    lon = incidents["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = incidents["lat"].to_numpy(dtype=float, na_value=np.nan)
    rows = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    points = shapely.points(lon[rows], lat[rows])

    # Each output column is a lookup table plus, per row, an index into it (-1: none).
    tehsil_of = np.full(n, -1, dtype=np.int64)
    tehsil_of[rows] = _first_hit(points, layers.tehsils, "tehsil_id")
    inside = tehsil_of[rows] >= 0

    # Only points outside the study area need the Afghan districts and the countries.
    outside_rows = rows[~inside]
    afghan_of = np.full(n, -1, dtype=np.int64)
    afghan_of[outside_rows] = _first_hit(points[~inside], layers.afghan_districts, "afghan_district_id")
    countries = ["Pakistan", "Afghanistan", "other"]
    country_of = np.full(n, -1, dtype=np.int64)
    country_of[rows[inside]] = 0
    outside_country = np.full(len(outside_rows), 2, dtype=np.int64)
    x, y = lon[outside_rows], lat[outside_rows]
    # Two large outlines: prepared point-in-polygon beats a tree query here.
    for name, outline in sorted(zip(layers.countries["country"], layers.countries.geometry.values, strict=True),
                                reverse=True):  # the alphabetically first is applied last and wins ties
        shapely.prepare(outline)
        outside_country[shapely.intersects_xy(outline, x, y)] = countries.index(name)
    country_of[outside_rows] = outside_country

    out = incidents.copy()
    tehsils, afghan = layers.tehsils, layers.afghan_districts
    for column in ("tehsil_id", "tehsil"):
        out[column] = _lookup(tehsils[column], tehsil_of)
    for column, afghan_column in (("district_id", "afghan_district_id"), ("district", "district"),
                                  ("province", "province")):
        # Study-area units first, then the Afghan ones, in one lookup table.
        table = pd.concat([tehsils[column], afghan[afghan_column]], ignore_index=True)
        index = np.where(tehsil_of >= 0, tehsil_of, np.where(afghan_of >= 0, afghan_of + len(tehsils), -1))
        out[column] = _lookup(table, index)
    out["country"] = _lookup(pd.Series(countries), country_of)
    located = np.zeros(n, dtype=bool)
    located[rows] = True
    out["in_study_area"] = pd.arrays.BooleanArray(tehsil_of >= 0, ~located)
    return out


def _lookup(table: pd.Series, index: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``table[index]`` as a string column, empty where ``index`` is -1 (done in Arrow)."""
    values = pa.array(table.astype("string").to_numpy(dtype=object, na_value=None), type=pa.string())
    taken = values.take(pa.array(index, mask=index < 0))
    return taken.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get).array
