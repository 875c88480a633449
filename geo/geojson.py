"""GeoJSON as RFC 7946 wants it: :func:`geojson_text` (its features as dicts:
:func:`geojson_features`) and :func:`rfc7946_geometry`.

The exporters write it (:mod:`geo.export.vector`), the web map embeds it
(:mod:`geo.maps.interactive`) and the boundary build measures the geometries
exactly as written (:mod:`geo.boundaries.unit_metrics`), so the text is made
in one place.

Notes
-----
numpy, pandas and shapely are imported when a function is called, not with
this module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

COORDINATE_DECIMALS = 6  # about 0.1 m: what RFC 7946 suggests
_WITH_RINGS = (3, 6, 7)  # shapely type ids: Polygon, MultiPolygon, GeometryCollection


def rfc7946_geometry(geometry):
    """Exterior rings counter-clockwise, holes clockwise, coordinates rounded to 6
    decimals; for one geometry or a whole array at once."""
    import numpy as np
    import shapely

    rounded = shapely.transform(geometry, lambda c: np.round(c, COORDINATE_DECIMALS))
    if np.ndim(rounded) and not np.isin(shapely.get_type_id(rounded), _WITH_RINGS).any():
        return rounded  # points (a million incidents): no ring to orient
    return shapely.orient_polygons(rounded, exterior_cw=False)


def _json_value(value: object, np, pd) -> object:
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


def geojson_features(frame: gpd.GeoDataFrame, feature_ids: bool = False) -> list[dict]:
    """The RFC 7946 features of ``frame`` as dicts (what :func:`geojson_text`
    writes, and what the web map embeds without a round trip through text).

    With ``feature_ids`` each feature gets an integer ``id``: its 1-based
    position (rows come sorted by their stable text id, so the integers are
    stable too).

    Raises
    ------
    ValueError
        ``frame`` is not in EPSG:4326.
    """
    import numpy as np
    import pandas as pd
    import shapely

    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        msg = f"GeoJSON output must be in EPSG:4326, got {frame.crs}"
        raise ValueError(msg)
    columns = [c for c in frame.columns if c != frame.geometry.name]
    geometries = frame.geometry.values
    present = ~shapely.is_missing(geometries)
    # one shapely call and one parse for every geometry (each is a JSON object: joined, a JSON array)
    parsed = iter(json.loads("[" + ",".join(shapely.to_geojson(rfc7946_geometry(geometries[present]))) + "]")
                  if present.any() else [])
    features = []
    for number, (values, has_geometry) in enumerate(
            zip(frame[columns].itertuples(index=False), present, strict=True), start=1):
        properties = {c: _json_value(v, np, pd) for c, v in zip(columns, values, strict=True)}
        features.append({"type": "Feature", **({"id": number} if feature_ids else {}), "properties": properties,
                         "geometry": next(parsed) if has_geometry else None})
    return features


def geojson_text(frame: gpd.GeoDataFrame, metadata: Mapping[str, object] | None = None,
                 feature_ids: bool = False) -> str:
    """The RFC 7946 FeatureCollection of ``frame`` (:func:`geojson_features`)
    as text, one feature per line.

    ``metadata`` becomes foreign members of the collection (e.g. ``attribution``);
    RFC 7946 allows them and QGIS ignores them.

    Raises
    ------
    ValueError
        ``frame`` is not in EPSG:4326.
    """
    features = [json.dumps(feature, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
                for feature in geojson_features(frame, feature_ids)]
    head = {"type": "FeatureCollection", **(metadata or {})}
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return head_text + ',"features":[\n' + ",\n".join(features) + "\n]}\n"
