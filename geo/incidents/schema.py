"""The canonical incident table and the rejects table.

Every reader turns its source's rows into these columns; every stage after it
may only move rows from the incident table to the rejects, never drop them.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

def iso_dates(values: pd.Series) -> pd.Series:
    """``YYYY-MM-DD`` text (the canonical ``date``) as timestamps, NaT where
    missing or not such a date: what ``pd.to_datetime(values, format="%Y-%m-%d",
    errors="coerce")`` gives, by Arrow's date parser when every value is a
    canonical date (a million in 20 ms, not 300), else by pandas."""
    try:
        days = pc.cast(pa.array(values.astype("string").array), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # Arrow reads only YYYY-MM-DD; pandas reads the rest
        days = None
    if days is None or days.null_count == len(days):  # no date at all: pandas' unit (seconds), as pandas says
        return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    stamps = days.to_numpy(zero_copy_only=False).astype("datetime64[D]").astype("datetime64[us]")
    return pd.Series(stamps, index=values.index, name=values.name)


# Column → pandas dtype, in output order.
INCIDENT_COLUMNS: dict[str, str] = {
    "incident_id": "string",
    "source": "string",
    "source_id": "string",
    "date": "string",  # ISO 8601, YYYY-MM-DD (first day of the period when imprecise)
    "date_precision": "string",  # day | week | month | year
    "lat": "float64",
    "lon": "float64",
    "geo_precision": "Int8",  # 1 exact place, 2 tehsil/district level, 3 province level
    "place": "string",
    "source_admin1": "string",
    "source_admin2": "string",
    "place_parsed": "string",  # the parts of the place string the geocoder read (geo.placenames)
    "event_type": "string",
    "perpetrator": "string",  # only where the source names one (not for a two-sided clash)
    "sides": "string",  # the two sides of a clash as the source names them, "A – B" (UCDP side_a, side_b)
    "target_category": "string",  # civilians | security_forces | militants | mixed | unknown
    "killed": "Int32",
    "killed_civilians": "Int32",
    "killed_security": "Int32",
    "killed_militants": "Int32",
    "injured": "Int32",
    "notes": "string",
    "geocode_method": "string",  # source_coordinates | gazetteer | admin_centroid
    "geocode_score": "float64",
    "coordinates_fixed": "string",  # e.g. "swapped" when lat/lon were exchanged
    "synthetic": "boolean",
    "input_file": "string",
    "line_no": "Int64",
}
TARGET_CATEGORIES = ("civilians", "security_forces", "militants", "mixed", "unknown")
DATE_PRECISIONS = ("day", "week", "month", "year")

# Reasons a row can be rejected, with what they mean (documented in the README).
REJECT_REASONS: dict[str, str] = {
    "empty_row": "the row has no values",
    "malformed_row": "the row has more or fewer fields than the header (or a GeoJSON feature that is not "
                     "an object with a Point geometry and an object of properties)",
    "hxl_tag_row": "a row of #hashtag (HXL) tags under the header, not an incident",
    "unparseable_date": "no valid date could be read",
    "implausible_date": "a date after today or before the earliest year (settings: earliest_year)",
    "bad_number": "a count or coordinate is not a number (or is negative)",
    "coordinates_out_of_range": "latitude outside ±90 or longitude outside ±180",
    "zero_coordinates": "latitude and longitude are both 0",
    "missing_location": "no coordinates and no place name",
    "duplicate_id": "the source id was already seen in this run",
    "unknown_place": "the place name is not in the gazetteer",
    "ambiguous_place": "the place name fits several gazetteer entries",
}
REJECT_COLUMNS = ("input_file", "line_no", "source", "reason", "detail", "original")


def has_synthetic(frame: pd.DataFrame) -> bool:
    """Whether any row of an incident table is SYNTHETIC (outputs must say so)."""
    return bool(frame["synthetic"].fillna(False).any())


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give ``frame`` exactly the canonical columns, in order, with their dtypes.

    Missing columns become empty; extra columns are an error (a reader bug).
    """
    extra = set(frame.columns) - set(INCIDENT_COLUMNS)
    if extra:
        msg = f"not canonical incident columns: {sorted(extra)}"
        raise ValueError(msg)
    out = pd.DataFrame(index=frame.index)
    for column, dtype in INCIDENT_COLUMNS.items():
        values = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index, dtype="object")
        if dtype == "float64":
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif dtype in ("Int8", "Int32", "Int64"):
            out[column] = pd.to_numeric(values, errors="coerce").astype(dtype)
        else:
            out[column] = values.astype(dtype)
    return out


@dataclasses.dataclass
class Rejects:
    """Accumulates rejected rows: where they came from, why, and their values."""

    parts: list[pd.DataFrame] = dataclasses.field(default_factory=list)

    def add(self, raw: pd.DataFrame, mask: np.ndarray | pd.Series, reason: str,
            detail: pd.Series | str = "", source: str = "") -> None:
        """Record the rows of ``raw`` where ``mask`` holds (``raw`` keeps
        ``input_file`` and ``line_no`` next to the source's own columns)."""
        if reason not in REJECT_REASONS:
            msg = f"unknown reject reason {reason!r}"
            raise ValueError(msg)
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = raw.loc[mask]
        values = rows.drop(columns=["input_file", "line_no"], errors="ignore")
        originals = [json.dumps(r, ensure_ascii=False) for r in values.to_dict("records")]
        detail_values = detail[mask].astype(str).to_numpy() if isinstance(detail, pd.Series) else detail
        self.parts.append(pd.DataFrame({
            "input_file": rows["input_file"].to_numpy(),
            "line_no": rows["line_no"].to_numpy(),
            "source": source,
            "reason": reason,
            "detail": detail_values,
            "original": originals,
        }))

    def table(self) -> pd.DataFrame:
        """All rejects, ordered by input file and line."""
        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="string" if c != "line_no" else "Int64")
                                 for c in REJECT_COLUMNS})
        table = pd.concat(self.parts, ignore_index=True)
        table["line_no"] = table["line_no"].astype("Int64")
        return table.sort_values(["input_file", "line_no"], kind="stable", ignore_index=True)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)


@dataclasses.dataclass
class FileAccount:
    """What happened to the rows of one input file."""

    path: str
    format: str
    encoding: str
    read: int
    accepted: int = 0
    rejected: int = 0


@dataclasses.dataclass
class IngestResult:
    """The outcome of one ingest: incidents (one row per event), rejects, the
    account per file, and the reports the events were linked from (one row
    per accepted input row; :mod:`geo.linking`)."""

    incidents: pd.DataFrame
    rejects: pd.DataFrame
    files: list[FileAccount]
    timings_s: dict[str, float]
    reports: pd.DataFrame | None = None

    @property
    def counts_by_reason(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.rejects["reason"].value_counts().sort_index().items()}
