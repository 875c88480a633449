"""Writing the boundary layers of ``boundaries/``: what ``geo boundaries build``
writes after :func:`geo.boundaries.build.build_layers` has computed them.

Every layer goes out as GeoJSON and, styled and with its QGIS metadata, into
one GeoPackage; beside them the Natural Earth reference line, the places
table, the side tables of the build and its report. The same build gives
byte-identical files (what ``geo boundaries check`` compares).
"""

from __future__ import annotations

import json
from pathlib import Path

from geo.atomic import atomic_path
from geo.attribution import boundary_attribution
from geo.boundaries import LAYERS
from geo.boundaries.build import BuildResult
from geo.boundaries.sources import NATURAL_EARTH, PACKAGES
from geo.export.geopackage import style_geopackage
from geo.export.layer_metadata import KEYWORDS, LayerMetadata
from geo.export.styles import boundary_styles
from geo.export.vector import write_geojson, write_geopackage
from geo.filenames import (
    BOUNDARIES_GPKG,
    BUILD_REPORT_JSON,
    GEONAMES_PLACES_CSV,
    NATURAL_EARTH_BORDER_GEOJSON,
)

# What each layer is, as QGIS shows it (layer metadata title).
LAYER_TITLES = {
    "tehsils": "Tehsils of Khyber Pakhtunkhwa and Balochistan",
    "districts": "Districts of Khyber Pakhtunkhwa and Balochistan (today's)",
    "districts_pre2022": "Districts of Khyber Pakhtunkhwa and Balochistan before the 2022 splits",
    "provinces": "Khyber Pakhtunkhwa and Balochistan",
    "border": "Pakistan–Afghanistan border",
    "border_bands": "Distance bands from the Pakistan–Afghanistan border (geodesic)",
    "afghan_border_districts": "Afghan districts near the border (context)",
    "afghan_districts": "Afghan districts (to name the district of incidents in Afghanistan)",
    "countries": "Outlines of the two source boundary sets",
}


def layer_metadata(name: str) -> dict[str, object]:
    """Foreign members written into each GeoJSON layer (and GeoPackage description)."""
    return {
        "name": name,
        "attribution": boundary_attribution(),
        "sources": [f"{p.name} {p.version} ({p.registry}, sha256 {p.sha256})" for p in PACKAGES],
        "documentation": "boundaries/SOURCES.md",
    }


def write_layers(result: BuildResult, out_dir: Path) -> list[Path]:
    """Write every layer as GeoJSON, all of them into one GeoPackage, plus the
    places table, the side tables and the build report.

    Parameters
    ----------
    result
        What :func:`geo.boundaries.build.build_layers` computed.
    out_dir
        The folder to write into (``boundaries/``, or a scratch folder to compare).

    Returns
    -------
    list of Path
        The files written.
    """
    out_dir = Path(out_dir)
    attribution = boundary_attribution()
    written = []
    for name in LAYERS:
        written.append(write_geojson(result.layers[name], out_dir / f"{name}.geojson", layer_metadata(name),
                                     feature_ids=True))
    descriptions = {name: f"{name}: {attribution}" for name in LAYERS}
    layers = {n: result.layers[n] for n in LAYERS}
    bands = result.layers["border_bands"]
    layer_styles = boundary_styles({n: [c for c in f.columns if c != f.geometry.name] for n, f in layers.items()},
                                   zip(bands["band_km_min"], bands["band_km_max"], strict=True))
    about = {name: LayerMetadata(f"geo:boundaries:{name}", LAYER_TITLES[name],
                                 f"{LAYER_TITLES[name]}. How it was derived: boundaries/SOURCES.md.",
                                 (attribution,), keywords=(*KEYWORDS, "boundaries"))
             for name in LAYERS}
    # QGIS opens each layer with its default style and metadata (layer_styles, gpkg_metadata).
    written.append(write_geopackage(layers, out_dir / BOUNDARIES_GPKG, descriptions,
                                    after_write=lambda path: style_geopackage(path, layer_styles, about)))

    written.append(write_geojson(result.natural_earth_border, out_dir / NATURAL_EARTH_BORDER_GEOJSON, {
        "name": "natural_earth_border", "attribution": NATURAL_EARTH.attribution,
        "sources": [f"{NATURAL_EARTH.name} {NATURAL_EARTH.version} (npm, sha256 {NATURAL_EARTH.sha256})"],
        "note": "reference line for the border check; not a layer of the toolkit"}))
    with atomic_path(out_dir / GEONAMES_PLACES_CSV) as tmp:
        result.places.to_csv(tmp, index=False, lineterminator="\n", float_format="%.5f")
    written.append(out_dir / GEONAMES_PLACES_CSV)
    for name, table in result.tables.items():
        with atomic_path(out_dir / name) as tmp:
            table.to_csv(tmp, index=False, lineterminator="\n")
        written.append(out_dir / name)
    with atomic_path(out_dir / BUILD_REPORT_JSON) as tmp:
        tmp.write_text(json.dumps(result.report, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                       encoding="utf-8")
    written.append(out_dir / BUILD_REPORT_JSON)
    return written
