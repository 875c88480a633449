"""Gi* finds a planted hotspot, nothing in shuffled data, and says when counts
are too sparse to test."""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.metrics.hotspots import (
    HOTSPOT_CLASSES,
    INSUFFICIENT_DATA,
    Hotspots,
    cold_support_bins,
    contiguity,
    fdr,
    gi_star_z,
    insufficient_reason,
    tie_aware_p,
)
from geo.metrics.units import empirical_bayes


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


# A planted cluster on the real districts: five neighbouring districts of the
# south-west of KP with 40–60 incidents each, a thin seeded background
# (Poisson, 0.1 incidents per 1,000 km²), and Zhob, far from the cluster,
# with 5 more incidents than its background.
PLANTED = {"North Waziristan": 60, "Bannu": 40, "Lakki Marwat": 40, "Lower South Waziristan": 40,
           "Upper South Waziristan": 40}
LONE = ("Zhob", 5)


@pytest.fixture(scope="module")
def planted(layers):
    districts = layers["districts"]
    index = {name: k for k, name in enumerate(districts["district"])}
    counts = np.random.default_rng(11).poisson(0.1 * districts["area_km2"].to_numpy() / 1000).astype(float)
    for name, extra in (*PLANTED.items(), LONE):
        counts[index[name]] += extra
    return districts, counts


# The default normal test finds all five at 99 %; permutations (9,999) are
# weaker with 72 skewed units: 4 of the 5 (Lower South Waziristan is missed).
@pytest.mark.parametrize(("inference", "hot", "hot_99"), [("normal", 5, 5), ("permutation", 4, 2)])
def test_planted_cluster_on_real_districts_is_hot_and_a_lone_unit_is_not(planted, inference, hot, hot_99):
    districts, counts = planted
    table = Hotspots.compute(districts, counts, "district_id", area_km2=districts["area_km2"].to_numpy(),
                             inference=inference).table.assign(district=districts["district"].to_numpy())
    table = table.set_index("district")
    assert (table.loc[list(PLANTED), "gi_bin"] > 0).sum() >= hot
    assert (table.loc[list(PLANTED), "gi_bin"] == 3).sum() >= hot_99
    assert table.loc[LONE[0], "gi_bin"] == 0 and counts[districts["district"] == LONE[0]][0] >= LONE[1]
    # hot only in and around the cluster: each hot district is in it or touches it
    weights = contiguity(districts)
    position = {name: k for k, name in enumerate(districts["district"])}
    near = {districts["district"].iloc[j] for name in PLANTED for j in weights.neighbors[position[name]]}
    near |= set(PLANTED)
    assert set(table.index[table["gi_bin"] > 0]) <= near
    # no district without an incident is a cold spot: their neighbourhoods are too small for a thin background
    assert not ((counts == 0) & (table["gi_bin"].to_numpy() < 0)).any()


def test_raw_counts_are_not_the_variable_with_areas(planted):
    districts, counts = planted
    area = districts["area_km2"].to_numpy()
    on_rates = Hotspots.compute(districts, counts, "district_id", area_km2=area).table["gi_z"].to_numpy()
    on_counts = Hotspots.compute(districts, counts, "district_id").table["gi_z"].to_numpy()
    expected = gi_star_z(empirical_bayes(counts, area / 1000), contiguity(districts))
    np.testing.assert_allclose(on_rates, np.round(expected, 4))
    assert not np.allclose(on_rates, on_counts)


def test_gi_star_z_matches_ord_and_getis():
    # a 3 × 3 grid with one busy centre: the centre's neighbourhood is all 9
    # cells (n_i = N: no variance, NaN); a corner's is 4 cells holding 9 + 3 × 1
    units = _grid(3)
    values = np.array([1, 1, 1, 1, 9, 1, 1, 1, 1], dtype=float)
    z = gi_star_z(values, contiguity(units))
    mean, sd, n = values.mean(), values.std(), 9
    corner = (12 - mean * 4) / (sd * np.sqrt((n * 4 - 16) / (n - 1)))
    assert np.isnan(z[4]) and z[0] == pytest.approx(corner)


def test_gi_star_z_is_esdas_binary_gi_star_on_real_districts(planted):
    districts, counts = planted
    weights = contiguity(districts).to_libpysal()
    expected = esda.G_Local(counts, weights, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(gi_star_z(counts, weights), expected, rtol=1e-9)
    # esda's default, row-standardised, is about √n_i smaller: the reason for binary weights
    with pytest.warns(UserWarning, match="Gi\\* requested"):
        row_standardised = esda.G_Local(counts, weights, star=True, permutations=0).Zs
    busy = np.flatnonzero(districts["district"].isin(PLANTED))
    assert (np.abs(row_standardised[busy]) < np.abs(expected[busy]) / 2).all()


def test_cold_spots_need_poisson_support():
    # 4 cells of 1,000 km² in a row, 40 incidents in the first: the overall
    # rate is 10 per 1,000 km², so the last cell's neighbourhood (2 cells, no
    # incident) expects 20 and supports 99 %; with 0.8 incidents in all it
    # would expect 0.4 and support nothing
    cells = [shapely.box(k, 0, k + 1, 1) for k in range(4)]
    units = gpd.GeoDataFrame({"unit_id": list("abcd")}, geometry=cells, crs="EPSG:3857")
    weights = contiguity(units)
    area = np.full(4, 1000.0)
    assert cold_support_bins(np.array([40.0, 0, 0, 0]), area, weights)[3] == 3
    assert cold_support_bins(np.array([0.8, 0, 0, 0]), area, weights)[3] == 0


# ---------------------------------------------------------------- the statistics a run computes without esda
# (geo.metrics imports neither esda nor libpysal nor scipy.stats: they are the oracles here)


def test_empirical_bayes_is_esdas_on_real_districts(planted):
    from esda.smoothing import Empirical_Bayes

    districts, counts = planted
    areas = districts["area_km2"].to_numpy() / 1000
    for values in (counts, np.where(np.arange(len(counts)) % 3 == 0, counts, 0), np.ones(len(counts))):
        expected = np.asarray(Empirical_Bayes(values.reshape(-1, 1), areas.reshape(-1, 1)).r).ravel()
        np.testing.assert_array_equal(empirical_bayes(values, areas), expected)


def test_fdr_is_esdas():
    rng = np.random.default_rng(3)
    for p in (rng.uniform(size=200), rng.uniform(size=50) ** 4, np.array([0.2, 0.5]), np.array([1e-6, 0.04])):
        for alpha in (0.1, 0.05, 0.01):
            assert fdr(p, alpha) == esda.fdr(p, alpha)


def test_contiguity_is_libpysals_queen_with_the_same_matrix(planted):
    from libpysal.weights import Queen

    districts, _ = planted
    ours = contiguity(districts)
    queen = Queen.from_dataframe(districts, use_index=False, silence_warnings=True)
    assert ours.neighbors == queen.neighbors and ours.id_order == queen.id_order
    for a, b in ((ours.sparse, queen.sparse), (ours.sparse, ours.to_libpysal().sparse)):
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.data, b.data)


def test_normal_p_and_poisson_support_are_scipy_stats(planted):
    from scipy import stats

    from geo.metrics.hotspots import _gi_star

    districts, counts = planted
    weights = contiguity(districts)
    z, p = _gi_star(counts, weights, "normal", 1, 0)
    np.testing.assert_array_equal(p, 2.0 * stats.norm.sf(np.abs(z)))
    area = districts["area_km2"].to_numpy()
    observed = np.array([0.0, 1, 2, 5, 7, 30])
    expected = np.array([0.0, 0.3, 2.5, 5, 20, 28])
    np.testing.assert_array_equal(special_pdtr(observed, expected), stats.poisson.cdf(observed, expected))
    assert cold_support_bins(counts, area, weights).shape == counts.shape


def special_pdtr(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """What cold_support_bins computes in place of scipy.stats.poisson.cdf."""
    from scipy import special

    return special.pdtr(np.floor(observed), expected)
