"""Shared steps that turn source strings into canonical values.

Each function is vectorised over a whole column and returns the parsed values
plus a mask of the rows it could not parse; the caller moves those rows to the
rejects with a reason. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely


def _to_number(text: pd.Series, empty: pd.Series) -> pd.Series:
    """Numbers from strings; NaN where empty or not a number.

    Arrow's cast is fast but all-or-nothing, so clean columns (the usual case)
    take it and a column with any bad cell falls back to pandas.
    """
    arrow = pc.if_else(pa.array(empty.to_numpy(dtype=bool)), None, pa.array(text))
    try:
        return pd.Series(pc.cast(arrow, pa.float64()).to_numpy(zero_copy_only=False), index=text.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.to_numeric(text.where(~empty), errors="coerce").astype("float64")


def parse_count(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Whole non-negative numbers; empty cells are unknown (NA), not zero.

    Returns the counts (``Int32``) and the mask of cells that are not counts.
    """
    text = values.astype("string").str.strip()
    empty = (text.isna() | (text == "")).fillna(True)
    number = _to_number(text, empty)
    bad = (~empty & (number.isna() | (number < 0) | (number % 1 != 0) | (number > 1e6))).to_numpy(dtype=bool)
    counts = number.where(~pd.Series(bad, index=values.index)).round().astype("Int32")
    return counts, bad


def parse_coordinate(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Decimal degrees; empty cells are missing (NaN). Returns values and the mask
    of cells that are not numbers."""
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    empty = (text.isna() | (text == "")).fillna(True)
    number = _to_number(text, empty)
    bad = (~empty & number.isna()).to_numpy(dtype=bool)
    return number, bad


def check_coordinates(
    lat: pd.Series, lon: pd.Series, study_area: shapely.Geometry
) -> tuple[pd.Series, pd.Series, dict[str, np.ndarray]]:
    """Validate coordinate pairs and repair swapped ones.

    A pair is swapped when it falls outside the study area as given but inside
    it with latitude and longitude exchanged; it is fixed and flagged.

    Returns
    -------
    lat, lon (fixed), and masks ``out_of_range``, ``zero``, ``swapped``.
    """
    present = (lat.notna() & lon.notna()).to_numpy()
    la, lo = lat.to_numpy(dtype=float, na_value=np.nan), lon.to_numpy(dtype=float, na_value=np.nan)
    zero = present & (la == 0) & (lo == 0)
    shapely.prepare(study_area)
    inside = np.zeros(len(la), dtype=bool)
    inside_swapped = np.zeros(len(la), dtype=bool)
    inside[present] = shapely.contains_xy(study_area, lo[present], la[present])
    inside_swapped[present] = shapely.contains_xy(study_area, la[present], lo[present])
    swapped = present & ~inside & inside_swapped
    fixed_lat = np.where(swapped, lo, la)
    fixed_lon = np.where(swapped, la, lo)
    out_of_range = present & ~swapped & ((np.abs(fixed_lat) > 90) | (np.abs(fixed_lon) > 180))
    return (pd.Series(fixed_lat, index=lat.index), pd.Series(fixed_lon, index=lon.index),
            {"out_of_range": out_of_range, "zero": zero, "swapped": swapped})


def parse_dates(values: pd.Series, formats: tuple[str, ...] = ("%Y-%m-%d", "%d %B %Y", "%d-%b-%y",
                                                                   "%d/%m/%Y", "%Y/%m/%d")) -> tuple[pd.Series, np.ndarray]:
    """ISO dates (YYYY-MM-DD) from the first format that reads each cell.

    Returns the ISO strings and the mask of cells no format reads.
    """
    text = values.astype("string").str.strip()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & text.notna() & (text != "")
        if not todo.any():
            break
        parsed.loc[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    return parsed.dt.strftime("%Y-%m-%d").astype("string"), bad


def dates_from_parts(year: pd.Series, month: pd.Series, day: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """ISO dates from year, month, day columns where 0 or empty means unknown.

    An unknown day gives the first of the month (precision "month"); an unknown
    month the first of January (precision "year").

    Returns dates, precisions and the mask of rows with no valid date.
    """
    y, y_bad = parse_count(year)
    m, m_bad = parse_count(month)
    d, d_bad = parse_count(day)
    m = m.fillna(0)
    d = d.fillna(0)
    precision = pd.Series(np.where(m == 0, "year", np.where(d == 0, "month", "day")), index=year.index,
                          dtype="string")
    parts = pd.DataFrame({"year": y, "month": m.where(m > 0, 1), "day": d.where((d > 0) & (m > 0), 1)})
    stamp = pd.to_datetime(parts.astype("float64"), errors="coerce")
    bad = y_bad | m_bad | d_bad | y.isna().to_numpy() | stamp.isna().to_numpy()
    return stamp.dt.strftime("%Y-%m-%d").astype("string"), precision, bad


def first_error(masks: dict[str, np.ndarray], n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows failing one or more checks, the first reason in ``masks`` order.

    Returns ``(any_failed, reason_per_row)`` with "" where nothing failed.
    """
    reason = np.full(n_rows, "", dtype=object)
    for name, mask in masks.items():
        reason[(reason == "") & mask] = name
    return reason != "", reason
