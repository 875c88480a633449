"""Emerging hotspots: Gi* month by month, and the Mann-Kendall trend of each
unit's Gi* z-scores (:func:`mann_kendall`, as pymannkendall's
``original_test``), classed after ESRI's Emerging Hot Spot
Analysis (for hot spots; a unit never hot is "no pattern detected").

The monthly Gi* uses the analytical z-score and its normal p-value
(:func:`geo.metrics.hotspots.gi_star_z`) with the same FDR correction as the
unit hotspots, not permutations: the series takes about a fifth of the time
it took with 999 permutations a month (README, "Hotspots").

- new: hot in the last month only
- intensifying / persistent / diminishing: hot in at least 90 % of the months,
  including the last, with a significant upward / no / downward trend
- consecutive: one unbroken run of hot months that ends with the last
- oscillating: hot in the last month and cold in some earlier month
- sporadic: hot in the last month, on and off before
- historical: not hot in the last month but hot in at least 90 % of the months

Sparse data: a month whose counts cannot support Gi* (no variance, too few
incidents or units with incidents; see
:func:`geo.metrics.hotspots.insufficient_reason`) counts as neither hot nor
cold, with a z-score of 0 in the trend. A period shorter than ``MIN_MONTHS``
is "not enough months"; one in which no month can be tested is "insufficient
data".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special  # not pymannkendall: it imports scipy.stats (about 0.7 s per run)

from geo.metrics.hotspots import INSUFFICIENT_DATA, Hotspots, contiguity, insufficient_reason
from geo.metrics.units import incident_dates

MIN_MONTHS = 6
MONTHLY_INFERENCE = "normal"
MONTHLY_PERMUTATIONS = 999  # only with inference="permutation"
TREND_ALPHA = 0.05
NOT_ENOUGH_MONTHS = "not enough months"
NO_PATTERN = "no pattern detected"
EMERGING_CLASSES = (
    "new hot spot", "intensifying hot spot", "persistent hot spot", "diminishing hot spot",
    "consecutive hot spot", "oscillating hot spot", "sporadic hot spot", "historical hot spot",
    NO_PATTERN, NOT_ENOUGH_MONTHS, INSUFFICIENT_DATA,
)
MK_TRENDS = ("increasing", "decreasing", "no trend")


def mann_kendall(series: np.ndarray, alpha: float = TREND_ALPHA) -> tuple[str, float]:
    """Trend (``MK_TRENDS``) and two-sided p-value of the Mann–Kendall test of
    ``series``: ``pymannkendall.original_test(series, alpha)``'s ``trend`` and
    ``p`` (Mann 1945, Kendall 1975, Gilbert 1987), with the same tie
    correction and continuity correction, in a few numpy lines (the test
    module checks both agree).

    S sums sign(x_j − x_i) over i < j; var(S) = (n(n−1)(2n+5) − Σ t(t−1)(2t+5)) / 18
    over the sizes t of the groups of ties; z = (S − sign S) / √var(S); p = 2 (1 − Φ(|z|)).
    """
    x = np.asarray(series, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    upper = np.triu_indices(n, k=1)
    s = float(np.sign(x[None, :] - x[:, None])[upper].sum())
    _, ties = np.unique(x, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18
    z = (s - np.sign(s)) / np.sqrt(var_s) if s != 0 else 0.0
    p = 2 * (1 - special.ndtr(abs(z)))
    significant = abs(z) > special.ndtri(1 - alpha / 2)
    trend = ("increasing" if z > 0 else "decreasing") if significant and z != 0 else "no trend"
    return trend, float(p)


def classify(hot: np.ndarray, cold: np.ndarray, trend: str) -> str:
    """ESRI-style class of one unit from its monthly hot/cold flags and z trend."""
    n = len(hot)
    share = hot.sum() / n
    if not hot[-1]:
        return "historical hot spot" if share >= 0.9 else NO_PATTERN
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


def monthly_counts(incidents: pd.DataFrame, ids: np.ndarray, id_column: str, months: pd.PeriodIndex) -> np.ndarray:
    """(units, months) incident counts; incidents without a unit or outside the months are left out.

    Counted with integer codes (unit position x month number), not a groupby
    on Period objects: a million incidents take milliseconds, not seconds.
    """
    dates = incident_dates(incidents)  # parsed once upstream
    unit = pd.Index(ids).get_indexer(incidents[id_column])  # -1: no unit, or one not in ids
    month = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    first = np.datetime64(months[0].start_time.to_datetime64(), "M") if len(months) else np.datetime64("NaT", "M")
    step = (month - first).astype(np.int64)
    keep = (unit >= 0) & ~np.isnat(month) & (step >= 0) & (step < len(months))
    flat = np.bincount(unit[keep] * len(months) + step[keep], minlength=len(ids) * len(months))
    return flat.reshape(len(ids), len(months)).astype(float)


def emerging_hotspots(incidents: pd.DataFrame, units: pd.DataFrame, id_column: str,
                      start: pd.Timestamp, end: pd.Timestamp, seed: int = 12345,
                      permutations: int = MONTHLY_PERMUTATIONS, *, area_km2: np.ndarray | None = None,
                      inference: str = MONTHLY_INFERENCE) -> pd.DataFrame:
    """Per unit: ``emerging_class`` (one of ``EMERGING_CLASSES``), ``mk_trend``,
    ``mk_p`` and ``hot_months`` over the months of the period.

    "not enough months" below ``MIN_MONTHS``; "insufficient data" when no month
    of the period has counts that can support Gi* (then ``mk_trend`` is
    "no trend", ``mk_p`` NaN and ``hot_months`` 0, as for "not enough months").
    ``area_km2`` and ``inference`` are passed to each month's
    :meth:`geo.metrics.hotspots.Hotspots.compute` (rates and cold-spot support
    with areas; ``permutations`` and ``seed + month`` only with
    ``inference="permutation"``).
    """
    months = pd.period_range(start, end, freq="M")
    ids = units[id_column].to_numpy()

    def uniform(label: str) -> pd.DataFrame:
        return pd.DataFrame({id_column: ids, "emerging_class": label, "mk_trend": "no trend",
                             "mk_p": np.nan, "hot_months": 0})

    if len(months) < MIN_MONTHS:
        return uniform(NOT_ENOUGH_MONTHS)
    counts = monthly_counts(incidents, ids, id_column, months)
    testable = [not insufficient_reason(counts[:, t]) for t in range(len(months))]
    if not any(testable):
        return uniform(INSUFFICIENT_DATA)
    z = np.zeros(counts.shape)  # untested months: z 0, neither hot nor cold
    bins = np.zeros(counts.shape, dtype=np.int64)
    weights = contiguity(units)  # once for all months
    for t in np.flatnonzero(testable):
        table = Hotspots.compute(units, counts[:, t], id_column, permutations=permutations,
                                 seed=seed + int(t), area_km2=area_km2, inference=inference,
                                 weights=weights).table
        z[:, t], bins[:, t] = table["gi_z"].to_numpy(), table["gi_bin"].to_numpy()
    rows = []
    for k, unit in enumerate(ids):
        series = np.nan_to_num(z[k], nan=0.0)
        trend, p = mann_kendall(series) if np.ptp(series) > 0 else ("no trend", np.nan)
        rows.append({id_column: unit, "emerging_class": classify(bins[k] > 0, bins[k] < 0, trend),
                     "mk_trend": trend, "mk_p": round(p, 4) if not np.isnan(p) else np.nan,
                     "hot_months": int((bins[k] > 0).sum())})
    return pd.DataFrame(rows)
