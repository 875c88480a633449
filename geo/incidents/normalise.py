"""Shared steps that turn source strings into canonical values.

Each function is vectorised over a whole column and returns the parsed values
plus a mask of the rows it could not parse; the caller moves those rows to the
rejects with a reason. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.arrow_text import large_text


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

    ``6.0`` and ``1,234`` are counts; ``-1``, ``2.5`` and ``1,23`` are not.

    Returns the counts (``Int32``) and the mask of cells that are not counts.
    """
    text = values.astype("string").str.strip()
    # "1,234" as spreadsheets write thousands; "6.0" as pandas writes counts.
    grouped = text.str.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.0*)?").fillna(False).to_numpy(dtype=bool)
    if grouped.any():
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
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
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?)?"
_DATE_PATTERNS = (
    rf"^(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){_TIME}$",
    r"^(?P<d>\d{1,2})[ -](?P<b>[A-Za-z]{3,9})\.?,?[ -](?P<y>\d{4})$",  # 28 February 2025, 28-Feb-2025
    r"^(?P<d>\d{1,2})-(?P<b>[A-Za-z]{3,9})-(?P<yy>\d{2})$",  # 28-Feb-25
    r"^(?P<b>[A-Za-z]{3,9})\.? (?P<d>\d{1,2}),? (?P<y>\d{4})$",  # February 28, 2025
    rf"^(?P<y>\d{{4}})/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}}){_TIME}$",  # 2025/02/28
)
# Numeric dates with the year last (03/04/2025, 03.04.25): day-first or
# month-first, decided once per column from its values (see slashed_date_order).
# RE2 (Arrow's engine) has no back-references, so the separators are not tied.
_YEAR_LAST = r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?:\d{4}|\d{2})" + _TIME + "$"
_YEAR_LAST_PATTERNS = {
    "day-first": rf"^(?P<d>\d{{1,2}})[/.-](?P<m>\d{{1,2}})[/.-](?:(?P<y>\d{{4}})|(?P<yy>\d{{2}})){_TIME}$",
    "month-first": rf"^(?P<m>\d{{1,2}})[/.-](?P<d>\d{{1,2}})[/.-](?:(?P<y>\d{{4}})|(?P<yy>\d{{2}})){_TIME}$",
}
# strptime directives a --date-format may use, as regular expressions.
_FORMAT_DIRECTIVES = {
    "%Y": r"(?P<y>\d{4})", "%y": r"(?P<yy>\d{2})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})",
    "%b": r"(?P<b>[A-Za-z]{3,9})\.?", "%B": r"(?P<b>[A-Za-z]{3,9})", "%H": r"\d{1,2}", "%I": r"\d{1,2}",
    "%M": r"\d{2}", "%S": r"\d{2}", "%f": r"\d{1,9}", "%p": r"(?:AM|PM|am|pm)", "%z": r"(?:Z|[+-]\d{2}:?\d{2})",
    "%%": "%",
}
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
_MONTH_KEYS = pa.array([*_MONTH_NAMES, *(n[:3] for n in _MONTH_NAMES), "sept"])
_MONTH_NUMBERS = np.array([*range(1, 13), *range(1, 13), 9], dtype=np.int64)


class DateFormatError(ValueError):
    """A date column cannot be read without a ``--date-format``: its numeric
    dates could be day-first or month-first, or the given format is not usable.
    The reader turns it into an :class:`~geo.incidents.csvtable.InputFileError`
    naming the file."""


@dataclasses.dataclass(frozen=True)
class DateRules:
    """How dates are read in a run.

    Attributes
    ----------
    earliest_year
        Dates before 1 January of this year (or after today) are implausible.
    date_format
        A strptime-style format (``%d/%m/%Y``, ``%m/%d/%y %H:%M``…) tried before
        the built-in layouts, for files whose numeric dates are ambiguous; None
        decides day-first or month-first from each column's values.
    """

    earliest_year: int = 1900
    date_format: str | None = None


def date_format_pattern(date_format: str) -> str:
    """The regular expression (with the named groups of ``_DATE_PATTERNS``) of a
    strptime-style format.

    >>> import re; bool(re.match(date_format_pattern("%d/%m/%Y"), "03/04/2025"))
    True

    Raises
    ------
    DateFormatError
        The format uses a directive not listed in ``_FORMAT_DIRECTIVES``, or
        names no year, month and day.
    """
    pieces, position = [], 0
    for match in re.finditer(r"%.", date_format):
        pieces.append(re.escape(date_format[position:match.start()]))
        directive = match.group()
        if directive not in _FORMAT_DIRECTIVES:
            msg = (f"date format {date_format!r}: {directive} is not supported "
                   f"(use {' '.join(d for d in _FORMAT_DIRECTIVES if d != '%%')})")
            raise DateFormatError(msg)
        pieces.append(_FORMAT_DIRECTIVES[directive])
        position = match.end()
    pieces.append(re.escape(date_format[position:]))
    pattern = "^" + "".join(pieces) + "$"
    has = {name for name in ("y", "yy", "m", "b", "d") if f"(?P<{name}>" in pattern}
    if not (has & {"y", "yy"} and has & {"m", "b"} and "d" in has) or len(has & {"y", "yy"}) > 1:
        msg = f"date format {date_format!r} must name one year (%Y or %y), the month (%m, %b or %B) and the day (%d)"
        raise DateFormatError(msg)
    return pattern


def slashed_date_order(values: pd.Series, column: str) -> str | None:
    """Whether the column's numeric year-last dates (``03/04/2025``) are
    ``"day-first"`` or ``"month-first"``, judged from all its values at once.

    None when the column has no such dates, or when every one reads the same
    both ways (``05/05/2024``).

    Raises
    ------
    DateFormatError
        Some values fit only day-first and others only month-first, or none
        tells (every one could be either): ``--date-format`` must say.
    """
    found = pc.extract_regex(pa.array(values.astype("string").str.strip(), type=pa.large_string()), _YEAR_LAST)
    matched = np.asarray(found.is_valid(), dtype=bool)
    if not matched.any():
        return None
    a, b = _ints(found.field("a"))[matched], _ints(found.field("b"))[matched]
    day_first, month_first = bool((a > 12).any()), bool((b > 12).any())
    example = values.astype("string").str.strip()[matched]
    if day_first and month_first:
        msg = (f"column {column!r} mixes day-first dates ({example[a > 12].iloc[0]}) and month-first dates "
               f"({example[b > 12].iloc[0]}); give --date-format (e.g. %d/%m/%Y)")
        raise DateFormatError(msg)
    if day_first or month_first:
        return "day-first" if day_first else "month-first"
    if (a == b).all():
        return None
    msg = (f"column {column!r} has dates such as {example[a != b].iloc[0]} that read as day-first or month-first "
           "and no value tells which; give --date-format %d/%m/%Y (day first) or %m/%d/%Y (month first)")
    raise DateFormatError(msg)


def parse_dates(values: pd.Series, rules: DateRules = DateRules(),
                column: str = "date") -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """ISO dates (YYYY-MM-DD) from the first layout that reads each cell.

    Layouts: ``rules.date_format`` when given, then ``YYYY-MM-DD`` and
    ``YYYY/MM/DD`` (with or without a time part, which is dropped),
    ``28 February 2025``, ``28-Feb-2025``, ``28-Feb-25``, ``February 28, 2025``,
    and numeric dates with the year last (``03/04/2025``, ``3.4.25``), day-first
    or month-first as the column's values show (:func:`slashed_date_order`).
    Dates are read as calendar days, never as nanosecond timestamps, so no year
    overflows.

    Parameters
    ----------
    values
        The source column.
    rules
        The run's date format and earliest plausible year.
    column
        The column's name, for errors.

    Returns
    -------
    dates, bad, implausible
        The ISO strings (NA where unread); the mask of cells no layout reads (or
        that name no real day, e.g. 31 February); the mask of read dates after
        today or before ``rules.earliest_year``.

    Raises
    ------
    DateFormatError
        See :func:`slashed_date_order` and :func:`date_format_pattern`.
    """
    text = large_text(values.astype("string").str.strip())
    if not rules.date_format and (days := _plain_iso_days(text)) is not None:
        parsed = np.asarray(text.is_valid(), dtype=bool)
        return _iso(days, parsed, values.index), ~parsed, parsed & _implausible(days, rules.earliest_year)
    patterns = list(_DATE_PATTERNS)
    if rules.date_format:
        patterns.insert(0, date_format_pattern(rules.date_format))
    else:
        order = slashed_date_order(values, column)
        patterns.append(_YEAR_LAST_PATTERNS[order or "day-first"])
    n = len(text)
    y, m, d = (np.zeros(n, dtype=np.int64) for _ in range(3))
    present = np.asarray(pc.is_valid(text), dtype=bool) & (np.asarray(pc.utf8_length(text).fill_null(0)) > 0)
    todo = present.copy()
    for pattern in patterns:
        if not todo.any():
            break
        rows = np.flatnonzero(todo)
        found = pc.extract_regex(text.take(pa.array(rows)) if len(rows) < n else text, pattern)
        matched = np.asarray(found.is_valid(), dtype=bool)
        if not matched.any():
            continue
        names = {name for name in ("y", "yy", "m", "b", "d") if f"(?P<{name}>" in pattern}
        if "y" in names and "yy" in names:  # either a 4- or a 2-digit year
            four = _ints(found.field("y"))
            year = np.where(four > 0, four, _two_digit_year(_ints(found.field("yy"))))
        else:
            year = _ints(found.field("y")) if "y" in names else _two_digit_year(_ints(found.field("yy")))
        month = _ints(found.field("m")) if "m" in names else _month_number(found.field("b"))
        hit = rows[matched]
        y[hit], m[hit], d[hit] = year[matched], month[matched], _ints(found.field("d"))[matched]
        todo[hit] = False
    days, real = _calendar_days(y, m, d)
    parsed = present & ~todo & real
    return _iso(days, parsed, values.index), ~parsed, parsed & _implausible(days, rules.earliest_year)


def _plain_iso_days(text: pa.Array) -> np.ndarray | None:
    """The days of a column whose every cell is a real ``YYYY-MM-DD`` day or
    missing (as most exports write dates), read by Arrow's date parser (a
    million cells in 30 ms); None when any cell is anything else, for the
    patterns of :func:`parse_dates`, which read these cells the same way."""
    try:
        days = pc.cast(text, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return days.to_numpy(zero_copy_only=False).astype("datetime64[D]")


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
