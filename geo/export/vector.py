"""GeoJSON (RFC 7946) and GeoPackage writers with deterministic bytes."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

COORDINATE_DECIMALS = 6
# GeoPackage stores a last-change timestamp; fixing it keeps files byte-identical.
_FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"


@contextlib.contextmanager
def atomic_path(target: Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=suffix or target.suffix, dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def rfc7946_geometry(geometry: shapely.Geometry) -> shapely.Geometry:
    """Exterior rings counter-clockwise, holes clockwise, coordinates rounded to 6 decimals."""
    rounded = shapely.transform(geometry, lambda c: np.round(c, COORDINATE_DECIMALS))
    if rounded.geom_type in ("Polygon", "MultiPolygon", "GeometryCollection"):
        rounded = shapely.orient_polygons(rounded, exterior_cw=False)
    return rounded


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def geojson_text(frame: gpd.GeoDataFrame, metadata: Mapping[str, object] | None = None,
                 feature_ids: bool = False) -> str:
    """The RFC 7946 FeatureCollection of ``frame`` as text (one feature per line).

    ``metadata`` becomes foreign members of the collection (e.g. ``attribution``);
    RFC 7946 allows them and QGIS ignores them. With ``feature_ids`` each feature
    gets an integer ``id``: its 1-based position (rows come sorted by their
    stable text id, so the integers are stable too).
    """
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        msg = f"GeoJSON output must be in EPSG:4326, got {frame.crs}"
        raise ValueError(msg)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    features = []
    for number, (values, geometry) in enumerate(
            zip(frame[columns].itertuples(index=False), frame.geometry.values, strict=True), start=1):
        properties = {c: _json_value(v) for c, v in zip(columns, values, strict=True)}
        shape = None if geometry is None else json.loads(shapely.to_geojson(rfc7946_geometry(geometry)))
        feature = {"type": "Feature", **({"id": number} if feature_ids else {}), "properties": properties,
                   "geometry": shape}
        features.append(json.dumps(feature, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
    head = {"type": "FeatureCollection", **(metadata or {})}
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return head_text + ',"features":[\n' + ",\n".join(features) + "\n]}\n"


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
    with atomic_path(Path(path)) as tmp, _gdal_options(
        OGR_CURRENT_DATE=_FIXED_TIMESTAMP, OGR_SQLITE_JOURNAL="OFF"
    ):
        for name, frame in layers.items():
            out = frame.copy()
            out[out.geometry.name] = [rfc7946_geometry(g) for g in out.geometry.values]
            pyogrio.write_dataframe(
                out, tmp, layer=name, driver="GPKG", append=tmp.exists(),
                layer_options={"DESCRIPTION": descriptions.get(name, ""), "SPATIAL_INDEX": "YES"},
                dataset_options=None if tmp.exists() else {"METADATA_TABLES": "NO"},
            )
        if after_write is not None:
            after_write(tmp)
    return Path(path)


def write_points_geojson(
    frame: pd.DataFrame, path: Path, metadata: Mapping[str, object] | None = None,
    lon: str = "lon", lat: str = "lat",
) -> Path:
    """Write a table with coordinates as RFC 7946 point GeoJSON, atomically.

    GDAL writes it (fast for a million points); ``metadata`` becomes foreign
    members of the collection. Rows without coordinates get a null geometry.
    """
    points = gpd.GeoDataFrame(
        frame.drop(columns=[lon, lat]).reset_index(drop=True),
        geometry=gpd.points_from_xy(frame[lon].to_numpy(dtype=float, na_value=np.nan),
                                    frame[lat].to_numpy(dtype=float, na_value=np.nan)),
        crs="EPSG:4326",
    )
    points.loc[frame[lon].isna().to_numpy() | frame[lat].isna().to_numpy(), "geometry"] = None
    options = {"RFC7946": "YES", "COORDINATE_PRECISION": COORDINATE_DECIMALS, "WRITE_NAME": "NO"}
    if metadata:
        options["FOREIGN_MEMBERS_COLLECTION"] = json.dumps(dict(metadata), ensure_ascii=False)
    with atomic_path(Path(path)) as tmp:
        pyogrio.write_dataframe(points, tmp, driver="GeoJSON", layer_options=options)
    return Path(path)


@contextlib.contextmanager
def _gdal_options(**options: str) -> Iterator[None]:
    previous = pyogrio.get_gdal_config_option
    saved = {k: previous(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(saved)
