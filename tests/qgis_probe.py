"""Open a run folder's outputs in real QGIS (PyQGIS) as QGIS Desktop does, and
report on each layer as JSON; render a PNG per layer set.

Run with the SYSTEM python that has PyQGIS (Debian ``python3-qgis``), not the
project's virtualenv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py RUN_DIR ARTIFACTS_DIR

It imports nothing from geo: what it reports is what QGIS itself makes of the
files. ``tests/test_qgis.py`` runs it once per session and asserts on the answer.
"""

from __future__ import annotations

import array
import json
import os
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (  # noqa: E402  (the platform must be set first)
    Qgis,
    QgsApplication,
    QgsExpression,
    QgsExpressionContext,
    QgsExpressionContextUtils,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsRasterLayer,
    QgsRectangle,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

IMAGE_SIZE = (1200, 900)


def _style_text(source: str, uri_path: Path, layer_name: str | None) -> str | None:
    """The style document geo wrote for the layer: the .qml beside it, or the
    GeoPackage's default layer_styles row."""
    if source == "gpkg":
        with sqlite3.connect(uri_path) as con:
            row = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND useAsDefault",
                              (layer_name,)).fetchone()
        return row[0] if row else None
    qml = uri_path.with_suffix(".qml")
    return qml.read_text(encoding="utf-8") if qml.exists() else None


def _style_expressions(style: str | None, fields: list[str]) -> list[str]:
    """Every expression in a style: classification, data-defined properties,
    label expressions and drawing order."""
    if not style:
        return []
    root = ET.fromstring(style.split("\n", 1)[1] if style.startswith("<!DOCTYPE") else style)
    found = []
    for renderer in root.iter("renderer-v2"):
        attr = renderer.get("attr")
        if attr and attr not in fields:
            found.append(attr)
    found += [o.get("value") for o in root.iter("Option") if o.get("name") == "expression" and o.get("value")]
    found += [c.text for c in root.iter("orderByClause") if c.text]
    found += [t.get("fieldName") for t in root.iter("text-style") if t.get("isExpression") == "1"]
    return list(dict.fromkeys(found))


def _metadata(layer) -> dict:
    meta = layer.metadata()
    temporal = meta.extent().temporalExtents()
    return {
        "title": meta.title(), "abstract": meta.abstract(), "rights": list(meta.rights()),
        "licences": list(meta.licenses()), "keywords": {k: list(v) for k, v in meta.keywords().items()},
        "period": [temporal[0].begin().date().toString("yyyy-MM-dd"), temporal[0].end().date().toString("yyyy-MM-dd")]
        if temporal else None,
    }


def _colour(colour: QColor) -> list[int]:
    return [colour.red(), colour.green(), colour.blue(), colour.alpha()]


def probe_vector(uri: str, name: str, source: str, path: Path) -> tuple[dict, QgsVectorLayer]:
    layer = QgsVectorLayer(uri, name, "ogr")  # loads the default style, as QGIS Desktop does
    message, style_found = layer.loadDefaultStyle()
    layer.loadDefaultMetadata()
    fields = [f.name() for f in layer.fields()]
    renderer = layer.renderer()
    report = {
        "uri": uri, "source": source, "valid": layer.isValid(), "features": layer.featureCount(),
        "default_style": {"found": bool(style_found), "message": message},
        "renderer": renderer.type(), "crs": layer.crs().authid(), "crs_description": layer.crs().description(),
        "fields": {f.name(): f.typeName() for f in layer.fields()},
        "aliases": {f: layer.attributeAlias(i) for i, f in enumerate(fields)},
        "metadata": _metadata(layer),
    }
    if renderer.type() == "categorizedSymbol":
        report["class_attribute"] = renderer.classAttribute()
        report["categories"] = [{"value": c.value(), "label": c.label()} for c in renderer.categories()]
    symbol = renderer.symbols(QgsRenderContext())
    report["first_symbol_colour"] = _colour(symbol[0].color()) if symbol else None
    # every feature gets a symbol and a legend entry
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setExtent(layer.extent())
    context = QgsRenderContext.fromMapSettings(settings)
    context.expressionContext().appendScopes(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    labels = {item.ruleKey(): item.label() for item in renderer.legendSymbolItems()}
    counts = dict.fromkeys(labels.values(), 0)
    without_symbol = 0
    renderer.startRender(context, layer.fields())
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        symbols = renderer.symbolsForFeature(feature, context)
        keys = renderer.legendKeysForFeature(feature, context)
        if not symbols or not keys:
            without_symbol += 1
        for key in keys:
            counts[labels.get(key, key)] = counts.get(labels.get(key, key), 0) + 1
    renderer.stopRender(context)
    report["without_symbol"] = without_symbol
    report["legend"] = [{"label": label, "features": counts.get(label, 0)} for label in labels.values()]
    # every expression of the style evaluates on every feature
    expressions = {}
    scope = QgsExpressionContext(QgsExpressionContextUtils.globalProjectLayerScopes(layer))
    for text in _style_expressions(_style_text(source, path, name if source == "gpkg" else None), fields):
        expression = QgsExpression(text)
        errors = [expression.parserErrorString()] if expression.hasParserError() else []
        if not errors:
            expression.prepare(scope)
            for feature in layer.getFeatures():
                scope.setFeature(feature)
                expression.evaluate(scope)
                if expression.hasEvalError():
                    errors.append(expression.evalErrorString())
                    break
        expressions[text] = errors
    report["expressions"] = expressions
    if layer.labelsEnabled() and layer.labeling() is not None:
        pal = layer.labeling().settings()
        report["labels"] = {"field": pal.fieldName, "scale_visibility": pal.scaleVisibility,
                            "zoomed_out_limit": pal.minimumScale, "zoomed_in_limit": pal.maximumScale}
    return report, layer


def _first_index(values: array.array, wanted) -> int | None:
    try:
        return values.index(wanted)
    except ValueError:
        return None


def probe_raster(path: Path) -> tuple[dict, QgsRasterLayer]:
    layer = QgsRasterLayer(str(path), path.stem, "gdal")  # loads NAME.qml, as QGIS Desktop does
    message, style_found = layer.loadDefaultStyle()
    layer.loadDefaultMetadata()
    renderer = layer.renderer()
    provider = layer.dataProvider()
    width, height = layer.width(), layer.height()
    extent = layer.extent()
    block = provider.block(1, extent, width, height)  # keep the block alive while its data are read
    values = array.array("f", bytes(block.data()))
    colours = renderer.block(1, extent, width, height)
    zero = _first_index(values, 0.0)
    peak = values.index(max(values))
    pixel = (lambda index: _colour(QColor.fromRgba(colours.color(index // width, index % width)))
             if index is not None else None)
    report = {
        "path": str(path), "valid": layer.isValid(), "renderer": renderer.type(),
        "default_style": {"found": bool(style_found), "message": message},
        "crs_description": layer.crs().description(), "crs": layer.crs().authid(),
        "zero_pixel_colour": pixel(zero), "peak_pixel_colour": pixel(peak), "peak_value": values[peak],
        "legend": [label for label, _ in renderer.legendSymbologyItems()],
        "opacity": renderer.opacity(), "metadata": _metadata(layer),
    }
    return report, layer


def render(layers: list, extent: QgsRectangle, crs, path: Path) -> str:
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(crs)
    settings.setOutputSize(QSize(*IMAGE_SIZE))
    settings.setBackgroundColor(QColor(255, 255, 255))
    settings.setExtent(extent)
    settings.setFlag(QgsMapSettings.DrawLabeling, True)
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    path.parent.mkdir(parents=True, exist_ok=True)
    job.renderedImage().save(str(path), "PNG")
    return str(path)


def main(run_dir: Path, artifacts: Path) -> dict:
    app = QgsApplication([], False)
    app.initQgis()
    report = _probe(run_dir, artifacts)  # its layers are gone before QGIS exits (else a crash on exit)
    app.exitQgis()
    return report


def _probe(run_dir: Path, artifacts: Path) -> dict:
    report = {"qgis_version": Qgis.version(), "layers": {}, "rasters": {}, "images": {}}
    opened = {}
    for gpkg in (run_dir / "risk.gpkg", run_dir / "boundaries.gpkg"):
        with sqlite3.connect(gpkg) as con:
            tables = [t for (t,) in con.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name")]
        for table in tables:
            key = f"{gpkg.name}:{table}"
            report["layers"][key], opened[key] = probe_vector(f"{gpkg}|layername={table}", table, "gpkg", gpkg)
    for geojson in sorted(run_dir.glob("*.geojson")):
        if geojson.with_suffix(".qml").exists():
            key = geojson.name
            report["layers"][key], opened[key] = probe_vector(str(geojson), geojson.stem, "geojson", geojson)
    for tif in sorted(run_dir.glob("*.tif")):
        report["rasters"][tif.name], opened[tif.name] = probe_raster(tif)
    base = opened.get("risk.gpkg:districts_risk") or next(iter(opened.values()))
    extent = base.extent()
    extent.scale(1.05)
    sets = {
        "risk_gpkg": ["risk.gpkg:incidents", "risk.gpkg:border", "risk.gpkg:border_bands", "risk.gpkg:districts_risk"],
        "geojson": ["incidents.geojson", "border.geojson", "border_bands.geojson", "districts_risk.geojson"],
        "districts": ["border.geojson", "districts_risk.geojson"],
        "tehsils": ["border.geojson", "tehsils_risk.geojson"],
        "density_incidents": ["border.geojson", "density_incidents.tif", "districts_risk.geojson"],
        "density_killed": ["border.geojson", "density_killed.tif"],
        "boundaries_gpkg": [f"boundaries.gpkg:{n}" for n in ("afghan_border_districts", "border_bands", "tehsils",
                                                             "districts", "provinces", "border")],
    }
    for name, keys in sets.items():
        layers = [opened[k] for k in keys if k in opened]
        if layers:
            report["images"][name] = render(layers, extent, base.crs(), artifacts / f"qgis_{name}.png")
    return report


if __name__ == "__main__":
    result = main(Path(sys.argv[1]), Path(sys.argv[2]))
    sys.stdout.write(json.dumps(result, indent=1, default=str) + "\n")
