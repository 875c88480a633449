"""Per-unit counts, rates and trends of incidents, and the monthly table by province.

Counts cover a period (by default the last 12 months present in the data).
Units with no incident are kept, with zeros. Rates are per 1,000 km² of the
unit's geodesic area. The trend compares the last 3 months of the period with
the 9 before, per month, and keeps the counts behind it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COUNT_COLUMNS = ("killed", "killed_civilians", "killed_security", "killed_militants", "injured")


def default_period(dates: pd.Series, months: int = 12) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last ``months`` whole months that end with the latest incident's month."""
    latest = pd.to_datetime(dates, errors="coerce").max()
    if pd.isna(latest):
        msg = "no dated incidents"
        raise ValueError(msg)
    end = latest.to_period("M").to_timestamp(how="end").normalize()
    start = (latest.to_period("M") - (months - 1)).to_timestamp(how="start")
    return start, end


def unit_summary(incidents: pd.DataFrame, units: pd.DataFrame, id_column: str,
                 start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Counts, rates per 1,000 km² and the 3-against-9-month trend per unit.

    ``units`` needs ``id_column`` and ``area_km2``; incidents need ``date``,
    ``id_column`` and the count columns.
    """
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    in_period = incidents[(dates >= start) & (dates <= end) & incidents[id_column].notna()].copy()
    in_period["_date"] = dates[in_period.index]
    grouped = in_period.groupby(id_column, observed=True)
    table = pd.DataFrame({"incidents": grouped.size()})
    for column in COUNT_COLUMNS:
        table[column] = grouped[column].sum(min_count=1).fillna(0).astype("int64")
    split = pd.Timestamp(end).to_period("M") - 2  # first of the last 3 months
    recent = in_period["_date"] >= split.to_timestamp(how="start")
    table["incidents_last_3m"] = in_period[recent].groupby(id_column, observed=True).size()
    table["incidents_prev_9m"] = in_period[~recent].groupby(id_column, observed=True).size()

    out = units[[id_column, "area_km2"]].merge(table, left_on=id_column, right_index=True, how="left")
    count_like = ["incidents", *COUNT_COLUMNS, "incidents_last_3m", "incidents_prev_9m"]
    out[count_like] = out[count_like].fillna(0).astype("int64")
    per_1000 = 1000.0 / out["area_km2"]
    out["incidents_per_1000_km2"] = (out["incidents"] * per_1000).round(4)
    out["killed_per_1000_km2"] = (out["killed"] * per_1000).round(4)
    monthly_recent = out["incidents_last_3m"] / 3.0
    monthly_before = out["incidents_prev_9m"] / 9.0
    out["trend_ratio"] = np.where(monthly_before > 0, (monthly_recent / monthly_before.where(monthly_before > 0)).round(3),
                                  np.nan)
    return out.sort_values(id_column, ignore_index=True)


def monthly_by_province(incidents: pd.DataFrame) -> pd.DataFrame:
    """Killed per province and month, by victim category, as monthly security
    reports publish them (months with no incident in a province are 0)."""
    frame = incidents[incidents["province"].notna()].copy()
    frame["month"] = pd.to_datetime(frame["date"], errors="coerce").dt.to_period("M").astype("string")
    frame = frame[frame["month"].notna()]
    grouped = frame.groupby(["province", "month"], observed=True)
    table = pd.DataFrame({"incidents": grouped.size()})
    for column in COUNT_COLUMNS:
        table[column] = grouped[column].sum(min_count=1).fillna(0).astype("int64")
    provinces = sorted(frame["province"].unique())
    months = pd.period_range(frame["month"].min(), frame["month"].max(), freq="M").astype("string")
    full = pd.MultiIndex.from_product([provinces, months], names=["province", "month"])
    return table.reindex(full, fill_value=0).reset_index()
