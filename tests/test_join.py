"""Joining points to tehsils, districts and countries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

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
    reversed_layers = JoinLayers(tehsils.iloc[::-1].reset_index(drop=True), join_layers.afghan_districts,
                                 join_layers.countries)
    assert list(join_incidents(frame, reversed_layers)["tehsil_id"]) == [expected, expected]


def test_points_outside_the_study_area_are_kept_and_flagged(join_layers):
    frame = pd.DataFrame({"lat": [30.9, 34.5, 31.5, 33.0, np.nan], "lon": [66.3, 69.2, 74.3, 60.0, np.nan]})
    joined = join_incidents(frame, join_layers)
    assert list(joined["country"].fillna("-")) == ["Afghanistan", "Afghanistan", "Pakistan", "other", "-"]
    assert joined.loc[0, "district"] == "Spin Boldak" and joined.loc[0, "province"] == "Kandahar"
    assert joined.loc[1, "province"] == "Kabul" and joined.loc[1, "district_id"].startswith("AF-")
    assert not joined["in_study_area"].fillna(False).any()
    assert joined["tehsil_id"].isna().all()
