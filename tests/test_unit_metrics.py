"""The committed side table of boundary-only unit measures
(boundaries/unit_geometry_metrics.csv) equals a fresh measure of the real
geometry, and the weights read from it equal libpysal's."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from libpysal.weights import Queen

from geo import boundaries
from geo.boundaries.unit_metrics import (
    ID_COLUMNS,
    UNIT_LAYERS,
    contiguity_weights,
    read_unit_metrics,
    read_unit_proximity,
)
from geo.cli.boundaries import GENERATED_FILES
from geo.filenames import BUILD_REPORT_JSON, UNIT_GEOMETRY_METRICS_CSV
from geo.metrics.proximity import BorderDistance, unit_proximity
from tests.conftest import BOUNDARIES_DIR, EQUAL_AREA


@pytest.fixture(scope="module")
def border_distance(layers) -> BorderDistance:
    return BorderDistance.build(layers["border"].geometry.iloc[0], EQUAL_AREA)


def _queen(units: gpd.GeoDataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Queen.from_dataframe(units, use_index=False, silence_warnings=True)


def test_the_table_is_a_generated_file_checked_against_a_rebuild():
    assert UNIT_GEOMETRY_METRICS_CSV in GENERATED_FILES
    assert (BOUNDARIES_DIR / UNIT_GEOMETRY_METRICS_CSV).exists()


@pytest.mark.parametrize("layer", UNIT_LAYERS)
def test_precomputed_proximity_equals_a_fresh_measure(layer, layers, border_distance):
    units = boundaries.load(layer)
    id_column = ID_COLUMNS[layer]
    fresh = unit_proximity(units, id_column, border_distance, layers["border_bands"])
    read = read_unit_proximity(layer, units, id_column, layers["border"].geometry.iloc[0],
                               layers["border_bands"], EQUAL_AREA, BOUNDARIES_DIR)
    assert len(read) == len(units)
    pd.testing.assert_frame_equal(read.sort_values(id_column, ignore_index=True),
                                  fresh.sort_values(id_column, ignore_index=True), check_exact=True)
    # the measure is not trivial: units touch the border, others lie hundreds of km away
    assert (read["min_distance_to_border_km"] == 0).any()
    assert read["centroid_distance_to_border_km"].max() > 300


@pytest.mark.parametrize("layer", UNIT_LAYERS)
def test_weights_from_the_table_equal_libpysal_queen(layer):
    units = boundaries.load(layer)
    queen = _queen(units)
    ours = contiguity_weights(units, ID_COLUMNS[layer], BOUNDARIES_DIR)
    assert ours.id_order == queen.id_order
    assert ours.neighbors == queen.neighbors
    assert all(ours.neighbors[k] == queen.neighbors[k] for k in queen.id_order)  # same order of neighbours
    assert ours.weights == queen.weights
    assert ours.n == len(units) and ours.s0 == queen.s0 > 0


def test_tehsils_of_either_vintage_share_one_set_of_weights():
    older = boundaries.load("tehsils", district_vintage="pre2022")
    assert contiguity_weights(older, "tehsil_id").neighbors == _queen(older).neighbors


def test_units_that_are_no_committed_layer_get_fresh_weights():
    units = boundaries.load("districts").iloc[::-1].head(30).reset_index(drop=True)  # reordered subset
    assert contiguity_weights(units, "district_id").neighbors == _queen(units).neighbors


def test_another_crs_or_other_units_are_measured_afresh(layers, border_distance):
    border, bands = layers["border"].geometry.iloc[0], layers["border_bands"]
    units = boundaries.load("districts").head(5)
    expected = unit_proximity(units, "district_id", border_distance, bands)
    read = read_unit_proximity("districts", units, "district_id", border, bands, EQUAL_AREA, BOUNDARIES_DIR)
    pd.testing.assert_frame_equal(read.reset_index(drop=True), expected)
    utm = "EPSG:32642"
    other = read_unit_proximity("districts", boundaries.load("districts"), "district_id", border, bands, utm,
                                BOUNDARIES_DIR)
    fresh = unit_proximity(boundaries.load("districts"), "district_id", BorderDistance.build(border, utm), bands)
    pd.testing.assert_frame_equal(other, fresh)


def test_rows_follow_each_layer_and_the_report_names_the_crs():
    import json

    for layer in UNIT_LAYERS:
        assert read_unit_metrics(layer)["unit_id"].tolist() == boundaries.load(layer)[ID_COLUMNS[layer]].tolist()
    report = json.loads((BOUNDARIES_DIR / BUILD_REPORT_JSON).read_text(encoding="utf-8"))
    assert report["unit_geometry_metrics"]["equal_area_crs"] == EQUAL_AREA
    with pytest.raises(ValueError, match="choose one of tehsils, districts, districts_pre2022"):
        read_unit_metrics("provinces")


def test_the_id_column_is_found_when_not_given():
    from geo.metrics.hotspots import contiguity

    for layer in UNIT_LAYERS:
        units = boundaries.load(layer)
        assert contiguity_weights(units).neighbors == _queen(units).neighbors
        assert contiguity(units).neighbors == _queen(units).neighbors  # what Gi* uses
