"""QGIS styles, aliases, metadata and GeoPackage style rows, on tiny inputs
(what QGIS itself makes of a whole run is tests/test_qgis.py)."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geo.export.fields import FIELD_ALIASES, field_alias
from geo.export.geopackage import style_geopackage
from geo.export.layer_metadata import LayerMetadata, metadata_document
from geo.export.raster_style import density_style
from geo.export.styles import band_categories, qgis_value_text, styles
from geo.export.vector import geojson_field_types, write_geopackage, write_points_geojson


def _xml(text: str) -> ET.Element:
    return ET.fromstring(text.split("\n", 1)[1])


@pytest.mark.parametrize(("value", "text"), [(10.0, "10"), (2.5, "2.5"), (None, ""), (7, "7"), ("low", "low"),
                                             (True, "true")])
def test_category_values_are_written_as_qgis_prints_the_field(value, text):
    assert qgis_value_text(value) == text


def test_band_labels_have_units():
    assert [(c.value, c.label) for c in band_categories([(10.0, 25.0), (0.0, 10.0)])] == [
        (10.0, "0–10 km"), (25.0, "10–25 km")]


@pytest.mark.parametrize(("name", "alias"), [
    ("eb_killed_per_1000_km2", "Killed per 1,000 km² (EB-smoothed)"),
    ("incidents_band_over_100", "Incidents over 100 km from the border"),
    ("killed_band_10_25", "Killed 10–25 km from the border"),
    ("district_vintage", "District vintage"),  # not in the table yet: readable, never an error
    ("road_distance_km", "Road distance (km)"),
    ("_", "_"),
])
def test_every_field_gets_an_alias(name, alias):
    assert field_alias(name) == alias


def test_alias_table_covers_the_canonical_incident_columns():
    from geo.incidents.schema import INCIDENT_COLUMNS

    assert set(INCIDENT_COLUMNS) <= set(FIELD_ALIASES)


def test_names_in_styles_are_data_not_markup():
    hostile = '"><script>x</script>&'
    style = styles({"incidents": ["event_type", hostile]}, event_types=[hostile], period=("2024-01-01", "2024-12-31"))
    root = _xml(style["incidents"])
    assert hostile in [c.get("value") for c in root.iter("category")]
    assert hostile in [a.get("field") for a in root.iter("alias")]


def test_unknown_layers_have_no_style():
    with pytest.raises(ValueError, match="no style for layer"):
        styles({"roads": ["name"]})


def test_metadata_is_qgis_metadata_xml():
    meta = LayerMetadata("geo:x", "Title <1>", "About & more", ("geoBoundaries (CC BY 4.0)",),
                         keywords=("a",), period=("2024-04-01", "2025-03-31"))
    root = _xml(metadata_document(meta))
    assert root.tag == "qgis" and root.findtext("title") == "Title <1>" and root.findtext("abstract") == "About & more"
    assert root.findtext("rights") == "geoBoundaries (CC BY 4.0)" and root.findtext("license")
    assert root.findtext("extent/temporal/period/start") == "2024-04-01T00:00:00Z"


def test_styles_key_to_the_real_geometry_column_of_any_geopackage(tmp_path):
    frame = gpd.GeoDataFrame({"band_km_max": [10.0]}, geometry=[shapely.box(70, 30, 71, 31)], crs="EPSG:4326")
    gpkg = write_geopackage({"border_bands": frame}, tmp_path / "x.gpkg")
    meta = LayerMetadata("geo:border_bands", "Bands", "", ("x",))
    style = styles({"border_bands": ["band_km_max"]}, bands=[(0.0, 10.0)])
    for _ in range(2):  # applying twice replaces, never duplicates
        style_geopackage(gpkg, style, {"border_bands": meta})
    with sqlite3.connect(gpkg) as con:
        rows = con.execute("SELECT f_table_name, f_geometry_column FROM layer_styles").fetchall()
        column = con.execute("SELECT column_name FROM gpkg_geometry_columns").fetchone()[0]
    assert rows == [("border_bands", column)] and column == "geom"
    with pytest.raises(ValueError, match="no such layer"):
        style_geopackage(gpkg, {"roads": style["border_bands"]})


def test_geopackage_types_follow_the_geojson_reader(tmp_path):
    frame = gpd.GeoDataFrame({
        "date": pd.Series(["2024-01-02", None], dtype="string"),
        "small": pd.Series([1, 2], dtype="int64"),
        "huge": pd.Series([1, 2**40], dtype="int64"),
        "precision": pd.Series([1, None], dtype="Int8"),
    }, geometry=[shapely.Point(70, 30)] * 2, crs="EPSG:4326")
    typed = geojson_field_types(frame)
    assert frame["date"].dtype == "string"  # the input is left alone
    gpkg = write_geopackage({"x": typed}, tmp_path / "x.gpkg")
    info = pyogrio.read_info(gpkg, layer="x")
    assert dict(zip(info["fields"], info["dtypes"], strict=True)) == {
        "date": "datetime64[D]", "small": "int32", "huge": "int64", "precision": "int32"}


def test_point_geojson_writes_floats_with_a_decimal_point(tmp_path):
    table = pd.DataFrame({"lon": [70.0, 71.0], "lat": [30.0, 31.0], "geocode_score": [100.0, 87.5],
                          "whole": [100.0, 5.0], "count": pd.Series([1, 2], dtype="Int32")})
    path = write_points_geojson(table, tmp_path / "p.geojson")
    assert '"whole":100.0' in path.read_text() and '"count":1}' in path.read_text()
    info = pyogrio.read_info(path)
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["whole"] == "float64"
    assert json.loads(path.read_text())["features"][0]["properties"]["whole"] == 100.0


def test_density_style_is_transparent_at_zero_and_labelled_in_units():
    values = np.zeros((50, 50))
    values[20:30, 20:30] = np.linspace(0.001, 0.2, 100).reshape(10, 10)
    root = _xml(density_style(values, "incidents per km²"))
    renderer = root.find("pipe/rasterrenderer")
    assert renderer.get("type") == "singlebandpseudocolor"
    items = list(root.iter("item"))
    assert items[0].get("value") == "0" and items[0].get("alpha") == "0"
    assert all("per km²" in i.get("label") for i in items)
    assert float(items[-1].get("value")) == pytest.approx(0.2)
    entry = root.find(".//pixelListEntry")
    assert entry.get("min") == "0" and float(entry.get("max")) == pytest.approx(0.002)
    empty = _xml(density_style(np.zeros((3, 3))))  # no incident at all: still a valid style
    assert empty.find("pipe/rasterrenderer") is not None
