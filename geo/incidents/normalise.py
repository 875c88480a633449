"""Shared steps that turn source strings into canonical values.

Each function is vectorised over a whole column and returns the parsed values
plus a mask of the rows it could not parse; the caller moves those rows to the
rejects with a reason. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import datetime

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


# Date layouts read, in order; each is a regular expression with named groups:
# y (4-digit year), yy (2-digit year), m (month number), b (month name), d (day).
# ISO dates may carry a time part (UCDP writes "1990-10-04 00:00:00.000"): the day is kept.
_DATE_PATTERNS = (
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?)?$",
    r"^(?P<d>\d{1,2})[ -](?P<b>[A-Za-z]{3,9})\.?,?[ -](?P<y>\d{4})$",  # 28 February 2025, 28-Feb-2025
    r"^(?P<d>\d{1,2})-(?P<b>[A-Za-z]{3,9})-(?P<yy>\d{2})$",  # 28-Feb-25
    r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$",  # 28/02/2025 (day first)
    r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$",  # 2025/02/28
)
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_MONTH_KEYS = pa.array([*_MONTH_NAMES, *(n[:3] for n in _MONTH_NAMES), "sept"])
_MONTH_NUMBERS = np.array([*range(1, 13), *range(1, 13), 9], dtype=np.int64)


def parse_dates(values: pd.Series, earliest_year: int = 1900) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """ISO dates (YYYY-MM-DD) from the first layout that reads each cell.

    Layouts: ``YYYY-MM-DD`` (with or without a time part, which is dropped),
    ``28 February 2025``, ``28-Feb-2025``, ``28-Feb-25``, ``28/02/2025`` and
    ``2025/02/28``. Dates are read as calendar days, never as nanosecond
    timestamps, so no year overflows.

    Parameters
    ----------
    values
        The source column.
    earliest_year
        Dates before 1 January of this year are implausible.

    Returns
    -------
    dates, bad, implausible
        The ISO strings (NA where unread); the mask of cells no layout reads (or
        that name no real day, e.g. 31 February); the mask of read dates after
        today or before ``earliest_year``.
    """
    text = pa.array(values.astype("string").str.strip(), type=pa.large_string())
    if isinstance(text, pa.ChunkedArray):  # big columns read by Arrow come in chunks
        text = text.combine_chunks()
    n = len(text)
    y, m, d = (np.zeros(n, dtype=np.int64) for _ in range(3))
    present = np.asarray(pc.is_valid(text), dtype=bool) & (np.asarray(pc.utf8_length(text).fill_null(0)) > 0)
    todo = present.copy()
    for pattern in _DATE_PATTERNS:
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        found = pc.extract_regex(text.take(pa.array(rows)) if len(rows) < n else text, pattern)
        matched = np.asarray(found.is_valid(), dtype=bool)
        if not matched.any():
            continue
        parts = {name: found.field(name) for name in ("y", "yy", "m", "b", "d") if f"(?P<{name}>" in pattern}
        year = _ints(parts["y"]) if "y" in parts else _two_digit_year(_ints(parts["yy"]))
        month = _ints(parts["m"]) if "m" in parts else _month_number(parts["b"])
        hit = rows[matched]
        y[hit], m[hit], d[hit] = year[matched], month[matched], _ints(parts["d"])[matched]
        todo[hit] = False
    days, real = _calendar_days(y, m, d)
    parsed = present & ~todo & real
    return _iso(days, parsed, values.index), ~parsed, parsed & _implausible(days, earliest_year)


def _ints(digits: pa.Array) -> np.ndarray:
    """Integers from strings of digits ("" where a pattern did not match → 0)."""
    filled = pc.if_else(pc.equal(digits, ""), "0", digits)
    return np.asarray(pc.cast(filled, pa.int64()), dtype=np.int64)


def _two_digit_year(yy: np.ndarray) -> np.ndarray:
    # As strptime's %y: 69-99 → 1969-1999, 00-68 → 2000-2068.
    return np.where(yy >= 69, 1900 + yy, 2000 + yy)


def _month_number(names: pa.Array) -> np.ndarray:
    position = pc.index_in(pc.utf8_lower(names), value_set=_MONTH_KEYS).fill_null(-1)
    position = np.asarray(position, dtype=np.int64)
    return np.where(position >= 0, _MONTH_NUMBERS[position.clip(0)], 0)


def _calendar_days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``datetime64[D]`` days from year, month, day, and the mask of real days
    (datetime64[D] spans far more than any 6-digit year, unlike datetime64[ns])."""
    real = (y >= 0) & (y <= 999_999) & (m >= 1) & (m <= 12) & (d >= 1)
    y, m, d = np.where(real, y, 1970), np.where(real, m, 1), np.where(real, d, 1)
    month = ((y - 1970) * 12 + (m - 1)).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    real &= d <= length
    return first + (np.where(real, d, 1) - 1).astype("timedelta64[D]"), real


def _implausible(days: np.ndarray, earliest_year: int) -> np.ndarray:
    """After today, or before 1 January of ``earliest_year``."""
    today = np.datetime64(datetime.date.today(), "D")
    earliest = np.datetime64(f"{earliest_year:04d}-01-01", "D")
    return (days > today) | (days < earliest)


def _iso(days: np.ndarray, valid: np.ndarray, index: pd.Index) -> pd.Series:
    # Arrow writes date32 as YYYY-MM-DD, many times faster than numpy or strftime.
    text = pc.cast(pa.array(days, mask=~valid), pa.string())
    return pd.Series(pd.array(text, dtype=pd.StringDtype()), index=index)


def dates_from_parts(year: pd.Series, month: pd.Series, day: pd.Series,
                     earliest_year: int = 1900) -> tuple[pd.Series, pd.Series, np.ndarray, np.ndarray]:
    """ISO dates from year, month, day columns where 0 or empty means unknown.

    An unknown day gives the first of the month (precision "month"); an unknown
    month the first of January (precision "year").

    Returns
    -------
    dates, precisions, bad, implausible
        ``bad`` masks rows with no valid date; ``implausible`` rows whose date is
        after today or before 1 January of ``earliest_year``.
    """
    y, y_bad = parse_count(year)
    m, m_bad = parse_count(month)
    d, d_bad = parse_count(day)
    m = m.fillna(0).to_numpy(dtype=np.int64)
    d = d.fillna(0).to_numpy(dtype=np.int64)
    precision = pd.Series(np.where(m == 0, "year", np.where(d == 0, "month", "day")), index=year.index,
                          dtype="string")
    days, real = _calendar_days(y.fillna(-1).to_numpy(dtype=np.int64), np.where(m > 0, m, 1),
                                np.where((d > 0) & (m > 0), d, 1))
    bad = y_bad | m_bad | d_bad | ~real
    return _iso(days, ~bad, year.index), precision, bad, ~bad & _implausible(days, earliest_year)


def first_error(masks: dict[str, np.ndarray], n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """For rows failing one or more checks, the first reason in ``masks`` order.

    Returns ``(any_failed, reason_per_row)`` with "" where nothing failed.
    """
    reason = np.full(n_rows, "", dtype=object)
    for name, mask in masks.items():
        reason[(reason == "") & mask] = name
    return reason != "", reason
