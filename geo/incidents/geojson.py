"""Read a GeoJSON FeatureCollection of points into the same string table as a CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from geo.incidents.csvtable import InputFileError, RawTable, decode, read_bytes
from geo.incidents.schema import Rejects

LON, LAT = "__lon", "__lat"  # coordinate columns taken from point geometries


def read_geojson_table(path: Path, rejects: Rejects, source: str = "") -> RawTable:
    """Properties of each feature as strings, plus ``__lon``/``__lat`` from its Point.

    ``line_no`` is the feature's 1-based position in the collection. Features
    that are not objects, whose ``properties`` is not an object (or null), or
    whose geometry is not a Point are rejected as malformed; features with a
    null geometry keep empty coordinates (to be geocoded). Property values that
    are objects or lists are kept as their JSON text.

    Raises
    ------
    InputFileError
        The file cannot be read, is not JSON (or is nested too deeply to read),
        or is not a FeatureCollection.
    """
    path = Path(path)
    text, encoding = decode(read_bytes(path), path)
    try:
        collection = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}"
        raise InputFileError(msg) from exc
    except RecursionError as exc:
        msg = f"{path} is not valid JSON / too deeply nested to read"
        raise InputFileError(msg) from exc
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        msg = f"{path} is not valid JSON: {exc}"
        raise InputFileError(msg) from exc
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        msg = f"{path} is not a GeoJSON FeatureCollection"
        raise InputFileError(msg)
    try:
        records, malformed = _rows(features)
    except RecursionError as exc:  # a property nested deeper than json.dumps can write
        msg = f"{path} is not valid JSON / too deeply nested to read"
        raise InputFileError(msg) from exc
    frame = pd.DataFrame.from_records(records) if records else pd.DataFrame({"line_no": [], LON: [], LAT: []})
    columns = [c for c in frame.columns if c != "line_no"]
    frame[columns] = frame[columns].fillna("").astype("string")
    frame["input_file"] = path.name
    for detail, rows in malformed.items():
        bad = pd.DataFrame.from_records(rows).fillna("")
        bad["input_file"] = path.name
        rejects.add(bad, np.ones(len(bad), dtype=bool), "malformed_row", detail=detail, source=source)
    return RawTable(frame=frame, columns=columns, encoding=encoding, rows_read=len(features))


def _rows(features: list) -> tuple[list[dict], dict[str, list[dict]]]:
    """One record of strings per usable feature, and the malformed ones by detail."""
    records: list[dict] = []
    malformed: dict[str, list[dict]] = {}
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            detail = f"feature is {_kind(feature)}, not an object"
            malformed.setdefault(detail, []).append({"line_no": number, "feature": _json(feature)[:200]})
            continue
        properties = feature.get("properties")
        if properties is not None and not isinstance(properties, dict):
            detail = f"properties is {_kind(properties)}, not an object"
            malformed.setdefault(detail, []).append({"line_no": number, "feature": _json(feature)[:200]})
            continue
        row = {str(k): _cell(v) for k, v in (properties or {}).items()}
        geometry = feature.get("geometry")
        if geometry is None:
            row[LON] = row[LAT] = ""
        elif (isinstance(geometry, dict) and geometry.get("type") == "Point"
              and isinstance(geometry.get("coordinates"), list) and len(geometry["coordinates"]) >= 2):
            row[LON], row[LAT] = (_cell(c) for c in geometry["coordinates"][:2])
        else:
            row["geometry"] = _json(geometry)[:200]
            malformed.setdefault("geometry is not a Point", []).append({**row, "line_no": number})
            continue
        row["line_no"] = number  # after the properties: a property of that name cannot displace it
        records.append(row)
    return records, malformed


def _cell(value: object) -> str:
    """A property value as text: null → "", objects and lists → their JSON."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return _json(value)
    return str(value)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _kind(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
