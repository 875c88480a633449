"""Per-unit counts, rates and trends of incidents, and the monthly table by province.

Counts cover a period (by default the last 12 months present in the data).
Units with no incident are kept, with zeros. Rates are per 1,000 km² of the
unit's geodesic area. The trend compares the monthly rate of the last 3 months
of the period with that of the months before (9 in a 12-month period), and
keeps the counts behind it.

Every function here accepts an empty incident table (no incident, none in the
period, none inside a unit) and returns zeros, not an error; only choosing a
period from the data needs at least one dated incident.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo._errors import NoIncidentsError
from geo.incidents.schema import iso_dates

COUNT_COLUMNS = ("killed", "killed_civilians", "killed_security", "killed_militants", "injured")
RECENT_MONTHS = 3


def parse_dates(dates: pd.Series) -> pd.Series:
    """The canonical ISO dates as timestamps (NaT where missing)."""
    return iso_dates(dates)


def incident_dates(incidents: pd.DataFrame) -> pd.Series:
    """The incidents' dates as timestamps: their ``_date`` when an earlier step
    parsed them (:func:`in_period`), else parsed here (NaT where missing)."""
    return incidents["_date"] if "_date" in incidents else parse_dates(incidents["date"])


def default_period(dates: pd.Series, months: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last ``months`` whole months that end with the latest incident's month.

    Raises
    ------
    NoIncidentsError
        When no incident has a date (nothing to anchor the period on).
    """
    latest = parse_dates(dates).max()
    if pd.isna(latest):
        msg = "no dated incidents, so no period to measure: give --start and --end"
        raise NoIncidentsError(msg)
    end = latest.to_period("M").to_timestamp(how="end").normalize()
    start = (latest.to_period("M") - (months - 1)).to_timestamp(how="start")
    return start, end


def resolve_period(dates: pd.Series, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                   months: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period measured: ``start``/``end`` where given; a missing end is the
    end of the latest month in the data, a missing start ``months`` before the end.

    Raises
    ------
    NoIncidentsError
        When the period has to be derived from the data and no incident is
        dated, or when ``start`` falls after the latest incident's month.
    """
    if start is None and end is None:
        return default_period(dates, months)
    if end is None:
        end = default_period(dates, months)[1]
        if start is not None and pd.Timestamp(start) > end:
            msg = (f"no dated incidents on or after --start {pd.Timestamp(start).date()} "
                   f"(the data end in {end:%Y-%m}): give --end too")
            raise NoIncidentsError(msg)
    if start is None:
        start = (pd.Timestamp(end).to_period("M") - (months - 1)).to_timestamp(how="start")
    return pd.Timestamp(start), pd.Timestamp(end)


# The years a period (--start/--end, a brief's periods) may touch: incidents before
# earliest_year (1900 by default) or after today are rejected at ingest, and a period
# of centuries would cost gigabytes of monthly series (units x months).
PERIOD_YEARS = (1900, 2100)


def within_period(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Whether each ISO date lies within [start, end] (False when missing): the
    ``in_period`` column of a run's incidents."""
    parsed = parse_dates(dates)
    inside = (parsed >= pd.Timestamp(start)) & (parsed <= pd.Timestamp(end))
    return pd.Series(inside.to_numpy(dtype=bool), index=dates.index, dtype="boolean", name="in_period")


def period_flags(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """The incidents' ``in_period`` column when they carry one (a run's do,
    computed once), else :func:`within_period` of their dates."""
    if "in_period" in incidents:
        return incidents["in_period"]
    return within_period(incidents["date"], start, end)


def period_incidents(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The incidents the period's measures count: dated within [start, end] and
    inside the study area (KP and Balochistan)."""
    return incidents[period_mask(incidents, start, end)]


def period_mask(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Which rows :func:`period_incidents` keeps."""
    inside = incidents["in_study_area"].fillna(False).to_numpy(dtype=bool)
    dated = period_flags(incidents, start, end).fillna(False).to_numpy(dtype=bool)
    return inside & dated


def in_period(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The incidents dated within [start, end], with their dates parsed in ``_date``.

    Incidents that already carry ``_date`` (an earlier result of this function,
    as every measure of :func:`geo.metrics.layers.unit_layers` receives) are not
    parsed again: a second of a million-incident run per call; when they all
    lie within the period they are returned as they are, not copied.
    """
    dates = incident_dates(incidents)
    inside = ((dates >= start) & (dates <= end)).to_numpy()
    if "_date" in incidents and inside.all():
        return incidents  # already chosen (every caller filters or copies before it changes a column)
    chosen = incidents[inside].copy()
    chosen["_date"] = dates[inside].to_numpy()
    return chosen


def trend_months(start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, int]:
    """Months (calendar months touched by the period) in the recent part of the
    trend (the last 3, or fewer in a shorter period) and in its base (the rest:
    9 in a 12-month period, 0 when the period has 3 months or fewer)."""
    n = len(pd.period_range(start, end, freq="M"))
    recent = min(RECENT_MONTHS, n)
    return recent, n - recent


def empirical_bayes(counts: np.ndarray, areas_1000_km2: np.ndarray) -> np.ndarray:
    """Empirical-Bayes rates per 1,000 km²; all 0 when there are no events at
    all (the overall rate is 0, the formula would divide 0 by 0).

    The global (aspatial) estimator of esda's ``smoothing.Empirical_Bayes``
    (Marshall 1991), written out step for step as esda computes it (the same
    floating-point operations, so the same rates): importing esda, and with it
    libpysal, cost about a second per run.
    """
    counts = np.asarray(counts, dtype=float)
    if len(counts) == 0 or counts.sum() == 0:
        return np.zeros(len(counts))
    e = counts.reshape(-1, 1)
    b = np.asarray(areas_1000_km2, dtype=float).reshape(-1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_mean = e.sum() / b.sum()
        rate = e / b
        r_variat = rate - r_mean
        r_var = (b * r_variat * r_variat).sum() / b.sum() - r_mean / b.mean()
        weight = r_var / (r_var + r_mean / b)
        smoothed = weight * rate + (1.0 - weight) * r_mean
    return smoothed.ravel()


def unit_summary(incidents: pd.DataFrame, units: pd.DataFrame, id_column: str,
                 start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Counts, rates per 1,000 km² and the 3-against-9-month trend per unit.

    ``units`` needs ``id_column`` and ``area_km2``; incidents need ``date``,
    ``id_column`` and the count columns. ``incidents_prev_9m`` counts the months
    before the last 3 (see :func:`trend_months`); ``trend_ratio`` is the ratio
    of the two monthly rates, NaN where there is no base (no incident in the
    months before, or no months before: a period of 3 months or fewer).
    """
    chosen = in_period(incidents, start, end)
    chosen = chosen.loc[chosen[id_column].notna().to_numpy(dtype=bool), [id_column, "_date", *COUNT_COLUMNS]]
    grouped = chosen.groupby(id_column, observed=True)
    table = pd.DataFrame({"incidents": grouped.size()})
    for column in COUNT_COLUMNS:
        table[column] = grouped[column].sum(min_count=1).fillna(0).astype("int64")
    split = pd.Timestamp(end).to_period("M") - (RECENT_MONTHS - 1)  # first of the last 3 months
    recent = chosen["_date"] >= split.to_timestamp(how="start")
    table["incidents_last_3m"] = chosen[recent].groupby(id_column, observed=True).size()
    table["incidents_prev_9m"] = chosen[~recent].groupby(id_column, observed=True).size()

    out = units[[id_column, "area_km2"]].merge(table, left_on=id_column, right_index=True, how="left")
    count_like = ["incidents", *COUNT_COLUMNS, "incidents_last_3m", "incidents_prev_9m"]
    out[count_like] = out[count_like].fillna(0).astype("int64")
    per_1000 = 1000.0 / out["area_km2"]
    out["incidents_per_1000_km2"] = (out["incidents"] * per_1000).round(4)
    out["killed_per_1000_km2"] = (out["killed"] * per_1000).round(4)
    # Empirical-Bayes rates (esda): small or empty units are pulled towards the
    # overall rate instead of swinging to 0 or to extremes.
    for count, column in (("incidents", "eb_incidents_per_1000_km2"), ("killed", "eb_killed_per_1000_km2")):
        out[column] = np.round(empirical_bayes(out[count].to_numpy(), out["area_km2"].to_numpy() / 1000.0), 4)
    recent_months, base_months = trend_months(start, end)
    monthly_recent = out["incidents_last_3m"] / recent_months
    monthly_before = out["incidents_prev_9m"] / base_months if base_months else out["incidents_prev_9m"] * np.nan
    out["trend_ratio"] = (monthly_recent / monthly_before.where(monthly_before > 0)).round(3)
    return out.sort_values(id_column, ignore_index=True)


DIFFUSION_CELL_KM = 10.0
DIFFUSION_EVENTS_PER_YEAR = 10


def diffusion(incidents: pd.DataFrame, units: pd.DataFrame, id_column: str, start: pd.Timestamp,
              end: pd.Timestamp, crs: str) -> pd.Series:
    """Share of a unit's 10 km × 10 km cells with at least 10 events a year
    (after ACLED's Conflict Index diffusion indicator).

    Cells belong to the unit their centre falls in; counts over the period are
    scaled to a year. Units too small to hold a cell centre get the share of
    the cell nearest to their interior point.
    """
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    cell = DIFFUSION_CELL_KM * 1000.0
    chosen = in_period(incidents, start, end)
    lon = chosen["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = chosen["lat"].to_numpy(dtype=float, na_value=np.nan)
    located = ~(np.isnan(lon) | np.isnan(lat))
    x, y = to_grid.transform(lon[located], lat[located])
    column = np.floor(np.asarray(x, dtype=float) / cell).astype(np.int64)
    row = np.floor(np.asarray(y, dtype=float) / cell).astype(np.int64)
    # cells as one integer each: a 1-D unique, not a row-wise one over a million points
    width = int(row.max() - row.min() + 1) if len(row) else 1
    low = (int(column.min()), int(row.min())) if len(row) else (0, 0)
    codes, counts = np.unique((column - low[0]) * width + (row - low[1]), return_counts=True)
    keys = np.column_stack([codes // width + low[0], codes % width + low[1]])
    years = max((end - start).days + 1, 1) / 365.25
    busy = {tuple(k) for k, c in zip(keys.astype(np.int64), counts, strict=True)
            if c / years >= DIFFUSION_EVENTS_PER_YEAR}
    geometries = shapely.transform(units.geometry.values, lambda c: np.column_stack(to_grid.transform(c[:, 0], c[:, 1])))
    shares = []
    for geometry in geometries:
        west, south, east, north = geometry.bounds
        cx = (np.arange(np.floor(west / cell), np.ceil(east / cell)) + 0.5) * cell
        cy = (np.arange(np.floor(south / cell), np.ceil(north / cell)) + 0.5) * cell
        gx, gy = np.meshgrid(cx, cy)
        inside = shapely.contains_xy(geometry, gx.ravel(), gy.ravel())
        if not inside.any():  # smaller than a cell: use the cell of its interior point
            point = shapely.point_on_surface(geometry)
            cells = [(int(np.floor(point.x / cell)), int(np.floor(point.y / cell)))]
        else:
            cells = list(zip(np.floor(gx.ravel()[inside] / cell).astype(int),
                             np.floor(gy.ravel()[inside] / cell).astype(int), strict=True))
        shares.append(round(sum(c in busy for c in cells) / len(cells), 4))
    return pd.Series(shares, index=units[id_column].to_numpy(), name="diffusion_share")


def month_text(dates: pd.Series) -> pd.Series:
    """``YYYY-MM`` of each timestamp (NA for NaT), as ``dates.dt.to_period("M")``
    writes it: each distinct month formatted once, not every row (1M rows: 0.3 s)."""
    months = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    position, distinct = pd.factorize(months.view("int64"))  # NaT is one more integer here
    distinct = distinct.astype("int64").view("datetime64[M]")
    text = pd.array(np.datetime_as_string(distinct, unit="M"), dtype="string")
    text[np.isnat(distinct)] = pd.NA
    return pd.Series(text.take(position), index=dates.index, dtype="string", name=dates.name)


def monthly_by_unit(incidents: pd.DataFrame, units: pd.DataFrame, id_column: str,
                    start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The monthly series of each unit over the period (long table, zeros kept)."""
    frame = in_period(incidents, start, end)
    frame = frame.loc[frame[id_column].notna().to_numpy(dtype=bool), [id_column, "_date", *COUNT_COLUMNS]].copy()
    frame["month"] = month_text(frame["_date"])
    grouped = frame.groupby([id_column, "month"], observed=True)
    table = pd.DataFrame({"incidents": grouped.size()})
    for column in COUNT_COLUMNS:
        table[column] = grouped[column].sum(min_count=1).fillna(0).astype("int64")
    months = pd.period_range(start, end, freq="M").astype("string")
    full = pd.MultiIndex.from_product([units[id_column].to_numpy(), months], names=[id_column, "month"])
    return table.reindex(full, fill_value=0).reset_index()


def monthly_by_province(incidents: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                        provinces: Sequence[str]) -> pd.DataFrame:
    """Killed per province and month of the period, by victim category, as
    monthly security reports publish them.

    Parameters
    ----------
    incidents
        Incidents with ``date``, ``province`` and the count columns.
    start, end
        The period: every calendar month it touches gets a row per province.
    provinces
        The provinces listed (the study area's); incidents in any other
        province (an Afghan one, say) are left out.

    Returns
    -------
    pandas.DataFrame
        ``province``, ``month`` (``YYYY-MM``), ``incidents`` and the count
        columns; every province (by name) × month, zeros where nothing happened.
    """
    frame = in_period(incidents, start, end)
    frame = frame.loc[frame["province"].isin(list(provinces)).fillna(False).to_numpy(dtype=bool),
                      ["province", "_date", *COUNT_COLUMNS]].copy()
    frame["month"] = month_text(frame["_date"])
    grouped = frame.groupby(["province", "month"], observed=True)
    table = pd.DataFrame({"incidents": grouped.size()})
    for column in COUNT_COLUMNS:
        table[column] = grouped[column].sum(min_count=1).fillna(0).astype("int64")
    months = pd.period_range(start, end, freq="M").astype("string")
    full = pd.MultiIndex.from_product([sorted(provinces), months], names=["province", "month"])
    out = table.reindex(full, fill_value=0).reset_index()
    out["province"] = out["province"].astype("string")
    out["month"] = out["month"].astype("string")
    return out.astype({"incidents": "int64", **dict.fromkeys(COUNT_COLUMNS, "int64")})


def monthly_actor_groups(incidents: pd.DataFrame) -> pd.DataFrame:
    """Events and killed (in all and by victim category) per actor group and
    month, with the group's family (``geo run``: the events of the period,
    ``in_period``; ``geo ingest``: all); months without an event of a group
    are left out. Unknown counts count as 0 in the sums; ``events_killed_unknown``
    says how many events gave no figure."""
    columns = ["actor_group", "actor_family", "month", "events", "events_killed_unknown", "killed",
               "killed_civilians", "killed_security", "killed_militants"]
    empty = pd.DataFrame({c: pd.Series(dtype="string" if c in columns[:3] else "Int64") for c in columns})
    if "actor_group" not in incidents:
        return empty
    # the columns counted, before the rows are chosen: a million rows of fifty columns are not copied
    incidents = incidents[["date", "actor_group", "actor_family", *columns[-4:],
                           *(["in_period"] if "in_period" in incidents else [])]]
    if "in_period" in incidents:  # geo run: the period measured, as every period output
        incidents = incidents.loc[incidents["in_period"].fillna(False).astype(bool).to_numpy()]
    if not len(incidents):
        return empty
    frame = incidents.assign(month=incidents["date"].astype("string").str[:7],
                             actor_group=incidents["actor_group"].fillna("unidentified"),
                             actor_family=incidents["actor_family"].fillna("unidentified"),
                             _unknown=incidents["killed"].isna().astype("int64"))
    grouped = frame.groupby(["actor_group", "actor_family", "month"], sort=True, dropna=False)
    table = grouped.size().rename("events").to_frame()
    table["events_killed_unknown"] = grouped["_unknown"].sum()
    for column in ("killed", "killed_civilians", "killed_security", "killed_militants"):
        table[column] = grouped[column].sum(min_count=0).astype("Int64")
    table = table.reset_index()
    table["events"] = table["events"].astype("Int64")
    table["events_killed_unknown"] = table["events_killed_unknown"].astype("Int64")
    return table[columns]
