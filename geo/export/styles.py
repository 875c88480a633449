"""QGIS styles (.qml) of the vector output layers.

A ``.qml`` beside a GeoJSON with the same base name is loaded by QGIS
automatically; in a GeoPackage, QGIS applies the ``layer_styles`` row marked
``useAsDefault`` (:mod:`geo.export.geopackage`). A style carries the renderer
with human legend labels, the labels of the district layers, and the alias of
every field (:mod:`geo.export.fields`). Category values are written as QGIS
prints the field's own values (a real 10.0 as ``10``), since QGIS matches a
category by that text. Every text is written with an XML library, so names
cannot break the markup.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from geo.atomic import atomic_path
from geo.export.fields import field_aliases
from geo.export.layer_metadata import QGIS_DTD
from geo.metrics.risk import RISK_CLASSES
from geo.palette import BAND_COLOURS, OTHER_COLOUR, RISK_COLOURS, TYPE_PALETTE

QGIS_VERSION = "3.22"
RISK_SCORE_MAX = 10
OUTSIDE_PERIOD_COLOUR = "200,200,200,110"
OUTSIDE_PERIOD = "outside the period"
# Incidents before or after the period measured are drawn grey (the risk layers cover only the period).
INCIDENT_CLASS = f"if(\"in_period\", \"event_type\", '{OUTSIDE_PERIOD}')"
INCIDENT_SIZE = '2 + 1.2 * sqrt(coalesce("killed", 0))'  # mm: area grows with the number killed
# Unit names are labelled from 1:5,000,000 (the two provinces) to 1:50,000 (a town); tehsils closer in.
LABEL_SCALES = {"districts_risk": ("district", 5_000_000, 50_000), "tehsils_risk": ("tehsil", 1_500_000, 25_000),
                "districts": ("district", 5_000_000, 50_000), "districts_pre2022": ("district", 5_000_000, 50_000),
                "tehsils": ("tehsil", 1_500_000, 25_000)}
# Boundary layers (boundaries.gpkg): outlines over whatever lies below, Afghan
# districts in grey as context (fill, outline, outline width in mm).
BOUNDARY_FILLS = {
    "tehsils": ("0,0,0,0", "120,120,120,255", "0.2"),
    "districts": ("0,0,0,0", "60,60,60,255", "0.45"),
    "districts_pre2022": ("0,0,0,0", "60,60,60,255", "0.45"),
    "provinces": ("0,0,0,0", "20,20,20,255", "0.9"),
    "afghan_border_districts": ("227,227,227,255", "158,158,158,255", "0.2"),
    "afghan_districts": ("227,227,227,255", "158,158,158,255", "0.2"),
    "countries": ("0,0,0,0", "110,110,110,255", "0.5"),
}


@dataclasses.dataclass(frozen=True)
class Category:
    """One class of a categorized renderer: the value (text, number or None for
    "all other values"), its legend label and its colour (``r,g,b,a``)."""

    value: str | float | None
    label: str
    colour: str


def qgis_value_text(value: str | float | None) -> str:
    """``value`` as QGIS prints a field value (QVariant::toString), the key it
    matches categories on: 10.0 → ``10``, 2.5 → ``2.5``, None → empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _number(value: float) -> str:
    return f"{value:g}"


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


def _kind_symbol(parent: ET.Element, name: str, kind: str, colour: str, size_expression: str | None) -> None:
    if kind == "fill":
        _symbol(parent, name, "fill", "SimpleFill",
                {"color": colour, "outline_color": "60,60,60,255", "outline_width": "0.26", "style": "solid"})
    else:
        _symbol(parent, name, "marker", "SimpleMarker",
                {"color": colour, "name": "circle", "outline_color": "35,35,35,255", "size": "2"}, size_expression)


def categorized(attribute: str, categories: Sequence[Category], kind: str, size_expression: str | None = None,
                order_by: str | None = None) -> ET.Element:
    """A categorized renderer: one colour per value of ``attribute`` (a field
    name or an expression). ``order_by`` (an expression) sets the drawing order."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=attribute, symbollevels="0",
                          enableorderby="1" if order_by else "0", forceraster="0")
    category_list = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, category in enumerate(categories):
        # an empty value is QGIS's "all other values" category
        ET.SubElement(category_list, "category", symbol=str(index), value=qgis_value_text(category.value),
                      label=category.label, render="true")
        _kind_symbol(symbols, str(index), kind, category.colour, size_expression)
    if order_by:
        clause = ET.SubElement(ET.SubElement(renderer, "orderby"), "orderByClause", asc="1", nullsFirst="1")
        clause.text = order_by
    return renderer


def line(colour: str, width_mm: str, dashed: bool) -> ET.Element:
    """A single-symbol line renderer."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0", forceraster="0")
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, "0", "line", "SimpleLine",
            {"line_color": colour, "line_width": width_mm, "line_width_unit": "MM",
             "line_style": "dash" if dashed else "solid", "capstyle": "round"})
    return renderer


def fill(colour: str, outline_colour: str, outline_width_mm: str) -> ET.Element:
    """A single-symbol fill renderer (a transparent ``colour`` draws outlines only)."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0", forceraster="0")
    symbols = ET.SubElement(renderer, "symbols")
    _symbol(symbols, "0", "fill", "SimpleFill",
            {"color": colour, "outline_color": outline_colour, "outline_width": outline_width_mm,
             "outline_width_unit": "MM", "style": "solid" if not colour.endswith(",0") else "no"})
    return renderer


def labeling(field: str, max_denominator: int, min_denominator: int) -> ET.Element:
    """Simple labels of ``field``, shown between 1:``max_denominator`` (zoomed
    out) and 1:``min_denominator`` (zoomed in), with a white halo."""
    root = ET.Element("labeling", type="simple")
    settings = ET.SubElement(root, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", fieldName=field, isExpression="0", fontFamily="Sans Serif",
                          namedStyle="Regular", fontSize="8", fontSizeUnit="Point", textColor="30,30,30,255",
                          textOpacity="1", fontWeight="50", fontItalic="0", allowHtml="0")
    ET.SubElement(style, "text-buffer", bufferDraw="1", bufferSize="0.7", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.8", bufferNoFill="1", bufferJoinStyle="128")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="1", autoWrapLength="0")
    ET.SubElement(settings, "placement", placement="1", centroidInside="1", centroidWhole="0", priority="5",
                  fitInPolygonOnly="0", dist="0", offsetType="0", quadOffset="4")
    # QGIS writes the zoomed-out limit (its minimumScale) as scaleMax, the zoomed-in one as scaleMin.
    ET.SubElement(settings, "rendering", scaleVisibility="1", scaleMax=str(max_denominator),
                  scaleMin=str(min_denominator), drawLabels="1", obstacle="1", obstacleType="1",
                  limitNumLabels="0", maxNumLabels="2000", displayAll="0", upsidedownLabels="0",
                  labelPerPart="0", mergeLines="0", minFeatureSize="0", zIndex="0")
    return root


def style_document(renderer: ET.Element, fields: Iterable[str], label: ET.Element | None = None) -> str:
    """A whole ``.qml``: renderer, labels (if any) and the alias of every field."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Labeling|Fields",
                      labelsEnabled="1" if label is not None else "0")
    root.append(renderer)
    if label is not None:
        root.append(label)
    aliases = ET.SubElement(root, "aliases")
    # QGIS matches aliases by field name; fid is the GeoPackage's own id column.
    for name, alias in field_aliases(dict.fromkeys(["fid", *fields])).items():
        ET.SubElement(aliases, "alias", field=name, name=alias)
    ET.indent(root)
    return QGIS_DTD + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def risk_categories() -> list[Category]:
    """The five risk classes with their score ranges: ``very high (8–10)``."""
    colours = dict(RISK_COLOURS)
    categories, low = [], 0.0
    for high, name in RISK_CLASSES:
        top = RISK_SCORE_MAX if high == float("inf") else high
        categories.append(Category(name, f"{name} ({_number(low)}–{_number(top)})", colours[name]))
        low = top
    return categories


def band_categories(bands: Iterable[tuple[float, float]]) -> list[Category]:
    """Border bands (inner, outer edge in km) by outer edge, labelled ``0–10 km``."""
    colours = dict(BAND_COLOURS)
    fallback = BAND_COLOURS[-1][1]
    return [Category(float(high), f"{_number(low)}–{_number(high)} km", colours.get(float(high), fallback))
            for low, high in sorted(bands, key=lambda b: b[1])]


def incident_categories(event_types: Sequence[str], period: tuple[str, str] | None) -> list[Category]:
    """Event types (the most common first, up to 12), then all other types,
    then the incidents outside the period measured."""
    shown = list(event_types)[: len(TYPE_PALETTE)]
    outside = f"{OUTSIDE_PERIOD} ({period[0]} – {period[1]})" if period else OUTSIDE_PERIOD
    return [*(Category(t, t, c) for t, c in zip(shown, TYPE_PALETTE, strict=False)),
            Category(OUTSIDE_PERIOD, outside, OUTSIDE_PERIOD_COLOUR),
            Category(None, "other event types", OTHER_COLOUR)]


def _labels_for(layer: str) -> ET.Element | None:
    if layer not in LABEL_SCALES:
        return None
    field, zoomed_out, zoomed_in = LABEL_SCALES[layer]
    return labeling(field, zoomed_out, zoomed_in)


def styles(fields: Mapping[str, Sequence[str]], *, event_types: Sequence[str] = (),
           bands: Iterable[tuple[float, float]] = (), period: tuple[str, str] | None = None) -> dict[str, str]:
    """The style of every output layer named in ``fields`` (layer → its fields).

    Parameters
    ----------
    fields
        The fields of each layer, for the aliases.
    event_types
        Incident event types, the most common first (:func:`geo.palette.event_types_by_count`).
    bands
        (inner, outer) edges in km of the border bands.
    period
        First and last day (ISO) of the period measured, for the incident legend.
    """
    renderers = {
        "districts_risk": lambda: categorized("risk_class", risk_categories(), "fill"),
        "tehsils_risk": lambda: categorized("risk_class", risk_categories(), "fill"),
        "incidents": lambda: categorized(INCIDENT_CLASS, incident_categories(event_types, period), "marker",
                                         size_expression=INCIDENT_SIZE, order_by='"in_period"'),
        "border": border_renderer,
        "border_bands": lambda: bands_renderer(bands),
    }
    unknown = sorted(set(fields) - set(renderers))
    if unknown:
        msg = f"no style for layer(s) {', '.join(unknown)}; styled layers: {', '.join(renderers)}"
        raise ValueError(msg)
    return {name: style_document(renderers[name](), columns, _labels_for(name)) for name, columns in fields.items()}


def border_renderer() -> ET.Element:
    """The border: a heavy dark-red dashed line (as in the map)."""
    return line("200,0,0,255", "1.2", dashed=True)


def bands_renderer(bands: Iterable[tuple[float, float]]) -> ET.Element:
    """Border bands by outer edge (see :func:`band_categories`)."""
    return categorized("band_km_max", band_categories(bands), "fill")


def boundary_styles(fields: Mapping[str, Sequence[str]], bands: Iterable[tuple[float, float]] = ()) -> dict[str, str]:
    """The default QGIS style of every layer of ``boundaries.gpkg`` named in
    ``fields`` (layer → its fields): outlines, names as labels, the border and
    its bands as in the risk outputs."""
    def renderer(name: str) -> ET.Element:
        if name == "border":
            return border_renderer()
        if name == "border_bands":
            return bands_renderer(bands)
        if name in BOUNDARY_FILLS:
            return fill(*BOUNDARY_FILLS[name])
        msg = f"no style for boundary layer {name}"
        raise ValueError(msg)

    return {name: style_document(renderer(name), columns, _labels_for(name)) for name, columns in fields.items()}


def write_qml(style: str, path: Path) -> Path:
    """Write a style document to ``path``."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(style, encoding="utf-8")
    return Path(path)
