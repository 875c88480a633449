"""Gi* finds a planted hotspot, and nothing in shuffled data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.metrics.hotspots import Hotspots


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
