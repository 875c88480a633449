"""QGIS styles (.qml) for the output layers, and their GeoPackage ``layer_styles`` rows.

A ``.qml`` beside a GeoJSON with the same base name is loaded by QGIS
automatically; in a GeoPackage, QGIS applies the ``layer_styles`` row marked
``useAsDefault``. Every text here is written with an XML library, so names
cannot break the markup.
"""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

QGIS_VERSION = "3.34"
# Sequential yellow–red ramp for the five risk classes (ColorBrewer YlOrRd).
RISK_COLOURS = (("very low", "255,255,178,255"), ("low", "254,204,92,255"), ("medium", "253,141,60,255"),
                ("high", "240,59,32,255"), ("very high", "189,0,38,255"))
# Qualitative palette (ColorBrewer Paired/Set1) for incident types, then grey for all other types.
TYPE_PALETTE = ("227,26,28,255", "31,120,180,255", "51,160,44,255", "255,127,0,255", "106,61,154,255",
                "177,89,40,255", "166,206,227,255", "178,223,138,255", "251,154,153,255", "253,191,111,255",
                "202,178,214,255", "255,255,153,255")
OTHER_COLOUR = "150,150,150,255"
INCIDENT_SIZE = '2 + 1.2 * sqrt(coalesce("killed", 0))'  # mm: area grows with the number killed
BAND_COLOURS = (("10.0", "179,0,0,140"), ("25.0", "227,74,51,120"), ("50.0", "252,141,89,100"),
                ("100.0", "253,204,138,90"))


def _options(parent: ET.Element, values: Mapping[str, str]) -> None:
    holder = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(holder, "Option", type="QString", name=name, value=value)


def _symbol(parent: ET.Element, name: str, kind: str, layer_class: str, values: Mapping[str, str],
            size_expression: str | None = None) -> None:
    symbol = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", attrib={"class": layer_class, "enabled": "1", "locked": "0", "pass": "0"})
    _options(layer, values)
    if size_expression:
        defined = ET.SubElement(layer, "data_defined_properties")
        outer = ET.SubElement(defined, "Option", type="Map")
        ET.SubElement(outer, "Option", type="QString", name="name", value="")
        properties = ET.SubElement(outer, "Option", type="Map", name="properties")
        size = ET.SubElement(properties, "Option", type="Map", name="size")
        ET.SubElement(size, "Option", type="bool", name="active", value="true")
        ET.SubElement(size, "Option", type="QString", name="expression", value=size_expression)
        ET.SubElement(size, "Option", type="int", name="type", value="3")
        ET.SubElement(outer, "Option", type="QString", name="type", value="collection")


def _document(renderer: ET.Element) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"


def categorized(attribute: str, categories: Sequence[tuple[str, str]], kind: str,
                size_expression: str | None = None) -> str:
    """A categorized renderer: one colour per value of ``attribute``."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=attribute, symbollevels="0",
                          enableorderby="0", forceraster="0")
    category_list = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (value, colour) in enumerate(categories):
        # an empty value is QGIS's "all other values" category
        ET.SubElement(category_list, "category", symbol=str(index), value=value, label=value or "other",
                      render="true")
        if kind == "fill":
            _symbol(symbols, str(index), "fill", "SimpleFill",
                    {"color": colour, "outline_color": "60,60,60,255", "outline_width": "0.26", "style": "solid"})
        else:
            _symbol(symbols, str(index), "marker", "SimpleMarker",
                    {"color": colour, "name": "circle", "outline_color": "35,35,35,255", "size": "2"},
                    size_expression)
    return _document(renderer)


def line(colour: str, width_mm: str, dashed: bool) -> str:
    """A single-symbol line renderer."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0", forceraster="0")
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, "0", "line", "SimpleLine",
            {"line_color": colour, "line_width": width_mm, "line_width_unit": "MM",
             "line_style": "dash" if dashed else "solid", "capstyle": "round"})
    return _document(renderer)


def incident_style(event_types: Sequence[str]) -> str:
    """Incidents coloured by event type (the most common first, up to 12, then
    "other"), sized by the number killed."""
    shown = list(event_types)[: len(TYPE_PALETTE)]
    categories = [*zip(shown, TYPE_PALETTE, strict=False), ("", OTHER_COLOUR)]
    return categorized("event_type", categories, "marker", size_expression=INCIDENT_SIZE)


def event_types_by_count(event_type: pd.Series) -> list[str]:
    """Event types from the most to the least common (ties by name): the order
    in which they get the palette's colours, in QGIS and in the map."""
    counts = event_type.value_counts().sort_index(kind="stable").sort_values(ascending=False, kind="stable")
    return counts.index.astype(str).tolist()


def styles(event_types: Sequence[str] = ()) -> dict[str, str]:
    """The style of every output layer."""
    return {
        "districts_risk": categorized("risk_class", RISK_COLOURS, "fill"),
        "tehsils_risk": categorized("risk_class", RISK_COLOURS, "fill"),
        "incidents": incident_style(event_types),
        "border": line("200,0,0,255", "1.2", dashed=True),
        "border_bands": categorized("band_km_max", BAND_COLOURS, "fill"),
    }


def write_qml(style: str, path: Path) -> Path:
    """Write a style document to ``path``."""
    from geo.export.vector import atomic_path

    with atomic_path(Path(path)) as tmp:
        tmp.write_text(style, encoding="utf-8")
    return Path(path)


def add_layer_styles(gpkg: Path, layer_styles: Mapping[str, str], geometry_column: str = "geometry") -> None:
    """Store each layer's style in the GeoPackage as QGIS's default style."""
    with sqlite3.connect(gpkg) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT, "
            "f_table_schema TEXT, f_table_name TEXT, f_geometry_column TEXT, styleName TEXT, styleQML TEXT, "
            "styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT, ui TEXT, update_time DATETIME)")
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', "
                    "'2000-01-01T00:00:00.000Z')")
        for layer, style in layer_styles.items():
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, 'geo default style', '', NULL, '2000-01-01T00:00:00')",
                (layer, geometry_column, layer, style))
