"""Border extraction and geodesic bands on constructed geometry."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from geo.boundaries.border import densify_geodesic, extract_border, geodesic_buffer
from geo.config import STUDY_AREA_EQUAL_AREA_CRS

GEOD = Geod(ellps="WGS84")


def test_border_is_the_stretch_facing_the_other_country():
    # "Pakistan" east of 70°E, "Afghanistan" west of it, overlapping by a sliver.
    pakistan = shapely.Polygon([(70.0, 30.0), (72.0, 30.0), (72.0, 32.0), (70.0, 32.0), (70.0, 31.0)])
    afghanistan = shapely.box(68.0, 30.0, 70.01, 32.0)
    border = extract_border(pakistan, afghanistan, match_km=5.0, projected_crs=STUDY_AREA_EQUAL_AREA_CRS)
    xs = np.asarray(border.coords)[:, 0]
    assert np.allclose(xs, 70.0)
    assert border.length == pytest.approx(2.0)


def test_extract_border_refuses_unrelated_outlines():
    with pytest.raises(ValueError, match="does not come near"):
        extract_border(shapely.box(70, 30, 71, 31), shapely.box(60, 30, 61, 31), 5.0, STUDY_AREA_EQUAL_AREA_CRS)


def test_densified_points_are_on_the_geodesic_and_close_together():
    line = shapely.LineString([(69.0, 33.0), (70.0, 34.0)])
    points = densify_geodesic(line, step_km=0.5)
    steps = GEOD.inv(points[:-1, 0], points[:-1, 1], points[1:, 0], points[1:, 1])[2]
    assert steps.max() <= 500.0 + 1e-6
    assert steps.sum() == pytest.approx(GEOD.inv(69.0, 33.0, 70.0, 34.0)[2], rel=1e-9)


@pytest.mark.parametrize("radius_km", [10.0, 50.0])
def test_geodesic_buffer_edge_is_at_the_radius(radius_km):
    line = shapely.LineString([(69.0, 33.0), (69.5, 33.4), (70.5, 33.2)])
    buffer = geodesic_buffer(line, radius_km)
    dense = densify_geodesic(line, 0.05)
    # Points on the outer ring must be radius_km from the line (within 10 m).
    ring = np.asarray(max(shapely.get_parts(buffer), key=lambda p: p.area).exterior.coords)[::25]
    for lon, lat in ring:
        metres = GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])[2]
        assert metres.min() == pytest.approx(radius_km * 1000.0, abs=10.0)


def test_afghan_side_is_extended_to_the_border():
    from geo.boundaries.border import _fill_gaps

    pakistan = shapely.box(70.0, 30.0, 72.0, 32.0)
    # two Afghan districts that stop short of the border, leaving an enclosed gap
    north = shapely.Polygon([(68, 31), (70, 31), (70, 32.5), (68, 32.5)])
    south = shapely.Polygon([(68, 29.5), (70, 29.5), (70, 30.2), (69.9, 30.2), (69.9, 31), (68, 31)])
    border = shapely.LineString([(70.0, 30.0), (70.0, 32.0)])
    filled, added = _fill_gaps(np.array([north, south], dtype=object), pakistan, border, 5.0,
                               STUDY_AREA_EQUAL_AREA_CRS)
    # The enclosed gap goes to the district sharing its longest edge; nothing
    # overlaps Pakistan, and the Afghan side now runs along the whole border.
    assert added[1].area == pytest.approx(0.08, rel=1e-3)
    assert added[0].area < 1e-3
    assert all(shapely.intersection(g, pakistan).area < 1e-12 for g in filled)
    afghan_edge = shapely.union_all([shapely.intersection(g.boundary, pakistan.boundary) for g in filled])
    assert shapely.intersection(afghan_edge, border).length == pytest.approx(2.0, rel=1e-6)
