"""Joining points to tehsils, districts and countries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import geopandas as gpd
import pytest
import shapely

from geo.config import STUDY_AREA_EQUAL_AREA_CRS
from geo.join import JoinLayers, join_incidents


@pytest.fixture(scope="module")
def join_layers() -> JoinLayers:
    return JoinLayers.load()


def test_points_on_a_shared_edge_go_to_the_smallest_tehsil_id(join_layers):
    tehsils = join_layers.tehsils
    a = tehsils[tehsils["tehsil"] == "Bannu"].geometry.iloc[0]
    b = tehsils[tehsils["tehsil"] == "Domel"].geometry.iloc[0]
    edge = shapely.intersection(a.boundary, b.boundary)
    point = shapely.line_interpolate_point(shapely.line_merge(edge), 0.5, normalized=True)
    frame = pd.DataFrame({"lat": [point.y, point.y], "lon": [point.x, point.x]})
    joined = join_incidents(frame, join_layers)
    expected = min(tehsils.loc[tehsils["tehsil"].isin(["Bannu", "Domel"]), "tehsil_id"])
    assert list(joined["tehsil_id"]) == [expected, expected]
    reversed_layers = dataclasses.replace(join_layers, tehsils=tehsils.iloc[::-1].reset_index(drop=True))
    assert list(join_incidents(frame, reversed_layers)["tehsil_id"]) == [expected, expected]


def test_points_outside_the_study_area_are_kept_and_flagged(join_layers):
    frame = pd.DataFrame({"lat": [30.9, 34.5, 31.5, 33.0, np.nan], "lon": [66.3, 69.2, 74.3, 60.0, np.nan]})
    joined = join_incidents(frame, join_layers)
    assert list(joined["country"].fillna("-")) == ["Afghanistan", "Afghanistan", "Pakistan", "other", "-"]
    assert joined.loc[0, "district"] == "Spin Boldak" and joined.loc[0, "province"] == "Kandahar"
    assert joined.loc[1, "province"] == "Kabul" and joined.loc[1, "district_id"].startswith("AF-")
    assert not joined["in_study_area"].fillna(False).any()
    assert joined["tehsil_id"].isna().all()


def _point_across_the_edge(layers: JoinLayers, inside: str, beside: str, metres: float) -> shapely.Point:
    """A point ``metres`` inside district ``inside`` from the middle of its shared
    edge with district ``beside`` (measured in the equal-area projection)."""
    districts = layers.districts.set_index("district").to_crs(STUDY_AREA_EQUAL_AREA_CRS).geometry
    edge = shapely.line_merge(shapely.intersection(districts[inside].boundary, districts[beside].boundary))
    longest = max(getattr(edge, "geoms", [edge]), key=lambda part: part.length)
    on_edge = shapely.line_interpolate_point(longest, 0.5, normalized=True)
    # Step along the edge's normal, to the side that lies in ``inside``.
    a, b = (shapely.line_interpolate_point(longest, f, normalized=True) for f in (0.49, 0.51))
    normal = np.array([a.y - b.y, b.x - a.x]) / shapely.distance(a, b)
    for sign in (1, -1):
        candidate = shapely.Point(on_edge.x + sign * metres * normal[0], on_edge.y + sign * metres * normal[1])
        if districts[inside].contains(candidate):
            point = gpd.GeoSeries([candidate], crs=STUDY_AREA_EQUAL_AREA_CRS).to_crs(4326).iloc[0]
            return point
    raise AssertionError("no side of the edge lies in the district")


def test_a_point_near_the_edge_of_the_district_its_source_names_goes_there(join_layers):
    """Bara town points of UCDP fall a few hundred metres inside Peshawar while
    the source names Khyber: within 2 km of Khyber they join Khyber, and say so."""
    near = _point_across_the_edge(join_layers, "Peshawar", "Khyber", 500)
    far = _point_across_the_edge(join_layers, "Peshawar", "Khyber", 5000)
    frame = pd.DataFrame({"lat": [near.y, near.y, near.y, far.y], "lon": [near.x, near.x, near.x, far.x],
                          "source_admin2": ["Khyber agency", "Peshawar district", None, "Khyber"]})
    joined = join_incidents(frame, join_layers)
    assert joined["district"].tolist() == ["Khyber", "Peshawar", "Peshawar", "Peshawar"]
    assert joined["join_method"].tolist() == ["source_admin_near_edge", "point_in_polygon", "point_in_polygon",
                                              "point_in_polygon"]
    tehsils = join_layers.tehsils.set_index("tehsil_id")
    assert tehsils.loc[joined["tehsil_id"].iloc[0], "district"] == "Khyber"  # a tehsil of Khyber, the nearest
    off = join_incidents(frame, join_layers, source_admin_edge_km=0)
    assert off["district"].tolist() == ["Peshawar"] * 4 and off["join_method"].eq("point_in_polygon").all()


def test_the_edge_rule_never_moves_a_point_across_the_border(join_layers):
    """A point 300 m inside Afghanistan whose source names Khyber stays in Afghanistan."""
    border = join_layers.countries.set_index("country").geometry
    khyber = join_layers.districts.set_index("district").geometry["Khyber"]
    edge = shapely.intersection(khyber.boundary, border["Afghanistan"].boundary)
    on_edge = shapely.line_interpolate_point(shapely.line_merge(edge).geoms[0]
                                             if hasattr(shapely.line_merge(edge), "geoms")
                                             else shapely.line_merge(edge), 0.5, normalized=True)
    sides = [shapely.Point(on_edge.x + dx, on_edge.y) for dx in (0.003, -0.003)]
    (point,) = [p for p in sides if border["Afghanistan"].contains(p) and not khyber.intersects(p)]
    frame = pd.DataFrame({"lat": [point.y], "lon": [point.x], "source_admin2": ["Khyber Agency"]})
    joined = join_incidents(frame, join_layers)
    assert joined["country"].iloc[0] == "Afghanistan" and not joined["in_study_area"].iloc[0]
    assert pd.isna(joined["join_method"].iloc[0]) or joined["join_method"].iloc[0] == "point_in_polygon"
