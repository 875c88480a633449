"""Emerging hotspots: Gi* month by month, and the Mann-Kendall trend of each
unit's Gi* z-scores (pymannkendall), classed after ESRI's Emerging Hot Spot
Analysis (for hot spots; a unit never hot is "no pattern detected").

- new: hot in the last month only
- intensifying / persistent / diminishing: hot in at least 90 % of the months,
  including the last, with a significant upward / no / downward trend
- consecutive: one unbroken run of hot months that ends with the last
- oscillating: hot in the last month and cold in some earlier month
- sporadic: hot in the last month, on and off before
- historical: not hot in the last month but hot in at least 90 % of the months
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymannkendall

from geo.metrics.hotspots import Hotspots
from geo.metrics.units import parse_dates

MIN_MONTHS = 6
MONTHLY_PERMUTATIONS = 999
TREND_ALPHA = 0.05


def classify(hot: np.ndarray, cold: np.ndarray, trend: str) -> str:
    """ESRI-style class of one unit from its monthly hot/cold flags and z trend."""
    n = len(hot)
    share = hot.sum() / n
    if not hot[-1]:
        return "historical hot spot" if share >= 0.9 else "no pattern detected"
    if not hot[:-1].any():
        return "new hot spot"
    if share >= 0.9:
        return {"increasing": "intensifying hot spot", "decreasing": "diminishing hot spot"}.get(
            trend, "persistent hot spot")
    run = n - np.flatnonzero(~hot)[-1] - 1  # length of the final unbroken hot run
    if not hot[: n - run].any():
        return "consecutive hot spot"
    if cold[:-1].any():
        return "oscillating hot spot"
    return "sporadic hot spot"


def emerging_hotspots(incidents: pd.DataFrame, units: pd.DataFrame, id_column: str,
                      start: pd.Timestamp, end: pd.Timestamp, seed: int = 12345) -> pd.DataFrame:
    """Per unit: ``emerging_class``, ``mk_trend``, ``mk_p`` and ``hot_months``
    over the months of the period ("not enough months" below ``MIN_MONTHS``)."""
    months = pd.period_range(start, end, freq="M")
    ids = units[id_column].to_numpy()
    if len(months) < MIN_MONTHS:
        return pd.DataFrame({id_column: ids, "emerging_class": "not enough months", "mk_trend": "no trend",
                             "mk_p": np.nan, "hot_months": 0})
    dates = parse_dates(incidents["date"]).dt.to_period("M")
    counts = (pd.crosstab(incidents[id_column], dates)
              .reindex(index=ids, columns=months, fill_value=0).to_numpy(dtype=float))
    z = np.zeros(counts.shape)
    bins = np.zeros(counts.shape, dtype=np.int64)
    for t in range(len(months)):
        table = Hotspots.compute(units, counts[:, t], id_column, permutations=MONTHLY_PERMUTATIONS,
                                 seed=seed + t).table
        z[:, t], bins[:, t] = table["gi_z"].to_numpy(), table["gi_bin"].to_numpy()
    rows = []
    for k, unit in enumerate(ids):
        series = np.nan_to_num(z[k], nan=0.0)
        test = pymannkendall.original_test(series, alpha=TREND_ALPHA) if np.ptp(series) > 0 else None
        trend = test.trend if test is not None else "no trend"
        rows.append({id_column: unit, "emerging_class": classify(bins[k] > 0, bins[k] < 0, trend),
                     "mk_trend": trend, "mk_p": round(float(test.p), 4) if test is not None else np.nan,
                     "hot_months": int((bins[k] > 0).sum())})
    return pd.DataFrame(rows)
