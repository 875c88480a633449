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
