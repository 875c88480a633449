"""The outputs of `geo run` opened in real QGIS: styled on open, every feature
drawn, aliases, labels, metadata, density surfaces coloured with transparent
zeros, named CRS.

QGIS runs in the system python (Debian ``python3-qgis``), which cannot import
the project's virtualenv, so ``tests/qgis_probe.py`` runs there once per session
and answers in JSON. Skipped when that python has no PyQGIS, unless
``GEO_REQUIRE_QGIS=1`` (``.ci/run``), which makes it a failure. The probe's
renderings and answer go to ``tests/artifacts/qgis_*.png`` and
``qgis_probe.json`` (git-ignored).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SYSTEM_PYTHON = Path("/usr/bin/python3")
PROBE = Path(__file__).with_name("qgis_probe.py")
ARTIFACTS = Path(__file__).with_name("artifacts")
GEOPACKAGE_LAYERS = ("districts_risk", "tehsils_risk", "incidents", "border", "border_bands")
BOUNDARY_LAYERS = ("tehsils", "districts", "districts_pre2022", "provinces", "border", "border_bands",
                   "afghan_border_districts", "afghan_districts", "countries")
STYLED_GEOJSON = ("districts_risk", "tehsils_risk", "incidents", "border", "border_bands")
RASTERS = ("density_incidents.tif", "density_killed.tif")


def _system_env() -> dict[str, str]:
    """The environment without this virtualenv, QGIS headless."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _qgis_missing() -> str | None:
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} does not exist"
    check = subprocess.run([str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True, text=True,
                           env=_system_env(), timeout=120, check=False)
    return None if check.returncode == 0 else f"{SYSTEM_PYTHON} cannot import qgis: {check.stderr.strip()[-300:]}"


@pytest.fixture(scope="session")
def qgis(sample_run_dir) -> dict:
    """What QGIS makes of the sample run's outputs (the probe's JSON)."""
    missing = _qgis_missing()
    if missing:
        if os.environ.get("GEO_REQUIRE_QGIS") == "1":
            pytest.fail(f"GEO_REQUIRE_QGIS=1 but {missing} (Debian: qgis python3-qgis qgis-providers)")
        pytest.skip(missing)
    done = subprocess.run([str(SYSTEM_PYTHON), str(PROBE), str(sample_run_dir), str(ARTIFACTS)],
                          capture_output=True, text=True, env=_system_env(), timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "qgis_probe.json").write_text(done.stdout, encoding="utf-8")  # beside the PNGs, to read
    return json.loads(done.stdout)


def _vector_layers(qgis: dict) -> dict[str, dict]:
    return qgis["layers"]


def test_every_output_is_probed(qgis):
    assert set(_vector_layers(qgis)) == ({f"risk.gpkg:{n}" for n in GEOPACKAGE_LAYERS}
                                         | {f"boundaries.gpkg:{n}" for n in BOUNDARY_LAYERS}
                                         | {f"{n}.geojson" for n in STYLED_GEOJSON})
    assert set(qgis["rasters"]) == set(RASTERS)


def _layer_name(key: str) -> str:
    """``risk.gpkg:border`` and ``border.geojson`` → ``border``."""
    return key.split(":")[-1].removesuffix(".geojson")


def test_layers_open_with_their_own_style(qgis):
    for key, layer in _vector_layers(qgis).items():
        assert layer["valid"] and layer["features"] > 0, key
        assert layer["default_style"]["found"], key
        if layer["source"] == "gpkg":
            assert layer["default_style"]["message"] == "Loaded from Provider", key
        name = _layer_name(key)
        single = name == "border" or (key.startswith("boundaries.gpkg:") and name != "border_bands")
        assert layer["renderer"] == ("singleSymbol" if single else "categorizedSymbol"), key
    # the border is a single symbol: ours (dark red), not QGIS's random colour
    for key in ("risk.gpkg:border", "boundaries.gpkg:border", "border.geojson"):
        assert qgis["layers"][key]["first_symbol_colour"] == [200, 0, 0, 255]


def test_every_feature_gets_a_symbol_and_a_legend_entry(qgis):
    for key, layer in _vector_layers(qgis).items():
        assert layer["without_symbol"] == 0, key
        assert sum(entry["features"] for entry in layer["legend"]) >= layer["features"], key


def test_legend_labels_are_human(qgis):
    layers = _vector_layers(qgis)
    for key in ("risk.gpkg:districts_risk", "districts_risk.geojson", "tehsils_risk.geojson"):
        assert [e["label"] for e in layers[key]["legend"]] == [
            "very low (0–2)", "low (2–4)", "medium (4–6)", "high (6–8)", "very high (8–10)"]
    for key in ("risk.gpkg:border_bands", "border_bands.geojson"):
        assert layers[key]["legend"] == [{"label": label, "features": 1}
                                         for label in ("0–10 km", "10–25 km", "25–50 km", "50–100 km")]
    for key in ("risk.gpkg:incidents", "incidents.geojson"):
        legend = {e["label"]: e["features"] for e in layers[key]["legend"]}
        outside = legend["outside the period (2024-04-01 – 2025-03-31)"]
        assert 0 < outside < layers[key]["features"] and legend["armed clash"] > 0


def test_style_expressions_evaluate(qgis):
    for key, layer in _vector_layers(qgis).items():
        assert all(errors == [] for errors in layer["expressions"].values()), (key, layer["expressions"])
    assert 'if("in_period", "event_type", \'outside the period\')' in qgis["layers"]["incidents.geojson"][
        "expressions"]


def test_every_field_has_an_alias(qgis):
    for key, layer in _vector_layers(qgis).items():
        assert layer["aliases"] and all(layer["aliases"].values()), (key, layer["aliases"])
    aliases = qgis["layers"]["risk.gpkg:districts_risk"]["aliases"]
    assert aliases["eb_killed_per_1000_km2"] == "Killed per 1,000 km² (EB-smoothed)"


def test_district_layers_are_labelled_at_a_sensible_scale(qgis):
    for key in ("risk.gpkg:districts_risk", "districts_risk.geojson"):
        assert qgis["layers"][key]["labels"] == {"field": "district", "scale_visibility": True,
                                                 "zoomed_out_limit": 5_000_000.0, "zoomed_in_limit": 50_000.0}


def test_field_types_are_the_same_in_every_format(qgis):
    layers = _vector_layers(qgis)
    for name in ("districts_risk", "tehsils_risk", "incidents", "border_bands"):
        gpkg = {k: v for k, v in layers[f"risk.gpkg:{name}"]["fields"].items() if k != "fid"}
        assert gpkg == layers[f"{name}.geojson"]["fields"], name
    fields = layers["risk.gpkg:incidents"]["fields"]
    assert fields["date"] == "Date" and fields["geocode_score"] == "Real" and fields["in_period"] == "Boolean"
    assert layers["risk.gpkg:districts_risk"]["fields"]["period_start"] == "Date"


def test_metadata_and_crs(qgis):
    for key, layer in [*_vector_layers(qgis).items(), *qgis["rasters"].items()]:
        meta = layer["metadata"]
        assert meta["title"] and meta["rights"] and meta["licences"], key
        assert layer["crs_description"] not in ("", "unknown"), key
    districts = qgis["layers"]["risk.gpkg:districts_risk"]["metadata"]
    assert districts["period"] == ["2024-04-01", "2025-03-31"] and "SYNTHETIC" in districts["title"]
    assert "all dates" in qgis["layers"]["incidents.geojson"]["metadata"]["title"]


def test_density_surfaces_are_coloured_with_transparent_zeros(qgis, sample_run_dir):
    for name, raster in qgis["rasters"].items():
        assert raster["renderer"] == "singlebandpseudocolor" and raster["default_style"]["found"], name
        assert raster["zero_pixel_colour"][3] == 0, name  # zero: transparent
        red, green, blue, alpha = raster["peak_pixel_colour"]
        assert alpha > 0 and not red == green == blue, name  # the peak: a colour, not grey
        assert raster["crs_description"] == "KP-Balochistan Albers equal-area (geo)", name
        assert all("per km²" in label for label in raster["legend"]), name
        qml = ET.fromstring((sample_run_dir / name).with_suffix(".qml").read_text(encoding="utf-8").split("\n", 1)[1])
        assert qml.find(".//colorrampshader") is not None


def test_renderings_are_written(qgis):
    assert set(qgis["images"]) == {"risk_gpkg", "geojson", "districts", "tehsils", "density_incidents",
                                   "density_killed", "boundaries_gpkg"}
    for path in qgis["images"].values():
        assert Path(path).stat().st_size > 20_000, path  # a drawn map, not a blank image
