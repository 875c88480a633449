"""District vintages on the committed layers: today's districts and the pre-2022
set, the crosswalk between them, and the setting that chooses one."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geo import boundaries
from geo._errors import BoundaryBuildError
from geo.boundaries.vintages import district_names_by_vintage, read_vintage_table
from geo.filenames import DISTRICT_CROSSWALK_CSV, DISTRICT_VINTAGES_CSV
from geo.cli import cli
from geo.config import DISTRICT_VINTAGES, Settings, SettingsError, load_settings
from geo.geocode import Gazetteer
from geo.join import JoinLayers, join_incidents
from geo.pipeline import run

from .conftest import BOUNDARIES_DIR, EQUAL_AREA

KP, BA = "Khyber Pakhtunkhwa", "Balochistan"
WANA = (32.30, 69.57)  # lat, lon of Wana town
AREA_TOLERANCE_KM2 = 0.01  # areas are stored to 3 decimals


@pytest.fixture(scope="module")
def vintages() -> dict[str, gpd.GeoDataFrame]:
    return {v: boundaries.load("districts", district_vintage=v) for v in DISTRICT_VINTAGES}


@pytest.fixture(scope="module")
def crosswalk() -> pd.DataFrame:
    return pd.read_csv(BOUNDARIES_DIR / DISTRICT_CROSSWALK_CSV)


def _districts(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_index("district_id")


def test_district_counts_per_vintage(vintages, layers):
    counts = {v: frame.groupby("province").size().to_dict() for v, frame in vintages.items()}
    assert counts == {"current": {KP: 36, BA: 36}, "pre2022": {KP: 35, BA: 34}}
    provinces = layers["provinces"].set_index("province")
    assert provinces.loc[KP, "n_districts"] == 36 and provinces.loc[BA, "n_districts_pre2022"] == 34
    assert len(layers["districts"]) == 72 and len(layers["districts_pre2022"]) == 69


def test_upper_and_lower_south_waziristan_partition_the_old_district(vintages, layers):
    current, old = _districts(vintages["current"]), _districts(vintages["pre2022"])
    halves = ["PK-KP-upper-south-waziristan", "PK-KP-lower-south-waziristan"]
    whole = old.loc["PK-KP-south-waziristan"]
    assert "PK-KP-south-waziristan" not in current.index and not set(halves) & set(old.index)
    assert current.loc[halves, "area_km2"].sum() == pytest.approx(whole["area_km2"], abs=AREA_TOLERANCE_KM2)
    assert current.loc[halves, "n_tehsils"].tolist() == [5, 3] and whole["n_tehsils"] == 8
    upper, lower = current.loc[halves].geometry
    overlap = shapely.intersection(upper, lower)
    gap = shapely.symmetric_difference(shapely.union(upper, lower), whole.geometry)
    assert (gpd.GeoSeries([overlap, gap], crs="EPSG:4326").to_crs(EQUAL_AREA).area < 1e4).all()  # < 0.01 km²
    assert shapely.get_num_geometries(upper) == shapely.get_num_geometries(lower) == 1  # each in one piece
    tehsils = layers["tehsils"]
    old_members = set(tehsils.loc[tehsils["district_id_pre2022"] == "PK-KP-south-waziristan", "tehsil"])
    assert old_members == {"Birmal", "Ladha", "Makin", "Saraogha", "Serwekai", "Tiarza", "Toi Khulla", "Wana"}
    lower_members = set(tehsils.loc[tehsils["district_id"] == "PK-KP-lower-south-waziristan", "tehsil"])
    assert lower_members == {"Wana", "Birmal", "Toi Khulla"}


def test_hub_exists_today_and_lay_in_lasbela_before(vintages):
    current, old = _districts(vintages["current"]), _districts(vintages["pre2022"])
    assert "PK-BA-hub" in current.index and "PK-BA-hub" not in old.index
    assert current.loc["PK-BA-hub", "province"] == BA
    before = old.loc["PK-BA-lasbela", "area_km2"]
    after = current.loc[["PK-BA-hub", "PK-BA-lasbela"], "area_km2"].sum()
    assert after == pytest.approx(before, abs=AREA_TOLERANCE_KM2)
    assert "PK-BA-usta-muhammad" in current.index and "PK-BA-usta-muhammad" not in old.index
    # every other district is the same polygon in both vintages
    changed = {"PK-KP-south-waziristan", "PK-BA-lasbela", "PK-BA-jaffarabad"}
    for district_id in old.index.difference(changed):
        assert old.loc[district_id].geometry.equals(current.loc[district_id].geometry), district_id


@pytest.mark.parametrize(("vintage", "district_id", "district"), [
    ("current", "PK-KP-lower-south-waziristan", "Lower South Waziristan"),
    ("pre2022", "PK-KP-south-waziristan", "South Waziristan"),
])
def test_a_point_in_wana_joins_to_the_district_of_the_vintage(vintage, district_id, district):
    frame = pd.DataFrame({"lat": [WANA[0]], "lon": [WANA[1]]})
    joined = join_incidents(frame, JoinLayers.load(district_vintage=vintage))
    assert joined.loc[0, "tehsil_id"] == "PK-KP-south-waziristan-wana"  # tehsil ids do not change
    assert (joined.loc[0, "district_id"], joined.loc[0, "district"]) == (district_id, district)


def test_crosswalk_covers_every_district_of_both_vintages(vintages, crosswalk):
    for vintage, frame in vintages.items():
        assert set(crosswalk[f"district_id_{vintage}"]) == set(frame["district_id"])
        by_district = crosswalk.groupby(f"district_id_{vintage}")
        # the parts of each district add up to it: in share and in area
        assert by_district[f"share_of_{vintage}"].sum().to_numpy() == pytest.approx(1.0, abs=1e-5)
        areas = frame.set_index("district_id")["area_km2"]
        assert by_district["area_km2"].sum().to_numpy() == pytest.approx(
            areas[by_district.size().index].to_numpy(), abs=AREA_TOLERANCE_KM2)
    split = crosswalk[crosswalk["district_id_pre2022"] != crosswalk["district_id_current"]]
    assert sorted(zip(split["district_id_pre2022"], split["district_id_current"], strict=True)) == [
        ("PK-BA-jaffarabad", "PK-BA-usta-muhammad"), ("PK-BA-lasbela", "PK-BA-hub"),
        ("PK-KP-south-waziristan", "PK-KP-lower-south-waziristan"),
        ("PK-KP-south-waziristan", "PK-KP-upper-south-waziristan")]
    assert crosswalk["tehsil_ids"].str.split(";").map(len).sum() == 252


def test_vintage_table_rows_are_sourced_and_applied(layers):
    table = read_vintage_table(BOUNDARIES_DIR / DISTRICT_VINTAGES_CSV)
    assert (table["source"].str.len() > 40).all()
    assert table["source"].str.contains("notification of 2022").all()
    tehsils = layers["tehsils"].set_index("tehsil_id")
    for row in table.itertuples():
        assert tehsils.loc[row.tehsil_id, "district"] == row.district_current
        assert tehsils.loc[row.tehsil_id, "district_pre2022"] == row.district_pre2022
    unchanged = tehsils.drop(index=table["tehsil_id"])
    assert (unchanged["district_id"] == unchanged["district_id_pre2022"]).all()


def test_a_vintage_table_that_no_longer_fits_the_build_stops_it():
    ids, names = ["PK-BA-lasbela-hub", "PK-BA-lasbela-bela"], ["Hub", "Bela"]
    assigned = ["Lasbela", "Lasbela"]

    def table(*rows: tuple[str, str, str, str]) -> pd.DataFrame:
        return pd.DataFrame([{"tehsil_id": t, "tehsil": n, "district_pre2022": old, "district_current": new,
                              "source": "a notification", "note": ""} for t, n, old, new in rows])

    hub = ("PK-BA-lasbela-hub", "Hub", "Lasbela", "Hub")
    fits = district_names_by_vintage(ids, names, assigned, table(hub))
    assert fits == {"current": ["Hub", "Lasbela"], "pre2022": ["Lasbela", "Lasbela"]}
    for rows, message in [
        ((("PK-BA-lasbela-nowhere", "Nowhere", "Lasbela", "Hub"),), "not a tehsil of the build"),
        ((("PK-BA-lasbela-hub", "Hab", "Lasbela", "Hub"),), "is named 'Hub'"),
        ((("PK-BA-lasbela-hub", "Hub", "Khuzdar", "Hub"),), "assigns it to Lasbela"),
        ((hub, hub), "more than one row"),
    ]:
        with pytest.raises(BoundaryBuildError, match=message):
            district_names_by_vintage(ids, names, assigned, table(*rows))


def test_tehsils_load_with_the_districts_of_a_vintage():
    old = boundaries.load("tehsils", district_vintage="pre2022").set_index("tehsil_id")
    assert old.loc["PK-BA-lasbela-hub", ["district_id", "district"]].tolist() == ["PK-BA-lasbela", "Lasbela"]
    assert old.loc["PK-BA-usta-muhammad-ghandakha", "district"] == "Jaffarabad"
    with pytest.raises(SettingsError, match="choose one of current, pre2022"):
        boundaries.load("districts", district_vintage="2017")


def test_a_wrong_district_vintage_is_a_one_line_settings_error(tmp_path):
    path = tmp_path / "geo.toml"
    path.write_text('district_vintage = "x"\n')
    with pytest.raises(SettingsError, match="^district_vintage must be one of current, pre2022, got 'x'$"):
        load_settings(path)
    path.write_text("district_vintage = 2017\n")
    with pytest.raises(SettingsError, match="district_vintage .* must be str"):
        load_settings(path)
    path.write_text('district_vintage = "pre2022"\n')
    assert load_settings(path).district_vintage == "pre2022" and Settings().district_vintage == "current"
    path.write_text('district_vintage = "x"\n')
    result = CliRunner().invoke(cli, ["run", "--config", str(path), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1
    expected = "Error: district_vintage must be one of current, pre2022, got 'x'"
    assert result.output.strip().splitlines() == [expected]


def test_geocoding_knows_the_district_names_of_every_vintage():
    gazetteer = Gazetteer()
    names = ("South Waziristan", "Lower South Waziristan", "Upper South Waziristan", "Lasbela", "Jaffarabad")
    for name in names:
        found = gazetteer.match(name)
        assert found.method == "gazetteer" and found.precision == 2, name
    hinted = gazetteer.match("no such place", district_hint="South Waziristan")
    assert hinted.method == "admin_centroid" and "South Waziristan" in hinted.detail


INCIDENTS = "source,source_id,date,lat,lon,killed\n" + "".join(
    f"test,{k},2024-{k % 12 + 1:02d}-15,{lat},{lon},{k % 3}\n"
    for k, (lat, lon) in enumerate([WANA, (32.55, 70.02), (25.10, 66.95), (33.00, 70.10)] * 6))


# Six incidents each in Wana (Lower South Waziristan), Ladha (Upper South Waziristan), Hub and Miran Shah.
@pytest.mark.parametrize(("vintage", "n_districts", "expected"), [
    ("current", 72, {"PK-KP-lower-south-waziristan": 6, "PK-KP-upper-south-waziristan": 6, "PK-BA-hub": 6,
                     "PK-BA-lasbela": 0, "PK-KP-north-waziristan": 6}),
    ("pre2022", 69, {"PK-KP-south-waziristan": 12, "PK-BA-lasbela": 6, "PK-KP-north-waziristan": 6}),
])
def test_geo_run_follows_the_district_vintage(tmp_path, vintage, n_districts, expected):
    source = tmp_path / "incidents.csv"
    source.write_text(INCIDENTS)
    settings = dataclasses.replace(Settings(), district_vintage=vintage, hotspot_permutations=99)
    out = tmp_path / "out"
    run([source], out, settings=settings)
    districts = gpd.read_file(out / "districts_risk.geojson").set_index("district_id")
    assert len(districts) == n_districts and len(gpd.read_file(out / "tehsils_risk.geojson")) == 252
    assert districts.loc[list(expected), "incidents"].to_dict() == expected
    assert districts["incidents"].sum() == 24
    tehsils = gpd.read_file(out / "tehsils_risk.geojson").set_index("tehsil_id")
    assert tehsils.loc["PK-KP-south-waziristan-wana", "district"] == (
        "Lower South Waziristan" if vintage == "current" else "South Waziristan")
    summary = pd.read_csv(out / "summary_districts.csv")
    assert len(summary) == n_districts
    incidents = gpd.read_file(out / "incidents.geojson")
    assert set(incidents["district_id"]) <= set(districts.index)
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["district_vintage"] == vintage
    assert json.loads((out / "districts_risk.geojson").read_text())["district_vintage"] == vintage
