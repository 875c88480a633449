"""What QGIS reads from a GeoPackage beyond the features: each layer's default
style (``layer_styles``) and its metadata (``gpkg_metadata``).

:func:`style_geopackage` works on any GeoPackage written by geo (``risk.gpkg``
and, once its build calls it, ``boundaries.gpkg``): the styles are keyed to
each table's real geometry column, read from ``gpkg_geometry_columns``, as
QGIS looks a default style up by table *and* geometry column. Every row is
written with fixed timestamps, so identical inputs give identical bytes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from geo.export.layer_metadata import LayerMetadata, metadata_document

QGIS_METADATA_STANDARD = "http://mrcc.com/qgis.dtd"
_FIXED_TIME = "2000-01-01T00:00:00.000Z"
_METADATA_EXTENSION = "http://www.geopackage.org/spec120/#extension_metadata"


def geometry_columns(con: sqlite3.Connection) -> dict[str, str]:
    """Table name → geometry column name, as the GeoPackage declares them."""
    return dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))


def add_layer_styles(gpkg: Path, layer_styles: Mapping[str, str]) -> None:
    """Store each layer's style (QML text) as the default style QGIS applies on open.

    Raises
    ------
    ValueError
        When a layer named in ``layer_styles`` is not a table of ``gpkg``.
    """
    with sqlite3.connect(gpkg) as con:
        columns = geometry_columns(con)
        tables = {name for (name,) in con.execute("SELECT table_name FROM gpkg_contents")}
        unknown = sorted(set(layer_styles) - tables)
        if unknown:
            msg = f"no such layer in {Path(gpkg).name}: {', '.join(unknown)}"
            raise ValueError(msg)
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT, "
            "f_table_schema TEXT, f_table_name TEXT, f_geometry_column TEXT, styleName TEXT, styleQML TEXT, "
            "styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT, ui TEXT, update_time DATETIME)")
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles', ?)",
                    (_FIXED_TIME,))
        for layer, style in layer_styles.items():
            con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (layer,))
            con.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui, update_time) "
                "VALUES ('', '', ?, ?, ?, ?, '', 1, 'geo default style', '', NULL, ?)",
                (layer, columns.get(layer, ""), layer, style, _FIXED_TIME))


def add_layer_metadata(gpkg: Path, metadata: Mapping[str, LayerMetadata]) -> None:
    """Store each layer's metadata as a QGIS metadata document linked to its table
    (GeoPackage metadata extension), which QGIS shows as the layer's metadata."""
    with sqlite3.connect(gpkg) as con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL, "
            "md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL, "
            "mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '')")
        con.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT NULL, table_name TEXT, "
            "column_name TEXT, row_id_value INTEGER, timestamp DATETIME NOT NULL DEFAULT "
            "(strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT NULL, md_parent_id INTEGER, "
            "CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id), "
            "CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id))")
        con.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
            "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
            "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))")
        for table in ("gpkg_metadata", "gpkg_metadata_reference"):
            con.execute("INSERT OR IGNORE INTO gpkg_extensions VALUES (?, NULL, 'gpkg_metadata', ?, 'read-write')",
                        (table, _METADATA_EXTENSION))
        for layer, meta in metadata.items():
            cursor = con.execute(
                "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
                "VALUES ('dataset', ?, 'text/xml', ?)", (QGIS_METADATA_STANDARD, metadata_document(meta)))
            con.execute(
                "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, column_name, row_id_value, "
                "timestamp, md_file_id, md_parent_id) VALUES ('table', ?, NULL, NULL, ?, ?, NULL)",
                (layer, _FIXED_TIME, cursor.lastrowid))


def style_geopackage(gpkg: Path, layer_styles: Mapping[str, str],
                     metadata: Mapping[str, LayerMetadata] | None = None) -> Path:
    """Give the layers of ``gpkg`` their default QGIS styles and metadata, in place.

    Parameters
    ----------
    gpkg
        A GeoPackage (e.g. the staging file of
        :func:`geo.export.vector.write_geopackage`, via ``after_write``).
    layer_styles
        Layer name → QML text (see :mod:`geo.export.styles`).
    metadata
        Layer name → its metadata.
    """
    add_layer_styles(gpkg, layer_styles)
    if metadata:
        add_layer_metadata(gpkg, metadata)
    return Path(gpkg)
