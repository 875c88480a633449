"""GeoJSON (RFC 7946) and GeoPackage writers with deterministic bytes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio

from geo.atomic import atomic_path
from geo.arrow_text import holding, large_text, write_text
from geo.export.fields import DATE_FIELDS
from geo.geojson import COORDINATE_DECIMALS, geojson_text, rfc7946_geometry
from geo.incidents.schema import iso_dates

# GeoPackage stores a last-change timestamp; fixing it keeps files byte-identical.
_FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"


def write_geojson(frame: gpd.GeoDataFrame, path: Path, metadata: Mapping[str, object] | None = None,
                  feature_ids: bool = False) -> Path:
    """Write ``frame`` as RFC 7946 GeoJSON, atomically."""
    text = geojson_text(frame, metadata, feature_ids)
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_geopackage(
    layers: Mapping[str, gpd.GeoDataFrame], path: Path, descriptions: Mapping[str, str] | None = None,
    after_write=None,
) -> Path:
    """Write several layers into one GeoPackage, atomically and byte-reproducibly.

    Geometries are written exactly as the GeoJSON files round them.
    ``after_write(path)`` may add to the file (e.g. styles) before it is renamed.
    """
    descriptions = descriptions or {}
    # no journal, no fsync, a larger page cache: the same bytes, a million points written faster
    with atomic_path(Path(path)) as tmp, _gdal_options(
        OGR_CURRENT_DATE=_FIXED_TIMESTAMP, OGR_SQLITE_JOURNAL="OFF", OGR_SQLITE_SYNCHRONOUS="OFF",
        OGR_SQLITE_CACHE="512"
    ):
        for name, frame in layers.items():
            out = frame.copy(deep=False)  # copy-on-write: the caller's frame keeps its geometry
            out[out.geometry.name] = rfc7946_geometry(out.geometry.values)
            pyogrio.write_dataframe(
                out, tmp, layer=name, driver="GPKG", append=tmp.exists(), use_arrow=True,
                layer_options={"DESCRIPTION": descriptions.get(name, ""), "SPATIAL_INDEX": "YES"},
                dataset_options=None if tmp.exists() else {"METADATA_TABLES": "NO"},
            )
        if after_write is not None:
            after_write(tmp)
    return Path(path)


_INT32 = np.iinfo(np.int32)


def geojson_field_types(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``frame`` whose columns a GeoPackage stores with the field
    types OGR reads from the same layer's GeoJSON: the ISO date columns of
    :data:`geo.export.fields.DATE_FIELDS` as DATE, and integer columns (8 to
    64 bits) as 32-bit when every value fits, 64-bit otherwise, as OGR's
    GeoJSON reader decides. So a field has one type in every format geo writes.
    """
    out = frame.copy(deep=False)  # copy-on-write: columns are replaced, never changed in place
    for column in out.columns:
        values = out[column]
        if column == out.geometry.name:
            continue
        if column in DATE_FIELDS and not pd.api.types.is_datetime64_any_dtype(values):
            parsed = iso_dates(values)
            days = pa.array(parsed.to_numpy().astype("datetime64[D]"), type=pa.date32(), from_pandas=True)
            out[column] = pd.Series(pd.arrays.ArrowExtensionArray(days), index=values.index)
        elif pd.api.types.is_integer_dtype(values.dtype) and values.dtype.itemsize != 4:
            present = values.dropna()
            if present.empty or (present.min() >= _INT32.min and present.max() <= _INT32.max):
                out[column] = values.astype("Int32" if values.hasnans else "int32")
    return out


_JSON_ESCAPED_BYTES = np.array([*range(32), ord("\\"), ord('"')], dtype=np.uint8)


def _json_escaped(text: pa.Array) -> pa.Array:
    """The text of JSON string literals of a large string array, without their
    quotes (Arrow kernels, no Python loop)."""
    escaped = text
    # Only characters JSON must escape are touched, and only those a column holds.
    _, present = holding(text, _JSON_ESCAPED_BYTES)
    if len(present):
        present = set(present.tolist())
        for char, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            if ord(char) in present:
                escaped = pc.replace_substring(escaped, char, escape)
        for code in range(32):
            if code not in (9, 10, 13) and code in present:
                escaped = pc.replace_substring(escaped, chr(code), f"\\u{code:04x}")
    return escaped


def _bytes_each(values: np.ndarray) -> pa.Array:
    """A large string array of one ASCII character per value (``values``: their codes)."""
    offsets = np.arange(len(values) + 1, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(len(values), pa.py_buffer(offsets),
                                            pa.py_buffer(np.ascontiguousarray(values, dtype=np.uint8)))


def _json_parts(values: pd.Series) -> list[pa.Array | str]:
    """Each value of a column as JSON text (``null`` for missing), vectorised,
    as the parts a row-wise join puts together (text: the same in every row)."""
    dtype = values.dtype
    null = pa.scalar("null", pa.large_string())
    if pd.api.types.is_bool_dtype(dtype):
        text = np.where(values.isna().to_numpy(), "null", np.where(values.fillna(False).to_numpy(bool), "true", "false"))
        return [pa.array(text, type=pa.large_string())]
    if pd.api.types.is_numeric_dtype(dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        missing = ~np.isfinite(numbers)
        if pd.api.types.is_integer_dtype(dtype):
            text = pc.cast(pa.array(np.where(missing, 0, numbers).astype(np.int64)), pa.large_string())
        else:  # Arrow prints the shortest text that reads back to the same double
            text = pc.cast(pa.array(np.where(missing, 0.0, numbers)), pa.large_string())
            # ... but 100.0 as "100", which OGR would read as an integer field
            whole = pc.match_substring_regex(text, "^-?[0-9]+$")
            text = pc.if_else(whole, pc.binary_join_element_wise(text, pa.scalar(".0", pa.large_string()),
                                                                 pa.scalar("", pa.large_string())), text)
        return [pc.if_else(pa.array(missing), null, text)]
    text = large_text(values)
    escaped = _json_escaped(text)
    # The quotes go into the row-wise join, not through a join of their own (a copy of all the text);
    # a missing value is spelled out by its first letter, its middle and its last: n + ul + l.
    if not text.null_count:
        return ['"', escaped, '"']
    valid = np.asarray(text.is_valid(), dtype=bool)
    return [_bytes_each(np.where(valid, ord('"'), ord("n"))), pc.fill_null(escaped, "ul"),
            _bytes_each(np.where(valid, ord('"'), ord("l")))]


def _joined(parts: list[pa.Array | str]) -> pa.Array:
    """The row-wise concatenation of ``parts`` (arrays, and text the same in every row)."""
    merged: list[pa.Array | str] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    large = pa.large_string()
    return pc.binary_join_element_wise(*(pa.scalar(p, large) if isinstance(p, str) else p for p in merged),
                                       pa.scalar("", large))


GEOJSON_ROWS_PER_BLOCK = 100_000


def write_points_geojson(
    frame: pd.DataFrame, path: Path, metadata: Mapping[str, object] | None = None,
    lon: str = "lon", lat: str = "lat",
) -> Path:
    """Write a table with coordinates as RFC 7946 point GeoJSON, atomically.

    Built column by column with Arrow string kernels, not row by row, and
    written in blocks of rows so that memory stays bounded: a million points
    take seconds. ``metadata`` becomes foreign members of the collection; rows
    without coordinates get a null geometry. Features carry their 1-based row
    number as integer ``id``.
    """
    head = {"type": "FeatureCollection", **(metadata or {})}
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":[\n'
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as out:
        out.write(head_text.encode("utf-8"))
        for first in range(0, len(frame), GEOJSON_ROWS_PER_BLOCK):
            block = frame.iloc[first: first + GEOJSON_ROWS_PER_BLOCK]
            last_block = first + GEOJSON_ROWS_PER_BLOCK >= len(frame)
            # a block's text is written as Arrow holds it, less the comma after the very last feature
            write_text(out, _feature_lines(block, lon, lat, first_id=first + 1), trim_end=2 if last_block else 0)
        if len(frame):
            out.write(b"\n")
        out.write(b"]}\n")
    return Path(path)


def _feature_lines(frame: pd.DataFrame, lon: str, lat: str, first_id: int) -> pa.Array:
    """One GeoJSON Feature per row with an integer ``id`` (its 1-based row
    number), each followed by ",\n" (64-bit offsets)."""
    large = pa.large_string()
    columns = [c for c in frame.columns if c not in (lon, lat)]
    # keys and values in one join (no pass per column): "k1":v1,"k2":v2 ...
    properties = [part for number, c in enumerate(columns)
                  for part in (("," if number else "") + json.dumps(c, ensure_ascii=False) + ":",
                               *_json_parts(frame[c]))]
    x = np.round(frame[lon].to_numpy(dtype=float, na_value=np.nan), COORDINATE_DECIMALS)
    y = np.round(frame[lat].to_numpy(dtype=float, na_value=np.nan), COORDINATE_DECIMALS)
    missing = ~(np.isfinite(x) & np.isfinite(y))
    point = _joined(['{"type":"Point","coordinates":[', pc.cast(pa.array(np.where(missing, 0.0, x)), large), ",",
                     pc.cast(pa.array(np.where(missing, 0.0, y)), large), "]}"])
    geometry = pc.if_else(pa.array(missing), pa.scalar("null", large), point)
    ids = pc.cast(pa.array(np.arange(first_id, first_id + len(frame), dtype=np.int64)), large)
    return _joined(['{"type":"Feature","id":', ids, ',"properties":{', *properties, '},"geometry":', geometry,
                    "},\n"])


@contextlib.contextmanager
def _gdal_options(**options: str) -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option
    saved = {k: previous(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(saved)
