"""A composite risk index per unit, 0–10, that an analyst can audit.

Each component is put on 0–10 by a documented transform; the index is their
weighted mean (weights from the settings), classed into five fixed classes.
Every component, the weights and the transform parameters travel with the
result, so a score can be recomputed by hand.

Components (inputs are the unit summary and the Gi* hotspot table):

- ``incident_density``, ``fatality_density``, ``civilian_harm``: incidents,
  killed and civilians killed per 1,000 km². On the ``"fixed"`` scale (the
  default) the rate is annualised by the period's length and scored
  10 · min(1, log(1 + rate) / log(1 + ``FIXED_SCALE[component]``)): the same
  intensity scores the same in any run, period or set of units. On the
  ``"relative"`` scale log(1 + rate) is min–max scaled over the units of the
  run (scores compare only within it).
- ``border_proximity``: 10 at the border, falling linearly to 0 at 100 km (minimum distance)
- ``trend``: 5 + 5·clip(log2(monthly rate of the last 3 months / of the months
  before), −1, 1); 10 when incidents appear after quiet months, 0 when there are
  none at all, 5 (no trend claimed) when the period has no months before the
  last 3 but the unit has incidents
- ``hotspot``: Gi* class of incidents: 10 hot 99 %, 7.5 hot 95 %, 5 hot 90 %,
  else 0 (also "insufficient data")

Sparse data: on the fixed scale a unit without events scores 0 and one
incident scores what its annual rate is worth, whatever the other units hold.
On the relative scale a component whose values do not vary (all units equal,
e.g. no incident anywhere) scores 0 in every unit, since nothing sets one unit
above another; its ``log1p_min`` equals its ``log1p_max`` in the parameters.
``confidence`` is per unit and does not depend on the other units, so it stays
"low" for a unit with fewer than 5 incidents even when one incident makes that
unit the maximum of a relative component.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from geo.config import RISK_SCALES

RISK_CLASSES = ((2.0, "very low"), (4.0, "low"), (6.0, "medium"), (8.0, "high"), (np.inf, "very high"))
PROXIMITY_REACH_KM = 100.0
HOTSPOT_SCORES = {3: 10.0, 2: 7.5, 1: 5.0}
NO_BASE_TREND_SCORE = 5.0
RISK_CLASS_LABELS = tuple(label for _, label in RISK_CLASSES)
CONFIDENCE_LEVELS = ("high", "medium", "low")
# The fixed scale: the rate per 1,000 km² per year that scores 10 (higher
# rates are clipped to 10), on a log scale from 0 (no event). Chosen from the
# long record so that the worst district-years reach 9–10 (README, "Risk
# index"): North Waziristan 2013–14 had 1,621 killed (UCDP GED) on 4,906 km²,
# 165 killed per 1,000 km² a year, and scores 9.6 on fatality density.
FIXED_SCALE = {"incident_density": 50.0, "fatality_density": 200.0, "civilian_harm": 50.0}
FIXED_BREAKPOINT_SCORES = (2, 4, 6, 8, 10)
DAYS_PER_YEAR = 365.25


def period_years(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Length of the period [start, end], both days included, in years of 365.25 days."""
    return ((pd.Timestamp(end).normalize() - pd.Timestamp(start).normalize()).days + 1) / DAYS_PER_YEAR


def fixed_breakpoints(at_ten: float) -> dict[str, float]:
    """The annual rate per 1,000 km² at which the fixed scale reaches each of
    ``FIXED_BREAKPOINT_SCORES`` (the class edges of one component):
    (1 + ``at_ten``)^(score / 10) − 1."""
    return {str(score): round(float(np.expm1(np.log1p(at_ten) * score / 10.0)), 3)
            for score in FIXED_BREAKPOINT_SCORES}


def _log_fixed(rate_per_year: pd.Series, at_ten: float) -> tuple[pd.Series, dict[str, object]]:
    logged = np.log1p(rate_per_year.astype(float).clip(lower=0).fillna(0.0))
    scaled = (logged / np.log1p(at_ten) * 10.0).clip(upper=10.0)
    return scaled, {"per_1000_km2_per_year_at_10": at_ten,
                    "breakpoints_per_1000_km2_per_year": fixed_breakpoints(at_ten)}


def _log_minmax(values: pd.Series) -> tuple[pd.Series, dict[str, float]]:
    logged = np.log1p(values.astype(float).clip(lower=0).fillna(0.0))
    low, high = (float(logged.min()), float(logged.max())) if len(logged) else (0.0, 0.0)
    # no variance: nothing ranks one unit above another, so every unit scores 0
    scaled = (logged - low) / (high - low) * 10.0 if high > low else logged * 0.0
    return scaled, {"log1p_min": round(low, 6), "log1p_max": round(high, 6)}


def risk_class(score: pd.Series) -> pd.Series:
    """Five fixed classes: very low [0, 2), low [2, 4), medium [4, 6), high [6, 8), very high [8, 10]."""
    labels = np.asarray([label for _, label in RISK_CLASSES], dtype=object)
    edges = np.asarray([edge for edge, _ in RISK_CLASSES[:-1]])
    return pd.Series(labels[np.searchsorted(edges, score.to_numpy(dtype=float), side="right")], index=score.index)


def confidence(n_incidents: pd.Series, precise_share: pd.Series) -> pd.Series:
    """high: ≥ 20 incidents, ≥ 70 % of them placed exactly; medium: ≥ 5 incidents; low otherwise."""
    high = (n_incidents >= 20) & (precise_share >= 0.7)
    return pd.Series(np.where(high, "high", np.where(n_incidents >= 5, "medium", "low")), index=n_incidents.index)


def trend_score(recent_count: pd.Series, base_count: pd.Series, months: tuple[int, int] = (3, 9)) -> np.ndarray:
    """5 + 5·clip(log2(recent monthly rate ÷ base monthly rate), −1, 1), on 0–10.

    Without a base rate: 10 when the unit has recent incidents after quiet base
    months, 0 when it has no incident at all, and ``NO_BASE_TREND_SCORE`` (5, no
    trend claimed) when the period has no base months (3 months or fewer) but
    the unit has incidents.
    """
    recent_months, base_months = months
    recent = recent_count.to_numpy(dtype=float) / max(recent_months, 1)
    before = base_count.to_numpy(dtype=float) / base_months if base_months else np.zeros(len(recent))
    with np.errstate(divide="ignore", invalid="ignore"):
        trend = 5.0 + 5.0 * np.clip(np.log2(recent / before), -1.0, 1.0)
    quiet = np.where(recent > 0, 10.0 if base_months else NO_BASE_TREND_SCORE, 0.0)
    return np.where(before == 0, quiet, trend)


@dataclasses.dataclass(frozen=True)
class RiskIndex:
    """Components, index, class and confidence per unit, plus the parameters.

    Attributes
    ----------
    table
        One row per unit: the six ``*_score`` components (0–10), ``risk_score``,
        ``risk_class`` and ``confidence``.
    parameters
        The weights, the scale (``"fixed"`` or ``"relative"``) and each
        transform's parameters: on the fixed scale the period's length in years
        and, per density component, the annual rate scoring 10 and the rates at
        scores 2, 4, 6, 8 and 10; on the relative scale the min/max of the logs.
    """

    table: pd.DataFrame
    parameters: dict[str, object]

    @classmethod
    def compute(cls, summary: pd.DataFrame, hotspots: pd.DataFrame, id_column: str,
                weights: tuple[tuple[str, float], ...], precise_share: pd.Series,
                trend_months: tuple[int, int] = (3, 9), *, scale: str = "fixed",
                years: float = 1.0) -> RiskIndex:
        """Score every unit.

        Parameters
        ----------
        summary
            :func:`geo.metrics.units.unit_summary` joined with the unit proximity table.
        hotspots
            The Gi* table of incidents (``gi_bin`` per unit).
        id_column
            The unit id column of both tables.
        weights
            (component, weight) pairs; the index divides by their sum.
        precise_share
            Share of each unit's incidents with geo_precision 1 (indexed by unit id).
        trend_months
            The months behind ``incidents_last_3m`` and ``incidents_prev_9m``
            (:func:`geo.metrics.units.trend_months` of the period).
        scale
            ``"fixed"``: density components on ``FIXED_SCALE`` after dividing
            the rates by ``years``; ``"relative"``: min–max over the units.
        years
            Length of the period in years (:func:`period_years`); only the
            fixed scale uses it.
        """
        if scale not in RISK_SCALES:
            msg = f"scale must be one of {', '.join(RISK_SCALES)}, got {scale!r}"
            raise ValueError(msg)
        if scale == "fixed" and not (np.isfinite(years) and years > 0):
            msg = f"years must be a positive number, got {years!r}"
            raise ValueError(msg)
        table = summary[[id_column]].copy()
        per_1000 = 1000.0 / summary["area_km2"]
        parameters: dict[str, object] = {"weights": dict(weights), "scale": scale}
        rates = {"incident_density": summary["incidents_per_1000_km2"],
                 "fatality_density": summary["killed_per_1000_km2"],
                 "civilian_harm": summary["killed_civilians"] * per_1000}
        if scale == "fixed":
            parameters["period_years"] = round(years, 6)
        for name, rate in rates.items():
            if scale == "fixed":
                table[f"{name}_score"], parameters[name] = _log_fixed(rate / years, FIXED_SCALE[name])
            else:
                table[f"{name}_score"], parameters[name] = _log_minmax(rate)
        distance = summary["min_distance_to_border_km"].astype(float)
        table["border_proximity_score"] = (10.0 * (1.0 - distance / PROXIMITY_REACH_KM)).clip(0.0, 10.0)
        parameters["border_proximity"] = {"reach_km": PROXIMITY_REACH_KM}
        table["trend_score"] = trend_score(summary["incidents_last_3m"], summary["incidents_prev_9m"], trend_months)
        parameters["trend"] = {"log2_clip": [-1, 1], "months": list(trend_months),
                               "no_base_score": NO_BASE_TREND_SCORE}
        bins = summary[[id_column]].merge(hotspots[[id_column, "gi_bin"]], on=id_column, how="left")["gi_bin"]
        table["hotspot_score"] = bins.map(HOTSPOT_SCORES).fillna(0.0).to_numpy()
        parameters["hotspot"] = {"scores_by_gi_bin": HOTSPOT_SCORES}
        total = sum(w for _, w in weights)
        score = sum(table[f"{name}_score"] * w for name, w in weights) / total
        for column in [c for c in table.columns if c.endswith("_score")]:
            table[column] = table[column].astype(float).round(3)
        table["risk_score"] = score.round(3)
        table["risk_class"] = risk_class(table["risk_score"])
        share = summary[id_column].map(precise_share).fillna(0.0)
        table["confidence"] = confidence(summary["incidents"], share).to_numpy()
        return cls(table, parameters)
