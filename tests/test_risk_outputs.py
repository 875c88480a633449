"""The styled risk outputs of `geo run`: GeoJSON + .qml, GeoPackage with styles."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geo.cli import cli


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(cli, ["run", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


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
    border = (run_dir / "border.qml").read_text()
    assert 'value="dash"' in border and 'name="line_width" value="1.2"' in border


def test_geopackage_opens_styled(run_dir):
    gpkg = run_dir / "risk.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert {"districts_risk", "tehsils_risk", "incidents", "border", "border_bands"} <= layers
    with sqlite3.connect(gpkg) as con:
        styles = con.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles").fetchall()
    assert {row[0] for row in styles} == {"districts_risk", "tehsils_risk", "incidents", "border", "border_bands"}
    assert all(row[1] == 1 and ET.fromstring(row[2].split("\n", 1)[1]).tag == "qgis" for row in styles)


def test_summaries_and_monthly_table(run_dir):
    import pandas as pd

    districts = pd.read_csv(run_dir / "summary_districts.csv")
    assert len(districts) == 70 and districts["risk_score"].between(0, 10).all()
    top = districts.sort_values("risk_score", ascending=False)["district"].head(5).tolist()
    assert {"North Waziristan", "Bannu"} & set(top)
    monthly = pd.read_csv(run_dir / "monthly_killed_by_province.csv")
    assert set(monthly["province"]) == {"Khyber Pakhtunkhwa", "Balochistan"}
    assert monthly.groupby("month")["killed"].sum().loc["2025-02"] > 100
    record = json.loads((run_dir / "run.json").read_text())
    assert record["synthetic_data"] is True and record["settings"]["risk"]["districts_risk"]["weights"]
