"""Sparse data is a result, not a crash: the risk layers with 0, 1, 2 and 40
incidents, incidents outside the study area or the period, a 1-month period and
a period with empty months (README, "Sparse data")."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

import geo.metrics.layers as metric_layers
from geo import boundaries
from geo._errors import NoIncidentsError
from geo.config import Settings
from geo.export.risk import write_risk_outputs
from geo.pipeline import ingest
from geo.metrics.emerging import EMERGING_CLASSES, MK_TRENDS
from geo.metrics.hotspots import HOTSPOT_CLASSES, INSUFFICIENT_DATA, Hotspots
from geo.metrics.layers import unit_layers
from geo.metrics.risk import CONFIDENCE_LEVELS, RISK_CLASS_LABELS

# interior points of four adjacent districts
BANNU, LAKKI, NORTH_WAZIRISTAN, KARAK = (32.975, 70.662), (32.562, 70.884), (32.956, 69.945), (33.081, 71.112)
KABUL, KARACHI = (34.53, 69.17), (24.86, 67.01)  # outside the study area
YEAR = (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
SETTINGS = dataclasses.replace(Settings(), hotspot_permutations=999)  # fast, yet able to reach the 99 % level


def _incidents(tmp_path: Path, rows: list[tuple[str, tuple[float, float], int]]) -> pd.DataFrame:
    """The canonical, joined incident table of ``rows`` (date, (lat, lon), killed)."""
    path = tmp_path / "incidents.csv"
    lines = ["source,source_id,date,lat,lon,killed,notes", "seed,0,2024-05-05,32.975,70.662,1,x"]
    lines += [f"test,{k + 1},{date},{lat},{lon},{killed},x" for k, (date, (lat, lon), killed) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    incidents = ingest([path], settings=SETTINGS).incidents
    return incidents[incidents["source"] == "test"].reset_index(drop=True)


def _write(incidents: pd.DataFrame, out: Path, period=YEAR) -> dict[str, pd.DataFrame]:
    """Write the risk outputs and check what every case must hold; return the layers' tables."""
    border, bands = boundaries.load("border"), boundaries.load("border_bands")
    units = unit_layers(incidents, SETTINGS, border.geometry.iloc[0], bands, period)
    written = write_risk_outputs(units, incidents, SETTINGS, out, border=border, bands=bands)
    parameters = units.parameters
    assert all(path.exists() for path in written)
    tables = {}
    for name, count in (("districts_risk", 72), ("tehsils_risk", 252)):  # today's districts
        text = (out / f"{name}.geojson").read_text(encoding="utf-8")
        assert "NaN" not in text
        table = pd.DataFrame([f["properties"] for f in json.loads(text)["features"]])
        assert len(table) == count
        for column, allowed in (("hotspot_class", HOTSPOT_CLASSES), ("emerging_class", EMERGING_CLASSES),
                                ("mk_trend", MK_TRENDS), ("risk_class", RISK_CLASS_LABELS),
                                ("confidence", CONFIDENCE_LEVELS)):
            assert table[column].notna().all() and set(table[column]) <= set(allowed), column
        assert set(table["gi_bin"]) <= set(range(-3, 4))
        assert table["risk_score"].between(0, 10).all() and table["trend_score"].between(0, 10).all()
        assert table["eb_incidents_per_1000_km2"].notna().all() and table["diffusion_share"].notna().all()
        summary = pd.read_csv(out / f"summary_{name.split('_')[0]}.csv")
        assert len(summary) == count and list(summary["risk_class"]) == list(table["risk_class"])
        monthly = pd.read_csv(out / f"monthly_{name.split('_')[0]}.csv")
        assert monthly["incidents"].sum() == table["incidents"].sum()
        tables[name] = table
    layers = dict(pyogrio.list_layers(out / "risk.gpkg"))
    assert {"districts_risk", "tehsils_risk", "incidents", "border", "border_bands"} <= set(layers)
    assert len(pyogrio.read_dataframe(out / "risk.gpkg", layer="incidents", read_geometry=False)) == len(incidents)
    with sqlite3.connect(out / "risk.gpkg") as con:
        assert con.execute("SELECT count(*) FROM layer_styles").fetchone()[0] == 5
    pd.read_csv(out / "monthly_killed_by_province.csv")
    if period is not None:
        assert parameters["period"] == [period[0].date().isoformat(), period[1].date().isoformat()]
    return tables


def _insufficient_everywhere(tables: dict[str, pd.DataFrame]) -> None:
    for table in tables.values():
        assert (table["hotspot_class"] == INSUFFICIENT_DATA).all() and (table["gi_bin"] == 0).all()
        assert table["gi_z"].isna().all() and table["gi_p_sim"].isna().all()


def test_no_incident(tmp_path):
    empty = _incidents(tmp_path, [])
    assert empty.empty and "district_id" in empty.columns and "border_band" in empty.columns
    tables = _write(empty, tmp_path / "out")
    _insufficient_everywhere(tables)
    for table in tables.values():
        assert (table["emerging_class"] == INSUFFICIENT_DATA).all()
        assert (table["incidents"] == 0).all() and (table["eb_incidents_per_1000_km2"] == 0).all()
        assert (table["trend_score"] == 0).all() and table["trend_ratio"].isna().all()
        assert (table["incident_density_score"] == 0).all() and (table["hotspot_score"] == 0).all()
        # only border proximity (weight 0.10 of 1) is left
        assert table["risk_score"].max() <= 1.0 and (table["confidence"] == "low").all()
    # both provinces, every month of the period, zeros
    provinces = pd.read_csv(tmp_path / "out" / "monthly_killed_by_province.csv")
    assert len(provinces) == 2 * 12 and (provinces["killed"] == 0).all()
    with pytest.raises(NoIncidentsError):
        _write(empty, tmp_path / "default", period=None)


def test_one_incident(tmp_path):
    incidents = _incidents(tmp_path, [("2024-05-05", BANNU, 2)])
    tables = _write(incidents, tmp_path / "out", period=None)
    period = json.loads((tmp_path / "out" / "districts_risk.geojson").read_text())["risk_parameters"]["period"]
    assert period == ["2023-06-01", "2024-05-31"]  # the 12 months ending with the incident's
    _insufficient_everywhere(tables)
    districts = tables["districts_risk"].set_index("district")
    assert (districts["emerging_class"] == INSUFFICIENT_DATA).all()
    bannu = districts.loc["Bannu"]
    assert (bannu["incidents"], bannu["incidents_last_3m"], bannu["incidents_prev_9m"]) == (1, 1, 0)
    assert bannu["trend_score"] == 10.0 and pd.isna(bannu["trend_ratio"])  # after 9 quiet months
    # the fixed scale scores one incident for what it is, not as the maximum of the run
    rate = 1000 / bannu["area_km2"] / (366 / 365.25)  # per 1,000 km² a year; the period has 366 days
    assert bannu["incident_density_score"] == pytest.approx(np.log1p(rate) / np.log1p(50) * 10, abs=2e-3)
    assert bannu["incident_density_score"] < 2 and bannu["confidence"] == "low"
    assert (districts.drop(index="Bannu")["trend_score"] == 0).all()


def test_two_incidents_in_one_district(tmp_path):
    incidents = _incidents(tmp_path, [("2024-06-05", BANNU, 2), ("2024-11-20", BANNU, 0)])
    tables = _write(incidents, tmp_path / "out")
    _insufficient_everywhere(tables)
    districts = tables["districts_risk"].set_index("district")
    assert districts.loc["Bannu", "incidents"] == 2 and districts["incidents"].sum() == 2
    assert (districts["emerging_class"] == INSUFFICIENT_DATA).all()


def test_forty_incidents_in_four_districts_and_empty_months(tmp_path):
    # 10 incidents in each of 4 months (Dec–Mar), 8 empty months before: the
    # monthly tests run where there are incidents; empty months are not hot
    rows = [(f"{month}-{day:02d}", place, 1)
            for month in ("2024-12", "2025-01", "2025-02", "2025-03")
            for place, n in ((BANNU, 3), (LAKKI, 3), (NORTH_WAZIRISTAN, 2), (KARAK, 2)) for day in range(1, n + 1)]
    incidents = _incidents(tmp_path, rows)
    assert len(incidents) == 40
    tables = _write(incidents, tmp_path / "out")
    districts = tables["districts_risk"].set_index("district")
    busy = ["Bannu", "Lakki Marwat", "North Waziristan", "Karak"]
    assert (districts["hotspot_class"] != INSUFFICIENT_DATA).all()
    assert districts["gi_z"].notna().all()
    assert (districts.loc[busy, "gi_bin"] >= 0).all() and (districts.loc[busy, "gi_bin"] > 0).sum() >= 2
    assert not districts["hotspot_class"].str.startswith("cold").any()  # empty units are not cold spots
    assert (districts["emerging_class"] != INSUFFICIENT_DATA).all()
    assert districts["hot_months"].max() <= 4
    # hot in the last months only, after 8 untestable (empty) months
    assert (districts["emerging_class"] == "consecutive hot spot").sum() >= 1
    assert set(districts["emerging_class"]) <= {"consecutive hot spot", "new hot spot", "no pattern detected"}
    quiet = districts.drop(index=busy)
    assert (quiet["incidents"] == 0).all() and (quiet["trend_score"] == 0).all()
    assert districts.loc["Bannu", "incidents_last_3m"] == 9 and districts.loc["Bannu", "trend_score"] == 10.0


def test_all_incidents_outside_the_study_area(tmp_path):
    incidents = _incidents(tmp_path, [("2024-05-05", KABUL, 1)] * 3 + [("2024-07-05", KARACHI, 4)] * 3)
    # Kabul keeps an Afghan context district id, Karachi none; neither is a unit measured
    assert not incidents["in_study_area"].fillna(False).any()
    tables = _write(incidents, tmp_path / "out")
    _insufficient_everywhere(tables)
    assert all((table["incidents"] == 0).all() for table in tables.values())


def test_incidents_outside_the_period(tmp_path):
    incidents = _incidents(tmp_path, [("2024-05-05", BANNU, 1), ("2024-06-05", LAKKI, 1)])
    period = (pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31"))
    tables = _write(incidents, tmp_path / "out", period)
    _insufficient_everywhere(tables)
    assert all((table["incidents"] == 0).all() for table in tables.values())
    assert all((table["emerging_class"] == INSUFFICIENT_DATA).all() for table in tables.values())


def test_one_month_period(tmp_path):
    incidents = _incidents(tmp_path, [("2024-05-05", BANNU, 1)] * 12 + [("2024-05-06", LAKKI, 1)] * 3)
    period = (pd.Timestamp("2024-05-01"), pd.Timestamp("2024-05-31"))
    tables = _write(incidents, tmp_path / "out", period)
    districts = tables["districts_risk"].set_index("district")
    assert (districts["emerging_class"] == "not enough months").all()
    # 15 incidents in 2 units: fewer than 3 units with incidents
    assert (districts["hotspot_class"] == INSUFFICIENT_DATA).all()
    # no months before the last 3: no base, so no trend claimed
    assert districts["trend_ratio"].isna().all()
    assert districts.loc["Bannu", "trend_score"] == 5.0 and districts.loc["Swat", "trend_score"] == 0.0
    assert districts.loc["Bannu", "confidence"] == "medium"


def test_unit_layers_directly(tmp_path):
    from geo import boundaries

    border = boundaries.load("border").geometry.iloc[0]
    bands = boundaries.load("border_bands")
    incidents = _incidents(tmp_path, [])
    result = unit_layers(incidents, SETTINGS, border, bands, YEAR)
    assert set(result.layers) == {"districts_risk", "tehsils_risk"}
    for name, layer in result.layers.items():
        assert (layer["hotspot_class"] == INSUFFICIENT_DATA).all()
        assert len(result.monthly[name]) == len(layer) * 12 and (result.monthly[name]["incidents"] == 0).all()
    assert result.parameters["districts_risk"]["trend"]["months"] == [3, 9]
    with pytest.raises(NoIncidentsError, match="no dated incidents"):
        unit_layers(incidents, SETTINGS, border, bands)


def test_hotspot_permutations_setting_reaches_the_unit_test(tmp_path, monkeypatch):
    seen = []

    class Spy:
        @staticmethod
        def compute(*args, **kwargs):
            seen.append(kwargs.get("permutations"))
            return Hotspots.compute(*args, **kwargs)

    monkeypatch.setattr(metric_layers, "Hotspots", Spy)
    from geo import boundaries

    settings = dataclasses.replace(SETTINGS, hotspot_permutations=199)
    unit_layers(_incidents(tmp_path, []), settings, boundaries.load("border").geometry.iloc[0],
                boundaries.load("border_bands"), YEAR)
    assert seen == [199, 199]
    assert Settings().hotspot_permutations == 9999
