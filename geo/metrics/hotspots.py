"""Getis-Ord Gi* hotspots of a value over units (esda), classed like ArcGIS.

Neighbours are units sharing an edge or a corner (queen contiguity); Gi* counts
each unit as its own neighbour (``star=True``). Significance comes from
conditional permutations (``p_sim``) with a false-discovery-rate correction at
each confidence level; the sign of the z-score says hot or cold. With the
default 9,999 permutations the smallest p-value is 0.0001, fine enough for the
99 % level after FDR correction over a few hundred units.

Sparse counts are a result, not an error: when the values cannot support the
test (see :func:`insufficient_reason`) every unit is classed
``"insufficient data"`` with ``gi_bin`` 0 and no z-score or p-value.
"""

from __future__ import annotations

import dataclasses
import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.boundaries.unit_metrics import contiguity_weights

CONFIDENCE_LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))
BINS = {99: 3, 95: 2, 90: 1}
NOT_SIGNIFICANT = "not significant"
INSUFFICIENT_DATA = "insufficient data"
# Below these the test describes chance placement, not clustering: one incident
# can never be significant, yet two in adjacent districts already reach
# p ≈ (neighbours / units)² under permutation; and a handful of incidents is
# mostly Poisson noise. See README, "Hotspots".
MIN_INCIDENTS = 10
MIN_UNITS_WITH_EVENTS = 3


def class_label(kind: str, confidence: int) -> str:
    """ArcGIS-style class name, e.g. "hot spot 99%"."""
    return f"{kind} spot {confidence}%"


CLASS_BY_BIN = {0: NOT_SIGNIFICANT, **{BINS[level]: class_label("hot", level) for _, level in CONFIDENCE_LEVELS},
                **{-BINS[level]: class_label("cold", level) for _, level in CONFIDENCE_LEVELS}}
HOTSPOT_CLASSES = (*(CLASS_BY_BIN[b] for b in (3, 2, 1, 0, -1, -2, -3)), INSUFFICIENT_DATA)


def insufficient_reason(values: np.ndarray) -> str:
    """Why ``values`` (counts per unit) cannot support a Gi* test; "" when they can.

    Not tested: non-finite values, values that do not vary (all units equal,
    e.g. all zero: the z-score is 0/0), fewer than ``MIN_INCIDENTS`` in all, or
    fewer than ``MIN_UNITS_WITH_EVENTS`` units with a non-zero value.
    """
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        return "non-finite values"
    if len(values) == 0 or np.ptp(values) == 0:
        return "no variance"
    if values.sum() < MIN_INCIDENTS:
        return f"fewer than {MIN_INCIDENTS} incidents"
    if (values > 0).sum() < MIN_UNITS_WITH_EVENTS:
        return f"fewer than {MIN_UNITS_WITH_EVENTS} units with incidents"
    return ""


def tie_aware_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Pseudo p-value of each unit's Gi*, counting ties against significance.

    ``(min(#sims ≥ G, #sims ≤ G) + 1) / (permutations + 1)``. Without ties this
    is esda's ``p_sim``; with them it differs. esda keeps the upper tail
    (``#sims ≥ G``) and, when that is more than half of the draws, folds to
    ``permutations − #sims ≥ G``, which drops the draws equal to ``G``; a unit
    whose neighbourhood and most random draws both hold no incident then gets
    p = 1 / (permutations + 1), a false "cold spot 99%".

    Parameters
    ----------
    observed
        (n,) Gi* of each unit.
    simulated
        (n, permutations) Gi* of each unit under conditional permutation.
    """
    observed = observed[:, None]
    tied = np.isclose(simulated, observed, rtol=1e-9, atol=1e-12)  # the two are computed differently
    upper = ((simulated > observed) | tied).sum(axis=1)
    lower = ((simulated < observed) | tied).sum(axis=1)
    return (np.minimum(upper, lower) + 1.0) / (simulated.shape[1] + 1.0)


@dataclasses.dataclass(frozen=True)
class Hotspots:
    """Gi* results per unit.

    Attributes
    ----------
    table
        ``gi_z`` (Gi* z-score), ``gi_p_sim`` (permutation p-value), ``gi_bin``
        (−3 … 3 as ArcGIS: ±3 at 99 %, ±2 at 95 %, ±1 at 90 %, 0 not
        significant or not tested, after FDR correction), ``hotspot_class``
        (one of ``HOTSPOT_CLASSES``) and ``neighbours``. Untested units have
        NaN ``gi_z`` and ``gi_p_sim`` and the class ``"insufficient data"``.
    tested
        Whether the test ran (False when the values cannot support it).
    reason
        Why it did not run ("" when it did; see :func:`insufficient_reason`).
    """

    table: pd.DataFrame
    tested: bool = True
    reason: str = ""

    @classmethod
    def compute(cls, units: gpd.GeoDataFrame, values: np.ndarray, id_column: str,
                permutations: int = 9999, seed: int = 12345) -> Hotspots:
        values = np.asarray(values, dtype=float)
        if permutations < 1:
            msg = f"permutations must be at least 1, got {permutations}"
            raise ValueError(msg)
        with warnings.catch_warnings():  # islands are reported in the table instead
            warnings.simplefilter("ignore")
            weights = contiguity_weights(units, id_column)
        reason = insufficient_reason(values)
        z = np.full(len(values), np.nan)
        p = np.full(len(values), np.nan)
        if not reason:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gi = esda.G_Local(values, weights, star=True, permutations=permutations, seed=seed, n_jobs=1,
                                  keep_simulations=True)
            z, p = np.asarray(gi.Zs, dtype=float), tie_aware_p(np.asarray(gi.Gs), np.asarray(gi.rGs))
        # A unit whose z or p is undefined is not tested, whatever the others do.
        ok = np.isfinite(z) & np.isfinite(p)
        gi_bin = np.zeros(len(values), dtype=np.int64)
        for alpha, level in sorted(CONFIDENCE_LEVELS, reverse=True):  # 90 %, then stronger levels overwrite
            if not ok.any():
                break
            threshold = esda.fdr(p[ok], alpha)
            significant = ok & (np.where(ok, p, np.inf) <= threshold)
            gi_bin[significant] = np.sign(z[significant]).astype(np.int64) * BINS[level]
        classes = [CLASS_BY_BIN[b] if tested else INSUFFICIENT_DATA for b, tested in zip(gi_bin, ok, strict=True)]
        table = pd.DataFrame({
            id_column: units[id_column].to_numpy(),
            "gi_z": np.round(z, 4), "gi_p_sim": np.round(p, 4), "gi_bin": gi_bin,
            "hotspot_class": classes,
            "neighbours": [len(weights.neighbors[k]) for k in weights.id_order],
        })
        return cls(table, tested=bool(ok.any()), reason=reason or ("" if ok.all() else "undefined z-scores"))
