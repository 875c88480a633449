"""Distance to the border against brute-force geodesics."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from geo.boundaries.border import densify_geodesic
from geo.config import Settings
from geo.metrics.proximity import BorderDistance, band_labels, unit_proximity

GEOD = Geod(ellps="WGS84")
TOWNS = {  # lon, lat (GeoNames)
    "Landi Kotal": (71.14108, 34.0988), "Torkham": (71.0955, 34.1290), "Peshawar": (71.57849, 34.008),
    "Quetta": (67.00141, 30.18414), "Bannu": (70.60403, 32.98527), "Gwadar": (62.32541, 25.12163),
    "Chitral": (71.78636, 35.8518), "Zhob": (69.4493, 31.34082),
}


@pytest.fixture(scope="module")
def distances(layers) -> BorderDistance:
    return BorderDistance.build(layers["border"].geometry.iloc[0], Settings().equal_area_crs)


def _brute_force_km(border, lon: float, lat: float) -> float:
    dense = np.concatenate([densify_geodesic(line, 0.01) for line in border.geoms])
    return GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])[2].min() / 1000


def test_distances_match_pyproj_geod_near_and_far(layers, distances):
    border = layers["border"].geometry.iloc[0]
    for town, (lon, lat) in TOWNS.items():
        ours = distances.km([lon], [lat])[0]
        reference = _brute_force_km(border, lon, lat)
        assert abs(ours - reference) <= max(0.005 * reference, 0.1), (town, ours, reference)
    assert distances.km([71.0955], [34.1290])[0] < 2  # Torkham is on the border
    assert distances.km([62.32541], [25.12163])[0] > 400  # Gwadar is far from it
    assert np.isnan(distances.km([np.nan], [30.0])[0])


def test_band_membership():
    edges = Settings().border_band_edges_km
    assert band_labels(np.array([0.0, 9.999, 10.0, 24.9, 25.0, 60.0, 100.0, 1e4]), edges).tolist() == [
        "0-10", "0-10", "10-25", "10-25", "25-50", "50-100", ">100", ">100"]


def test_unit_proximity(layers, distances):
    districts = layers["districts"]
    chosen = districts[districts["district"].isin(["Khyber", "Peshawar", "Abbottabad", "Quetta"])]
    table = unit_proximity(chosen, "district_id", distances, layers["border_bands"]).set_index("district_id")
    by_name = dict(zip(chosen["district"], chosen["district_id"], strict=True))
    khyber, peshawar, abbottabad = (table.loc[by_name[n]] for n in ("Khyber", "Peshawar", "Abbottabad"))
    assert khyber["min_distance_to_border_km"] == 0.0 and khyber["share_within_25km"] > 0.5
    assert 0 < peshawar["min_distance_to_border_km"] < 25 < peshawar["centroid_distance_to_border_km"]
    assert abbottabad["share_within_50km"] == 0.0 and abbottabad["min_distance_to_border_km"] > 100
    assert (table["share_within_25km"] <= table["share_within_50km"]).all()


def test_repeated_locations_get_the_distance_of_each_point_alone(distances):
    # km() measures each distinct location once and spreads the result back
    lon = np.array([70.0, 66.5, 70.0, np.nan, 71.2, 66.5, -0.0, 0.0])
    lat = np.array([34.0, 30.1, 34.0, 30.0, 33.0, 30.1, 30.0, 30.0])
    together = distances.km(lon, lat)
    alone = np.array([distances.km(np.array([x]), np.array([y]))[0] for x, y in zip(lon, lat, strict=True)])
    np.testing.assert_array_equal(together, alone)
    assert together[0] == together[2] and np.isnan(together[3]) and together[0] < together[4]


def test_many_locations_get_the_same_distances_from_the_k_d_tree(layers, distances, monkeypatch):
    # Above KD_TREE_FROM distinct locations the nearest vertices come from a k-d
    # tree: the same vertices, so the same distances, as the STRtree's.
    import geo.metrics.proximity as proximity

    rng = np.random.default_rng(2)
    provinces = layers["provinces"].total_bounds
    lon = rng.uniform(provinces[0], provinces[2], 3_000)
    lat = rng.uniform(provinces[1], provinces[3], 3_000)
    lon[:8], lat[:8] = zip(*TOWNS.values(), strict=True)
    monkeypatch.setattr(proximity, "KD_TREE_FROM", 10**9)
    by_strtree = distances.km(lon, lat)
    monkeypatch.setattr(proximity, "KD_TREE_FROM", 1_000)
    by_kd_tree = distances.km(lon, lat)
    np.testing.assert_array_equal(by_kd_tree, by_strtree)
