"""GeoJSON and GeoPackage writers: RFC 7946, determinism, atomic writes."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from geo.export.vector import atomic_path, geojson_text, write_geojson, write_geopackage


def _frame() -> gpd.GeoDataFrame:
    clockwise = shapely.Polygon([(70, 30), (70, 31), (71.1234567891, 31), (71, 30)])
    return gpd.GeoDataFrame({"name": ["a <b>"], "value": [float("nan")]}, geometry=[clockwise], crs="EPSG:4326")


def test_geojson_is_rfc7946():
    collection = json.loads(geojson_text(_frame(), {"attribution": "x"}))
    ring = collection["features"][0]["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw
    assert [71.123457, 31.0] in ring
    assert "crs" not in collection and collection["attribution"] == "x"
    assert collection["features"][0]["properties"] == {"name": "a <b>", "value": None}


def test_geojson_refuses_projected_frames():
    with pytest.raises(ValueError, match="EPSG:4326"):
        geojson_text(_frame().to_crs(3857))


def test_atomic_path_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.geojson"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.geojson"]


def test_writers_are_byte_reproducible(tmp_path):
    for run in ("a", "b"):
        write_geojson(_frame(), tmp_path / run / "x.geojson")
        write_geopackage({"x": _frame(), "y": _frame()}, tmp_path / run / "x.gpkg", {"x": "attribution"})
    for name in ("x.geojson", "x.gpkg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
