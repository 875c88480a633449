"""The period a brief covers and the period it is compared with."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from geo._errors import GeoError
from geo.metrics.units import PERIOD_YEARS, incident_dates


class ReportPeriodError(GeoError, ValueError):
    """A brief's period or comparison period cannot be understood."""


FIRST_YEAR, LAST_YEAR = PERIOD_YEARS


def _within_years(period: Period, what: str) -> Period:
    if period.start.year < FIRST_YEAR or period.end.year > LAST_YEAR:
        msg = (f"the {what} {period.start.date()} to {period.end.date()} goes outside the years "
               f"{FIRST_YEAR}-{LAST_YEAR} a brief can cover")
        raise ReportPeriodError(msg)
    return period


@dataclasses.dataclass(frozen=True)
class Period:
    """First and last day (inclusive) of a period."""

    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def whole_months(self) -> bool:
        """True when the period starts on a 1st and ends on a month's last day."""
        return self.start.day == 1 and self.end == self.end + pd.offsets.MonthEnd(0)

    @property
    def months(self) -> int:
        """Calendar months the period touches."""
        return len(pd.period_range(self.start, self.end, freq="M"))

    @property
    def label(self) -> str:
        """``February 2025``, ``April 2024 – March 2025`` or ``2024-01-05 – 2024-02-10``."""
        if self.whole_months and self.months == 1:
            return f"{self.start:%B %Y}"
        if self.whole_months:
            return f"{self.start:%B %Y} – {self.end:%B %Y}"
        return f"{self.start.date()} – {self.end.date()}"

    def as_tuple(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.start, self.end


def month_period(month: str) -> Period:
    """The calendar month ``YYYY-MM``."""
    if not re.fullmatch(r"\d{4}-\d{2}", month or ""):
        msg = f"--month must be YYYY-MM, got {month!r}"
        raise ReportPeriodError(msg)
    try:
        first = pd.Period(month, freq="M")
    except ValueError as exc:
        msg = f"--month must be YYYY-MM, got {month!r}"
        raise ReportPeriodError(msg) from exc
    if not FIRST_YEAR <= first.year <= LAST_YEAR:
        msg = f"--month {month} is outside the years {FIRST_YEAR}-{LAST_YEAR} a brief can cover"
        raise ReportPeriodError(msg)
    return Period(first.to_timestamp(how="start"), first.to_timestamp(how="end").normalize())


def make_period(start: object, end: object, what: str = "period") -> Period:
    """A period from two dates; the start must not be after the end."""
    try:
        first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    except (ValueError, TypeError) as exc:
        msg = f"the {what} needs two dates YYYY-MM-DD, got {start!r} and {end!r}"
        raise ReportPeriodError(msg) from exc
    if first > last:
        msg = f"the {what} starts {first.date()}, after its end {last.date()}"
        raise ReportPeriodError(msg)
    return _within_years(Period(first, last), what)


def previous_period(period: Period) -> Period:
    """The period of equal length just before: as many whole months before a
    period of whole months, as many days before any other."""
    if period.whole_months:
        first = period.start.to_period("M") - period.months
        return Period(first.to_timestamp(how="start"), period.start - pd.Timedelta(days=1))
    days = (period.end - period.start).days + 1
    return Period(period.start - pd.Timedelta(days=days), period.start - pd.Timedelta(days=1))


def comparison_period(period: Period, compare_to: str | None) -> Period:
    """``previous`` (or None): :func:`previous_period`; ``START..END``: those dates."""
    if compare_to in (None, "", "previous"):
        return previous_period(period)
    start, sep, end = compare_to.partition("..")
    if (
        not sep
        or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", start)
        or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", end)
    ):
        msg = f"--compare-to must be previous or START..END (YYYY-MM-DD..YYYY-MM-DD), got {compare_to!r}"
        raise ReportPeriodError(msg)
    return make_period(start, end, "comparison period")


def last_months(period: Period, months: int = 12) -> Period:
    """The ``months`` calendar months ending with the period's last month."""
    last = period.end.to_period("M")
    return Period((last - (months - 1)).to_timestamp(how="start"), last.to_timestamp(how="end").normalize())


def study_period_incidents(incidents: pd.DataFrame, period: Period,
                           columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Incidents dated within ``period`` and inside KP and Balochistan (what the
    summaries count); only ``columns`` of them (those ``incidents`` has) when
    given: a million incidents' forty-odd columns are not all copied for one count."""
    inside = incidents["in_study_area"].fillna(False).to_numpy(dtype=bool)
    placed = incidents["district_id"].notna().to_numpy(dtype=bool)
    chosen = inside & dated_within(incidents, period) & placed
    if columns is not None:
        incidents = incidents[[c for c in columns if c in incidents]]
    return incidents[chosen]


def dated_within(incidents: pd.DataFrame, period: Period) -> np.ndarray:
    """Whether each incident is dated within ``period`` (False when undated), from
    its parsed ``_date`` when it carries one (the brief parses a million dates once)."""
    dates = incident_dates(incidents)
    return ((dates >= period.start) & (dates <= period.end)).to_numpy(dtype=bool)  # NaT compares False
