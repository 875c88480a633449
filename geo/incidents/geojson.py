"""Read a GeoJSON FeatureCollection of points into the same string table as a CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from geo.incidents.csvtable import InputFileError, RawTable, decode
from geo.incidents.schema import Rejects

LON, LAT = "__lon", "__lat"  # coordinate columns taken from point geometries


def read_geojson_table(path: Path, rejects: Rejects, source: str = "") -> RawTable:
    """Properties of each feature as strings, plus ``__lon``/``__lat`` from its Point.

    ``line_no`` is the feature's 1-based position in the collection. Features
    whose geometry is not a Point (or is missing) are rejected as malformed;
    features with a null geometry keep empty coordinates (to be geocoded).
    """
    path = Path(path)
    try:
        text, encoding = decode(path.read_bytes(), path)
        collection = json.loads(text)
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InputFileError(msg) from exc
    except json.JSONDecodeError as exc:
        msg = f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}"
        raise InputFileError(msg) from exc
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        msg = f"{path} is not a GeoJSON FeatureCollection"
        raise InputFileError(msg)
    records, malformed = [], []
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        row = {k: "" if v is None else str(v) for k, v in (properties or {}).items()}
        row["line_no"] = number
        if geometry is None:
            row[LON] = row[LAT] = ""
        elif (isinstance(geometry, dict) and geometry.get("type") == "Point"
              and isinstance(geometry.get("coordinates"), list) and len(geometry["coordinates"]) >= 2):
            row[LON], row[LAT] = (str(c) for c in geometry["coordinates"][:2])
        else:
            malformed.append({"line_no": number, "input_file": path.name,
                              "geometry": json.dumps(geometry)[:200]})
            continue
        records.append(row)
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame({"line_no": [], LON: [], LAT: []})
    columns = [c for c in frame.columns if c != "line_no"]
    frame[columns] = frame[columns].fillna("").astype("string")
    frame["input_file"] = path.name
    if malformed:
        bad = pd.DataFrame(malformed)
        rejects.add(bad, np.ones(len(bad), dtype=bool), "malformed_row", detail="geometry is not a Point",
                    source=source)
    return RawTable(frame=frame, columns=columns, encoding=encoding, rows_read=len(features))
