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
import shapely

from geo import boundaries


@dataclasses.dataclass(frozen=True)
class JoinLayers:
    """The boundary layers a join needs, loaded once per run."""

    tehsils: gpd.GeoDataFrame
    afghan_districts: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame

    @classmethod
    def load(cls, boundaries_dir=None) -> JoinLayers:
        return cls(
            tehsils=boundaries.load("tehsils", boundaries_dir=boundaries_dir),
            afghan_districts=boundaries.load("afghan_border_districts", boundaries_dir=boundaries_dir),
            countries=boundaries.load("countries", boundaries_dir=boundaries_dir),
        )


JOIN_COLUMNS = {
    "tehsil_id": "string", "tehsil": "string", "district_id": "string", "district": "string",
    "province": "string", "country": "string", "in_study_area": "boolean",
}


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
    district and province when the point lies in an Afghan district near the
    border; ``country`` comes from the country outlines in all cases.
    """
    n = len(incidents)
    lon = incidents["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = incidents["lat"].to_numpy(dtype=float, na_value=np.nan)
    located = np.isfinite(lon) & np.isfinite(lat)
    columns = {c: np.full(n, None, dtype=object) for c in ("tehsil_id", "tehsil", "district_id", "district",
                                                            "province", "country")}
    in_study_area = np.full(n, None, dtype=object)
    rows = np.flatnonzero(located)
    points = shapely.points(lon[rows], lat[rows])

    hit = _first_hit(points, layers.tehsils, "tehsil_id")
    inside = hit >= 0
    for column in ("tehsil_id", "tehsil", "district_id", "district", "province"):
        columns[column][rows[inside]] = layers.tehsils[column].to_numpy(dtype=object)[hit[inside]]
    columns["country"][rows[inside]] = "Pakistan"
    in_study_area[rows] = inside

    # Only points outside the study area need the Afghan districts and the countries.
    outside_rows, outside_points = rows[~inside], points[~inside]
    afghan = layers.afghan_districts
    hit_af = _first_hit(outside_points, afghan, "afghan_district_id")
    found = hit_af >= 0
    for column, source in (("district_id", "afghan_district_id"), ("district", "district"), ("province", "province")):
        columns[column][outside_rows[found]] = afghan[source].to_numpy(dtype=object)[hit_af[found]]
    # Two large outlines: prepared point-in-polygon beats a tree query here.
    country = np.full(len(outside_rows), "other", dtype=object)
    x, y = lon[outside_rows], lat[outside_rows]
    for name, outline in sorted(zip(layers.countries["country"], layers.countries.geometry.values, strict=True),
                                reverse=True):  # the alphabetically first is applied last and wins ties
        shapely.prepare(outline)
        country[shapely.intersects_xy(outline, x, y)] = name
    columns["country"][outside_rows] = country

    out = incidents.copy()
    for column, values in columns.items():
        out[column] = pd.array(values, dtype=JOIN_COLUMNS[column])
    out["in_study_area"] = pd.array(in_study_area, dtype="boolean")
    return out
