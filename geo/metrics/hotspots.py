"""Getis-Ord Gi* hotspots of incidents over units (esda), classed like ArcGIS.

Neighbours are units sharing an edge or a corner (queen contiguity); Gi* counts
each unit as its own neighbour (``star=True``). Given the units' areas, Gi*
runs on Empirical-Bayes smoothed rates per 1,000 km² (esda.smoothing, as the
``eb_incidents_per_1000_km2`` of the summaries) rather than on raw counts: a
large district is not hot for its size, and a small unit with a handful of
events is pulled towards the overall rate instead of topping the ranking.
The z-score is Ord & Getis's (1995), as in ArcGIS (:func:`gi_star_z`).
Significance comes from its two-sided normal p-value (the default) or from
conditional permutations (``inference="permutation"``), with a
false-discovery-rate correction at each confidence level; the sign of the
z-score says hot or cold. With 9,999 permutations the smallest p-value is
0.0001, fine enough for the 99 % level after FDR correction over a few
hundred units.

Cold spots need the counts to support them (:func:`cold_support_bins`): a
neighbourhood with few or no events is a cold spot at a level only when that
few is improbable (Poisson, at the overall rate) for its area. Otherwise it is
"not significant": an empty neighbourhood of small districts says little.

Sparse counts are a result, not an error: when the values cannot support the
test (see :func:`insufficient_reason`) every unit is classed
``"insufficient data"`` with ``gi_bin`` 0 and no z-score or p-value.
"""

from __future__ import annotations

import dataclasses
import warnings

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse, special  # not scipy.stats, esda or libpysal: seconds of imports per run

from geo.boundaries.unit_metrics import Neighbours, contiguity_neighbours
from geo.config import HOTSPOT_INFERENCES
from geo.metrics.units import empirical_bayes

if TYPE_CHECKING:
    from libpysal.weights import W

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


def method_parameters(inference: str, permutations: int | None, rates: bool) -> dict[str, object]:
    """How a Gi* was run, for ``run.json`` and the layers' ``risk_parameters``."""
    return {
        "statistic": ("Getis-Ord Gi* z (Ord & Getis 1995, as ArcGIS), queen contiguity, "
                      "unit in its own neighbourhood"),
        "variable": ("Empirical-Bayes incidents per 1,000 km² (esda.smoothing.Empirical_Bayes)" if rates
                     else "incidents"),
        "inference": inference, "permutations": permutations if inference == "permutation" else None,
        "p_value": ("tie-aware pseudo p of conditional permutations (esda)" if inference == "permutation"
                    else "normal, two-sided"),
        "correction": "false discovery rate at each confidence level",
        "cold_spot_rule": ("cold at 1 − α only if P(N ≤ events of the neighbourhood) ≤ α, "
                           "N ~ Poisson(neighbourhood area × overall rate)") if rates else None,
        "min_incidents": MIN_INCIDENTS, "min_units_with_events": MIN_UNITS_WITH_EVENTS,
    }


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
        ``gi_z`` (Gi* z-score, :func:`gi_star_z`), ``gi_p_sim`` (its p-value:
        normal, two-sided, or the permutation pseudo p; the name is kept for
        the layers' readers), ``gi_bin`` (−3 … 3 as ArcGIS: ±3 at 99 %, ±2 at
        95 %, ±1 at 90 %, 0 not significant or not tested, after FDR correction
        and the cold-spot support), ``hotspot_class``
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
                permutations: int = 9999, seed: int = 12345, *, area_km2: np.ndarray | None = None,
                inference: str = "normal", weights: Neighbours | W | None = None) -> Hotspots:
        """Test every unit.

        Parameters
        ----------
        units
            The units, in the order of ``values``.
        values
            Incident counts per unit (the sparse-data rule and the cold-spot
            support are judged on counts).
        id_column
            The unit id column of ``units``.
        permutations, seed
            Conditional permutations of the permutation test, and their seed.
        area_km2
            Unit areas: Gi* then runs on Empirical-Bayes rates per 1,000 km²
            and cold spots need Poisson support (:func:`cold_support_bins`).
            None: Gi* on ``values`` as they are, cold spots unchecked.
        inference
            ``"normal"``: the two-sided normal p-value of the Gi* z-score
            (:func:`gi_star_z`); ``"permutation"``: tie-aware pseudo p-values
            of ``permutations`` conditional permutations (esda).
        weights
            Queen contiguity of ``units`` (:func:`contiguity`), to reuse one
            across calls; built from ``units`` when None. Never modified.
        """
        values = np.asarray(values, dtype=float)
        if permutations < 1:
            msg = f"permutations must be at least 1, got {permutations}"
            raise ValueError(msg)
        if inference not in HOTSPOT_INFERENCES:
            msg = f"inference must be one of {', '.join(HOTSPOT_INFERENCES)}, got {inference!r}"
            raise ValueError(msg)
        weights = contiguity(units) if weights is None else weights
        reason = insufficient_reason(values)
        z = np.full(len(values), np.nan)
        p = np.full(len(values), np.nan)
        if not reason:
            tested = values if area_km2 is None else empirical_bayes(values, np.asarray(area_km2) / 1000.0)
            z, p = _gi_star(tested, weights, inference, permutations, seed)
        # A unit whose z or p is undefined is not tested, whatever the others do.
        ok = np.isfinite(z) & np.isfinite(p)
        gi_bin = np.zeros(len(values), dtype=np.int64)
        for alpha, level in sorted(CONFIDENCE_LEVELS, reverse=True):  # 90 %, then stronger levels overwrite
            if not ok.any():
                break
            threshold = fdr(p[ok], alpha)
            significant = ok & (np.where(ok, p, np.inf) <= threshold)
            gi_bin[significant] = np.sign(z[significant]).astype(np.int64) * BINS[level]
        if area_km2 is not None and ok.any():
            cold = gi_bin < 0
            support = cold_support_bins(values, np.asarray(area_km2), weights)
            gi_bin[cold] = -np.minimum(-gi_bin[cold], support[cold])
        classes = [CLASS_BY_BIN[b] if tested else INSUFFICIENT_DATA for b, tested in zip(gi_bin, ok, strict=True)]
        table = pd.DataFrame({
            id_column: units[id_column].to_numpy(),
            "gi_z": np.round(z, 4), "gi_p_sim": np.round(p, 4), "gi_bin": gi_bin,
            "hotspot_class": classes,
            "neighbours": [len(weights.neighbors[k]) for k in weights.id_order],
        })
        return cls(table, tested=bool(ok.any()), reason=reason or ("" if ok.all() else "undefined z-scores"))


def contiguity(units: gpd.GeoDataFrame) -> Neighbours:
    """Queen contiguity of ``units`` in their order (islands have no neighbours);
    ``.to_libpysal()`` gives libpysal's ``W``."""
    with warnings.catch_warnings():  # islands are reported in the table instead
        warnings.simplefilter("ignore")
        return contiguity_neighbours(units)


def fdr(p: np.ndarray, alpha: float) -> float:
    """The p-value cut-off that controls the false discovery rate at ``alpha``
    (Benjamini–Hochberg, with the Bonferroni bound α / n when no p passes):
    ``esda.fdr``, written out so that a run does not import esda (and libpysal)."""
    n = len(p)
    descending = np.sort(p)[::-1]
    cut_offs = np.arange(n, 0, -1) * alpha / n
    passing = np.flatnonzero(descending < cut_offs)
    return float(cut_offs[passing[0]]) if len(passing) else alpha / n


def _gi_star(values: np.ndarray, weights: Neighbours | W, inference: str, permutations: int,
             seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and p-values of ``values`` (see :meth:`Hotspots.compute`)."""
    z = gi_star_z(values, weights)
    if inference == "normal":
        return z, 2.0 * special.ndtr(-np.abs(z))  # scipy.stats.norm.sf(|z|), without importing scipy.stats
    import esda  # only for permutations: esda and libpysal take about a second to import

    w = weights.to_libpysal() if isinstance(weights, Neighbours) else weights
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gi = esda.G_Local(values, w, transform="B", star=True, permutations=permutations, seed=seed,
                          n_jobs=1, keep_simulations=True)
    return z, tie_aware_p(np.asarray(gi.Gs), np.asarray(gi.rGs))


def gi_star_z(values: np.ndarray, weights: Neighbours | W) -> np.ndarray:
    """Gi* z-scores as Ord & Getis (1995) and ArcGIS's Hot Spot Analysis define
    them: binary weights, each unit its own neighbour.

    z_i = (S_i − x̄ n_i) / (s √((N n_i − n_i²) / (N − 1))), where S_i sums the
    values of the unit and its neighbours, n_i counts them, x̄ and s are the
    mean and (population) standard deviation of the N values; NaN where the
    variance is 0 (e.g. a neighbourhood of every unit). The same as esda's
    ``G_Local(transform="B", star=True).Zs``, in a sparse product instead of
    esda's ~11 ms set-up per call (the monthly series makes hundreds). esda's
    default row standardisation (``transform="R"``) gives z-scores about √n_i
    smaller: its analytical variance takes a row of n_i weights 1 / n_i for a
    single neighbour of weight 1, which left a block of five busy districts
    below the 90 % level.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    matrix = _neighbourhoods(weights)
    members = np.asarray(matrix.sum(axis=1)).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = values.std() * np.sqrt((n * members - members**2) / (n - 1))
        return (matrix @ values - values.mean() * members) / spread


def _neighbourhoods(weights: Neighbours | W) -> sparse.csr_matrix:
    """Binary (n, n) matrix of each unit's Gi* neighbourhood: itself and its neighbours."""
    matrix = weights.sparse.copy().tocsr()
    matrix.data[:] = 1.0  # binary, whatever the caller's transform
    return (matrix + sparse.identity(matrix.shape[0], format="csr")).tocsr()


def cold_support_bins(counts: np.ndarray, area_km2: np.ndarray, weights: Neighbours | W) -> np.ndarray:
    """The strongest cold-spot bin (0–3) the counts of each Gi* neighbourhood support.

    A neighbourhood (the unit and its neighbours) with ``n`` events on ``a``
    km² supports a cold spot at confidence level 1 − α when seeing ``n`` or
    fewer events is that improbable at the overall rate: P(N ≤ n) ≤ α for
    N ~ Poisson(a × total events / total area). An empty neighbourhood thus
    needs an expected count of at least 2.3 (90 %), 3.0 (95 %) or 4.6 (99 %).
    """
    counts, area = np.asarray(counts, dtype=float), np.asarray(area_km2, dtype=float)
    matrix = _neighbourhoods(weights)
    observed = matrix @ counts
    expected = matrix @ area * (counts.sum() / area.sum())
    tail = special.pdtr(np.floor(observed), expected)  # scipy.stats.poisson.cdf, without scipy.stats
    support = np.zeros(len(counts), dtype=np.int64)
    for alpha, level in sorted(CONFIDENCE_LEVELS, reverse=True):
        support[tail <= alpha] = BINS[level]
    return support

