"""Shared fixtures: the committed boundary layers and one `geo run` of the
embedded sample, made once per session (tests only read them)."""

from __future__ import annotations

import socket

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from geo import boundaries
from geo.cli import cli
from geo.config import PROJECT_ROOT, STUDY_AREA_EQUAL_AREA_CRS

# Runs in the system python, which has PyQGIS (tests/test_qgis.py calls it); not a test module.
collect_ignore = ["qgis_probe.py"]

BOUNDARIES_DIR = PROJECT_ROOT / "boundaries"
EQUAL_AREA = STUDY_AREA_EQUAL_AREA_CRS


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing in the toolkit may need the network at run time."""

    def refuse(*args: object, **kwargs: object) -> None:
        msg = "tests must not use the network"
        raise RuntimeError(msg)

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture(scope="session")
def layers() -> dict[str, gpd.GeoDataFrame]:
    return {name: boundaries.load(name) for name in boundaries.LAYERS}


@pytest.fixture(scope="session")
def places() -> pd.DataFrame:
    return pd.read_csv(BOUNDARIES_DIR / "geonames_places.csv", keep_default_na=False)


@pytest.fixture(scope="session")
def sample_run_dir(tmp_path_factory: pytest.TempPathFactory):
    """The outputs of `geo run` on the embedded sample (read-only for tests)."""
    out = tmp_path_factory.mktemp("sample_run")
    result = CliRunner().invoke(cli, ["run", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


# Incidents in 2023 and 2024, in KP, Balochistan and across the border in
# Afghanistan: a run of the first half of 2024 must leave out the rest.
TWO_YEAR_PLACES = [  # (place, admin2, lat, lon)
    ("Peshawar", "Peshawar", 34.008, 71.578), ("Bannu", "Bannu", 32.986, 70.604),
    ("Quetta", "Quetta", 30.183, 67.001), ("Zhob", "Zhob", 31.341, 69.449),
    ("Khost", "Khost", 33.339, 69.920), ("Jalalabad", "Nangarhar", 34.434, 70.447),
]
TWO_YEAR_PERIOD = ("2024-01-01", "2024-06-30")
INCIDENT_HEADER = ["source", "synthetic", "source_id", "date", "date_precision", "lat", "lon",
                   "geo_precision", "place", "source_admin1", "source_admin2", "event_type", "perpetrator",
                   "target_category",
                   "killed", "killed_civilians", "killed_security", "killed_militants", "injured", "notes"]


@pytest.fixture(scope="session")
def two_year_run_dir(tmp_path_factory: pytest.TempPathFactory):
    """`geo run --start 2024-01-01 --end 2024-06-30` on 144 incidents, one a
    month in each of six places (four in KP and Balochistan, two in
    Afghanistan) from January 2023 to December 2024 (read-only for tests)."""
    import csv

    folder = tmp_path_factory.mktemp("two_year_run")
    source = folder / "incidents.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, INCIDENT_HEADER)
        writer.writeheader()
        for month in range(24):
            year, month_of_year = 2023 + month // 12, 1 + month % 12
            for number, (place, admin2, lat, lon) in enumerate(TWO_YEAR_PLACES):
                killed = 1 + (month + number) % 5
                writer.writerow({
                    "source": "test feed", "synthetic": False, "source_id": f"Y{month:02d}{number}",
                    "date": f"{year}-{month_of_year:02d}-{10 + number:02d}", "date_precision": "day",
                    "lat": lat, "lon": lon, "geo_precision": 1, "place": place, "source_admin1": "",
                    "source_admin2": admin2, "event_type": "IED attack", "perpetrator": "unknown",
                    "target_category": "civilians", "killed": killed, "killed_civilians": killed,
                    "killed_security": 0, "killed_militants": 0, "injured": 0, "notes": f"{place} {year}"})
    out = folder / "out"
    start, end = TWO_YEAR_PERIOD
    arguments = ["run", str(source), "--out", str(out), "-q", "--start", start, "--end", end]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    return out
