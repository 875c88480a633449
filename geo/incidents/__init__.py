"""Incidents: read every supported source format into one canonical table.

The readers (:mod:`~geo.incidents.csvtable`, :mod:`~geo.incidents.geojson`,
:mod:`~geo.incidents.readers`), how values are normalised
(:mod:`~geo.incidents.normalise`) and the canonical table and its rejects
(:mod:`~geo.incidents.schema`). The ingest sequence that geocodes, joins and
links what they read is :func:`geo.pipeline.ingest`.
"""

from __future__ import annotations

from pathlib import Path

from geo.config import IncidentMapping
from geo.incidents.csvtable import InputFileError, RawTable, read_csv_table
from geo.incidents.geojson import LAT, LON, read_geojson_table
from geo.incidents.normalise import DateFormatError, DateRules
from geo.incidents.readers import (
    FORMATS,
    Normalised,
    detect_format,
    missing_columns,
    normalise_plain,
    resolve_columns,
)
from geo.incidents.schema import FileAccount, IngestResult, Rejects

FORMAT_CHOICES = ("auto", *FORMATS, "csv")

__all__ = ["FORMAT_CHOICES", "FileAccount", "IngestResult", "InputFileError", "normalise_table", "read_table"]


def read_table(path: Path, rejects: Rejects) -> RawTable:
    """Read one input file (GeoJSON by its suffix, else delimited text).

    Raises
    ------
    InputFileError
        The path is missing, a directory, unreadable, empty or not a table.
    """
    if path.suffix.lower() in (".geojson", ".json"):
        return read_geojson_table(path, rejects)
    return read_csv_table(path, rejects)


def normalise_table(raw: RawTable, path: Path, fmt: str, mapping: IncidentMapping,
               rules: DateRules) -> tuple[str, Normalised]:
    """Canonical columns of one file in its detected (or given) format.

    Parameters
    ----------
    rules
        How dates are read (``--date-format``, ``Settings.earliest_year``).

    Raises
    ------
    InputFileError
        A format's core column, or a column named in the mapping, is missing,
        or the file's dates need a ``--date-format``.
    """
    chosen = detect_format(raw) if fmt == "auto" else fmt
    try:
        if chosen in FORMATS:
            missing = missing_columns(raw, chosen)
            if missing:
                msg = f"{path}: not a {chosen} file, missing the column(s) {', '.join(missing)}"
                raise InputFileError(msg)
            return chosen, FORMATS[chosen][1](raw, rules=rules)
        columns = resolve_columns(mapping.as_dict(), raw, path)
        if LON in raw.columns:  # GeoJSON points: coordinates from the geometry
            columns = {"lon": LON, "lat": LAT, **columns}
        return "csv", normalise_plain(raw, columns, mapping.source, mapping.synthetic, rules=rules)
    except DateFormatError as exc:
        msg = f"{path}: {exc}"
        raise InputFileError(msg) from exc
