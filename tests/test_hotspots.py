"""Gi* finds a planted hotspot, nothing in shuffled data, and says when counts
are too sparse to test."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.metrics.hotspots import HOTSPOT_CLASSES, INSUFFICIENT_DATA, Hotspots, insufficient_reason, tie_aware_p


def _grid(n: int) -> gpd.GeoDataFrame:
    cells = [shapely.box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)]
    return gpd.GeoDataFrame({"unit_id": [f"u{k:03d}" for k in range(n * n)]}, geometry=cells, crs="EPSG:3857")


def test_planted_hotspot_is_found_and_shuffled_data_has_none():
    units = _grid(12)
    rng = np.random.default_rng(0)
    values = rng.poisson(2.0, len(units)).astype(float)
    rows, cols = np.divmod(np.arange(len(units)), 12)
    block = (abs(rows - 5) <= 1) & (abs(cols - 6) <= 1)
    values[block] += 25
    result = Hotspots.compute(units, values, "unit_id", seed=1).table
    centre = result.loc[(rows == 5) & (cols == 6)].iloc[0]
    assert centre["hotspot_class"] == "hot spot 99%" and centre["gi_bin"] == 3
    assert (result.loc[block, "gi_bin"] > 0).all()
    far = (abs(rows - 5) > 3) | (abs(cols - 6) > 3)
    assert (result.loc[far, "gi_bin"] <= 0).all()

    shuffled = Hotspots.compute(units, rng.permutation(rng.poisson(2.0, len(units)).astype(float)), "unit_id",
                                seed=1).table
    assert (shuffled["gi_bin"] != 0).sum() <= 2


def test_same_seed_same_result():
    units = _grid(6)
    values = np.arange(36, dtype=float)
    first = Hotspots.compute(units, values, "unit_id", seed=7).table
    second = Hotspots.compute(units, values, "unit_id", seed=7).table
    assert first.equals(second)


@pytest.mark.parametrize(("values", "reason"), [
    ({}, "no variance"),
    ({44: 1}, "fewer than 10 incidents"),
    ({44: 1, 45: 1}, "fewer than 10 incidents"),
    ({44: 3, 45: 3, 54: 3}, "fewer than 10 incidents"),
    ({44: 6, 45: 6}, "fewer than 3 units with incidents"),
])
def test_counts_that_cannot_support_the_test_are_insufficient_data(values, reason):
    units = _grid(10)
    counts = np.zeros(len(units))
    for k, v in values.items():
        counts[k] = v
    assert insufficient_reason(counts) == reason
    result = Hotspots.compute(units, counts, "unit_id", permutations=99)
    assert not result.tested and result.reason == reason
    table = result.table
    assert (table["hotspot_class"] == INSUFFICIENT_DATA).all()
    assert (table["gi_bin"] == 0).all() and table["gi_bin"].dtype == np.int64
    assert table["gi_z"].isna().all() and table["gi_p_sim"].isna().all()
    assert (table["neighbours"] > 0).all()


def test_constant_non_zero_values_are_insufficient_data():
    result = Hotspots.compute(_grid(5), np.full(25, 4.0), "unit_id", permutations=99)
    assert result.reason == "no variance" and (result.table["hotspot_class"] == INSUFFICIENT_DATA).all()


def test_few_busy_units_among_empty_ones_give_no_false_cold_spots():
    # 40 incidents in 4 adjacent cells of 100: most random neighbourhoods hold
    # no incident, exactly like an empty cell's own; those ties must not make
    # the empty cells "cold spot 99%" (esda's folded p_sim made 84 of them so)
    units = _grid(10)
    counts = np.zeros(100)
    counts[[44, 45, 54, 55]] = 10
    result = Hotspots.compute(units, counts, "unit_id", seed=3)
    table = result.table
    assert result.tested and result.reason == ""
    assert set(table["hotspot_class"]) <= set(HOTSPOT_CLASSES)
    assert (table["gi_bin"] >= 0).all()
    assert (table.loc[[44, 45, 54, 55], "gi_bin"] > 0).all()
    assert (table["gi_bin"] > 0).sum() <= 16  # the block and cells bordering it at most


def test_tie_aware_p_value():
    sims = np.array([[0.0, 0.0, 0.0, 1.0], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]])
    p = tie_aware_p(np.array([0.0, 0.5, 0.25]), sims)
    # tied with 3 of 4 draws: (3 + 1) / 5; above all draws: (0 + 1) / 5; in the middle: (2 + 1) / 5
    np.testing.assert_allclose(p, [0.8, 0.2, 0.6])


def test_permutations_must_be_positive():
    with pytest.raises(ValueError, match="permutations"):
        Hotspots.compute(_grid(3), np.arange(9.0), "unit_id", permutations=0)
