"""The styled risk outputs of `geo run`: GeoJSON + .qml, GeoPackage with styles."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from click.testing import CliRunner

from geo.cli import cli


@pytest.fixture
def run_dir(sample_run_dir):
    return sample_run_dir


def test_risk_layers_are_rfc7946_with_stable_ids_and_no_nan(run_dir):
    for name in ("districts_risk", "tehsils_risk"):
        text = (run_dir / f"{name}.geojson").read_text(encoding="utf-8")
        assert "NaN" not in text
        collection = json.loads(text)
        assert "crs" not in collection and collection["synthetic_data"] is True
        assert collection["risk_parameters"]["period"] == ["2024-04-01", "2025-03-31"]
        ids = [f["id"] for f in collection["features"]]
        assert ids == list(range(1, len(ids) + 1))
        first = collection["features"][0]
        for key in ("risk_score", "risk_class", "confidence", "incident_density_score", "hotspot_class",
                    "killed_per_1000_km2", "min_distance_to_border_km", "emerging_class", "mk_trend",
                    "eb_incidents_per_1000_km2", "diffusion_share"):
            assert key in first["properties"]
        polygon = shapely.geometry.shape(first["geometry"])
        assert all(p.exterior.is_ccw for p in shapely.get_parts(polygon))


def test_qml_styles_parse_and_sit_beside_their_layers(run_dir):
    for name in ("districts_risk", "tehsils_risk", "incidents", "border", "border_bands"):
        assert (run_dir / f"{name}.geojson").exists()
        root = ET.fromstring((run_dir / f"{name}.qml").read_text(encoding="utf-8").split("\n", 1)[1])
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
    risk = ET.fromstring((run_dir / "districts_risk.qml").read_text().split("\n", 1)[1]).find("renderer-v2")
    assert risk.get("attr") == "risk_class"
    assert [c.get("value") for c in risk.iter("category")] == ["very low", "low", "medium", "high", "very high"]
    assert [c.get("label") for c in risk.iter("category")] == [
        "very low (0–2)", "low (2–4)", "medium (4–6)", "high (6–8)", "very high (8–10)"]
    bands = ET.fromstring((run_dir / "border_bands.qml").read_text().split("\n", 1)[1]).find("renderer-v2")
    # QGIS prints the real 10.0 as "10" and matches categories on that text
    assert [c.get("value") for c in bands.iter("category")] == ["10", "25", "50", "100"]
    assert [c.get("label") for c in bands.iter("category")] == ["0–10 km", "10–25 km", "25–50 km", "50–100 km"]
    border = (run_dir / "border.qml").read_text()
    assert 'value="dash"' in border and 'name="line_width" value="1.2"' in border


def test_geopackage_opens_styled(run_dir):
    gpkg = run_dir / "risk.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"districts_risk", "tehsils_risk", "incidents", "border", "border_bands"} <= layers
    with sqlite3.connect(gpkg) as con:
        styles = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
                             ).fetchall()
        geometry = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        metadata = con.execute("SELECT r.table_name, m.md_standard_uri, m.metadata FROM gpkg_metadata_reference r "
                               "JOIN gpkg_metadata m ON m.id = r.md_file_id WHERE r.reference_scope = 'table'"
                               ).fetchall()
    assert {row[0] for row in styles} == {"districts_risk", "tehsils_risk", "incidents", "border", "border_bands"}
    # QGIS finds a default style by table and geometry column
    assert all(row[1] == geometry[row[0]] for row in styles)
    assert all(row[2] == 1 and ET.fromstring(row[3].split("\n", 1)[1]).tag == "qgis" for row in styles)
    assert {row[0] for row in metadata} == {row[0] for row in styles}
    for table, standard, document in metadata:
        root = ET.fromstring(document.split("\n", 1)[1])
        assert standard == "http://mrcc.com/qgis.dtd" and root.findtext("title") and root.findtext("rights"), table
    dates = pyogrio.read_info(gpkg, layer="incidents")
    assert dict(zip(dates["fields"], dates["dtypes"], strict=True))["date"] == "datetime64[D]"


def test_field_types_agree_between_geopackage_and_geojson(run_dir):
    for name in ("districts_risk", "tehsils_risk", "incidents", "border_bands"):
        gpkg = pyogrio.read_info(run_dir / "risk.gpkg", layer=name)
        geojson = pyogrio.read_info(run_dir / f"{name}.geojson")
        assert dict(zip(gpkg["fields"], gpkg["dtypes"], strict=True)) == dict(
            zip(geojson["fields"], geojson["dtypes"], strict=True)), name


def test_incidents_say_whether_they_are_in_the_period(run_dir):
    import pandas as pd

    table = pd.read_parquet(run_dir / "incidents.parquet")
    dates = pd.to_datetime(table["date"])
    expected = (dates >= "2024-04-01") & (dates <= "2025-03-31")
    assert table["in_period"].tolist() == expected.tolist() and 0 < expected.sum() < len(table)
    features = json.loads((run_dir / "incidents.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["in_period"] for f in features] == expected.tolist()
    gpkg = pyogrio.read_dataframe(run_dir / "risk.gpkg", layer="incidents")
    assert gpkg["in_period"].tolist() == expected.tolist()


def test_every_layer_has_metadata_and_aliases_beside_it(run_dir):
    for name in ("districts_risk", "tehsils_risk", "incidents", "border", "border_bands", "density_incidents",
                 "density_killed"):
        root = ET.fromstring((run_dir / f"{name}.qmd").read_text(encoding="utf-8").split("\n", 1)[1])
        assert root.findtext("title") and root.findtext("rights") and root.findtext("license"), name
    districts = ET.fromstring((run_dir / "districts_risk.qml").read_text(encoding="utf-8").split("\n", 1)[1])
    aliases = {a.get("field"): a.get("name") for a in districts.iter("alias")}
    assert aliases["eb_killed_per_1000_km2"] == "Killed per 1,000 km² (EB-smoothed)"
    assert aliases["killed_band_0_10"] == "Killed 0–10 km from the border"
    properties = json.loads((run_dir / "districts_risk.geojson").read_text(encoding="utf-8"))["features"][0]
    assert set(properties["properties"]) <= set(aliases)


def test_summaries_and_monthly_table(run_dir):
    import pandas as pd

    districts = pd.read_csv(run_dir / "summary_districts.csv")
    assert len(districts) == 72 and districts["risk_score"].between(0, 10).all()
    top = districts.sort_values("risk_score", ascending=False)["district"].head(5).tolist()
    assert {"North Waziristan", "Bannu"} & set(top)
    monthly = pd.read_csv(run_dir / "monthly_killed_by_province.csv")
    assert set(monthly["province"]) == {"Khyber Pakhtunkhwa", "Balochistan"}
    assert monthly.groupby("month")["killed"].sum().loc["2025-02"] > 100
    record = json.loads((run_dir / "run.json").read_text())
    assert record["synthetic_data"] is True and record["settings"]["risk"]["districts_risk"]["weights"]


def test_incident_style_follows_the_event_types(run_dir):
    renderer = ET.fromstring((run_dir / "incidents.qml").read_text().split("\n", 1)[1]).find("renderer-v2")
    # incidents outside the period measured are one grey class
    assert renderer.get("attr") == 'if("in_period", "event_type", \'outside the period\')'
    values = [c.get("value") for c in renderer.iter("category")]
    assert "armed clash" in values and values[-2:] == ["outside the period", ""]  # "" is "all other values"
    labels = [c.get("label") for c in renderer.iter("category")]
    assert labels[-2:] == ["outside the period (2024-04-01 – 2025-03-31)", "other event types"]
    expressions = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "expression"]
    assert expressions and all('sqrt(coalesce("killed", 0))' in e for e in expressions)


def test_per_band_counts_and_monthly_series(run_dir):
    import pandas as pd

    districts = pd.read_csv(run_dir / "summary_districts.csv")
    bands = [c for c in districts.columns if c.startswith("incidents_band_")]
    assert bands == ["incidents_band_0_10", "incidents_band_10_25", "incidents_band_25_50",
                     "incidents_band_50_100", "incidents_band_over_100"]
    assert (districts[bands].sum(axis=1) == districts["incidents"]).all()
    monthly = pd.read_csv(run_dir / "monthly_districts.csv")
    assert len(monthly) == 72 * 12
    assert monthly.groupby("district_id")["incidents"].sum().sum() == districts["incidents"].sum()


def test_synthetic_data_is_labelled_in_every_table_and_layer(run_dir):
    import pandas as pd

    for name in ("summary_districts.csv", "summary_tehsils.csv", "monthly_districts.csv", "monthly_tehsils.csv",
                 "monthly_killed_by_province.csv"):
        assert pd.read_csv(run_dir / name)["synthetic_data"].all(), name
    with sqlite3.connect(run_dir / "risk.gpkg") as con:
        descriptions = [d for (d,) in con.execute(
            "SELECT description FROM gpkg_contents WHERE data_type = 'features'")]
    assert descriptions and all("SYNTHETIC" in d for d in descriptions)
    incidents = json.loads((run_dir / "incidents.geojson").read_text(encoding="utf-8"))
    assert incidents["synthetic_data"] is True
    assert any(f["properties"]["synthetic"] and "SYNTHETIC" in f["properties"]["source"]
               for f in incidents["features"])


def test_two_runs_give_identical_files(run_dir, tmp_path):
    again = tmp_path / "again"
    assert CliRunner().invoke(cli, ["run", "--out", str(again), "-q"]).exit_code == 0
    for path in sorted(run_dir.iterdir()):
        if path.name != "timings.json":
            assert path.read_bytes() == (again / path.name).read_bytes(), path.name


def test_period_options(tmp_path):
    out = tmp_path / "period"
    result = CliRunner().invoke(cli, ["run", "--out", str(out), "-q", "--start", "2024-07-01",
                                      "--end", "2025-02-28"])
    assert result.exit_code == 0, result.output
    collection = json.loads((out / "districts_risk.geojson").read_text())
    assert collection["risk_parameters"]["period"] == ["2024-07-01", "2025-02-28"]
    bad = CliRunner().invoke(cli, ["run", "--out", str(out), "--start", "2025-03-01", "--end", "2025-01-01"])
    assert bad.exit_code == 2


def _of_period(run_dir) -> pd.DataFrame:
    """The incidents of the two-year run's period inside KP and Balochistan, read back."""
    incidents = pd.read_parquet(run_dir / "incidents.parquet")
    assert len(incidents) == 144  # every accepted incident is kept, whatever its date or place
    dates = pd.to_datetime(incidents["date"])
    assert incidents["in_period"].tolist() == ((dates >= "2024-01-01") & (dates <= "2024-06-30")).tolist()
    return incidents[incidents["in_period"] & incidents["in_study_area"]]


def test_density_surfaces_are_the_periods(two_year_run_dir):
    chosen = _of_period(two_year_run_dir)
    assert (len(chosen), int(chosen["killed"].sum())) == (24, 73)  # 4 places × 6 months
    for name, expected in (("density_incidents", 24), ("density_killed", 73)):
        with rasterio.open(two_year_run_dir / f"{name}.tif") as surface:
            values = surface.read(1, masked=True).filled(0.0).astype("float64")
            cell_km2 = abs(surface.res[0] * surface.res[1]) / 1e6
            tags = surface.tags()
        assert values.sum() * cell_km2 == pytest.approx(expected, rel=1e-5), name
        assert (tags["period_start"], tags["period_end"]) == ("2024-01-01", "2024-06-30")
        assert tags["points"] == "24"
        root = ET.fromstring((two_year_run_dir / f"{name}.qmd").read_text(encoding="utf-8").split("\n", 1)[1])
        assert root.findtext("extent/temporal/period/start") == "2024-01-01T00:00:00Z"
        assert "2024-01-01 to 2024-06-30" in root.findtext("title")


def test_province_table_is_the_periods_months_in_kp_and_balochistan(two_year_run_dir):
    chosen = _of_period(two_year_run_dir)
    table = pd.read_csv(two_year_run_dir / "monthly_killed_by_province.csv")
    assert sorted(set(table["province"])) == ["Balochistan", "Khyber Pakhtunkhwa"]  # no Khost, no Nangarhar
    assert sorted(set(table["month"])) == [f"2024-{m:02d}" for m in range(1, 7)] and len(table) == 12
    assert table["incidents"].sum() == len(chosen) and table["killed"].sum() == chosen["killed"].sum()
    by_province = table.groupby("province")["killed"].sum()
    assert by_province.to_dict() == chosen.groupby("province")["killed"].sum().astype(int).to_dict()


def test_risk_parameters_state_the_scale_breakpoints_and_hotspot_method(run_dir):
    run = json.loads((run_dir / "run.json").read_text())
    layer = json.loads((run_dir / "districts_risk.geojson").read_text())["risk_parameters"]["districts_risk"]
    assert run["settings"]["risk"]["districts_risk"] == layer
    assert layer["scale"] == "fixed" and layer["period_years"] == pytest.approx(365 / 365.25, abs=1e-6)
    assert layer["fatality_density"]["per_1000_km2_per_year_at_10"] == 200.0
    assert list(layer["incident_density"]["breakpoints_per_1000_km2_per_year"]) == ["2", "4", "6", "8", "10"]
    assert "Empirical-Bayes" in layer["gi_star"]["variable"] and layer["gi_star"]["inference"] == "normal"
    assert layer["gi_star"]["cold_spot_rule"] and layer["emerging_gi_star"]["inference"] == "normal"
    # the worked example of the README: North Waziristan in the sample
    districts = pd.read_csv(run_dir / "summary_districts.csv").set_index("district")
    row = districts.loc["North Waziristan"]
    assert (row["incident_density_score"], row["fatality_density_score"], row["civilian_harm_score"]) == (
        9.12, 7.066, 6.19)
    assert (row["hotspot_class"], row["risk_score"], row["risk_class"]) == ("hot spot 99%", 7.929, "high")
