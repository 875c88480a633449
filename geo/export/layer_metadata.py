"""QGIS layer metadata (title, abstract, attribution, licence, keywords, period).

QGIS reads it from a ``NAME.qmd`` file beside a GeoJSON or GeoTIFF (what
"Layer Properties → Metadata" shows, loaded when the layer is added), and,
in a GeoPackage, from a ``gpkg_metadata`` row of the QGIS metadata standard
linked to the table (see :func:`geo.export.geopackage.add_layer_metadata`).
The document is QGIS's own metadata XML, written with an XML library.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from pathlib import Path

from geo.atomic import atomic_path

QGIS_DTD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
QGIS_METADATA_VERSION = "3.22"
DATA_LICENCE = ("Boundaries: geoBoundaries CC BY 4.0, GeoNames CC BY 4.0, Natural Earth public domain, "
                "pk-address-checker MIT; incident data: the licence of each source named in the layer")

KEYWORDS = ("militant violence", "Khyber Pakhtunkhwa", "Balochistan", "Pakistan–Afghanistan border", "geo")


@dataclasses.dataclass(frozen=True)
class LayerMetadata:
    """What a layer says about itself in QGIS.

    Attributes
    ----------
    identifier
        Stable id of the layer (e.g. ``geo:districts_risk``).
    title, abstract
        Shown in the layer's metadata and its tooltip.
    rights
        Attribution lines (who made the data, under what terms).
    licences
        Licences of the data.
    keywords
        Free keywords.
    period
        First and last day (ISO) of the period measured, if any.
    """

    identifier: str
    title: str
    abstract: str
    rights: tuple[str, ...]
    licences: tuple[str, ...] = (DATA_LICENCE,)
    keywords: tuple[str, ...] = ()
    period: tuple[str, str] | None = None


def _text(parent: ET.Element, tag: str, text: str = "", **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def metadata_element(metadata: LayerMetadata) -> ET.Element:
    """The ``<qgis>`` element of QGIS's layer metadata (QgsLayerMetadata::writeMetadataXml)."""
    root = ET.Element("qgis", version=QGIS_METADATA_VERSION)
    _text(root, "identifier", metadata.identifier)
    _text(root, "parentidentifier")
    _text(root, "language", "en")
    _text(root, "type", "dataset")
    _text(root, "title", metadata.title)
    _text(root, "abstract", metadata.abstract)
    if metadata.keywords:
        keywords = ET.SubElement(root, "keywords", vocabulary="keywords")
        for word in metadata.keywords:
            _text(keywords, "keyword", word)
    ET.SubElement(root, "links")
    _text(root, "fees")
    for right in metadata.rights:
        _text(root, "rights", right)
    for licence in metadata.licences:
        _text(root, "license", licence)
    _text(root, "encoding", "UTF-8")
    if metadata.period is not None:
        period = ET.SubElement(ET.SubElement(ET.SubElement(root, "extent"), "temporal"), "period")
        _text(period, "start", f"{metadata.period[0]}T00:00:00Z")
        _text(period, "end", f"{metadata.period[1]}T23:59:59Z")
    return root


def metadata_document(metadata: LayerMetadata) -> str:
    """The metadata as a QGIS ``.qmd`` document (also what a GeoPackage stores)."""
    root = metadata_element(metadata)
    ET.indent(root)
    return QGIS_DTD + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def write_qmd(metadata: LayerMetadata, path: Path) -> Path:
    """Write ``metadata`` to ``path`` (``NAME.qmd`` beside ``NAME.geojson`` or ``NAME.tif``)."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(metadata_document(metadata), encoding="utf-8")
    return Path(path)

