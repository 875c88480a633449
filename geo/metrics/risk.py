"""A composite risk index per unit, 0–10, that an analyst can audit.

Each component is put on 0–10 by a documented transform; the index is their
weighted mean (weights from the settings), classed into five fixed classes.
Every component, the weights and the transform parameters travel with the
result, so a score can be recomputed by hand.

Components (inputs are the unit summary and the Gi* hotspot table):

- ``incident_density``: log(1 + incidents per 1,000 km²), min–max scaled over the units
- ``fatality_density``: log(1 + killed per 1,000 km²), min–max scaled
- ``civilian_harm``: log(1 + civilians killed per 1,000 km²), min–max scaled
- ``border_proximity``: 10 at the border, falling linearly to 0 at 100 km (minimum distance)
- ``trend``: 5 + 5·clip(log2(monthly rate of the last 3 months / of the months
  before), −1, 1); 10 when incidents appear after quiet months, 0 when there are
  none at all, 5 (no trend claimed) when the period has no months before the
  last 3 but the unit has incidents
- ``hotspot``: Gi* class of incidents: 10 hot 99 %, 7.5 hot 95 %, 5 hot 90 %,
  else 0 (also "insufficient data")

Sparse data: a min–max component whose values do not vary (all units equal,
e.g. no incident anywhere) scores 0 in every unit, since nothing sets one unit
above another; its ``log1p_min`` equals its ``log1p_max`` in the parameters.
``confidence`` is per unit and does not depend on the other units, so it stays
"low" for a unit with fewer than 5 incidents even when one incident makes that
unit the maximum of a min–max component.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

RISK_CLASSES = ((2.0, "very low"), (4.0, "low"), (6.0, "medium"), (8.0, "high"), (np.inf, "very high"))
PROXIMITY_REACH_KM = 100.0
HOTSPOT_SCORES = {3: 10.0, 2: 7.5, 1: 5.0}
NO_BASE_TREND_SCORE = 5.0
RISK_CLASS_LABELS = tuple(label for _, label in RISK_CLASSES)
CONFIDENCE_LEVELS = ("high", "medium", "low")


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
        The weights and each transform's parameters (min/max of the logs).
    """

    table: pd.DataFrame
    parameters: dict[str, object]

    @classmethod
    def compute(cls, summary: pd.DataFrame, hotspots: pd.DataFrame, id_column: str,
                weights: tuple[tuple[str, float], ...], precise_share: pd.Series,
                trend_months: tuple[int, int] = (3, 9)) -> RiskIndex:
        """``summary`` is :func:`geo.metrics.units.unit_summary` joined with the
        unit proximity table; ``hotspots`` the Gi* table of incidents;
        ``precise_share`` the share of each unit's incidents with geo_precision 1
        (indexed by unit id); ``trend_months`` the months behind
        ``incidents_last_3m`` and ``incidents_prev_9m``
        (:func:`geo.metrics.units.trend_months` of the period)."""
        table = summary[[id_column]].copy()
        per_1000 = 1000.0 / summary["area_km2"]
        parameters: dict[str, object] = {"weights": dict(weights)}
        table["incident_density_score"], parameters["incident_density"] = _log_minmax(summary["incidents_per_1000_km2"])
        table["fatality_density_score"], parameters["fatality_density"] = _log_minmax(summary["killed_per_1000_km2"])
        table["civilian_harm_score"], parameters["civilian_harm"] = _log_minmax(summary["killed_civilians"] * per_1000)
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
