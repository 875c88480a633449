"""Candidate pairs of reports and their scores.

Blocking: reports are swept in date order, and a pair is a candidate only when
their date windows (from ``date_precision``, widened by ``link_days``) meet and
their positions lie within the radius of the less precise of the two (from
``geo_precision``), or both fall in the same district and either is placed at
district level or vaguer. Each candidate gets eight similarities in [0, 1]
(type, actor, target and district 0.5 where a report does not say; for killed
and place name an indicator of the unknown carries its own weight) and a
calibrated score, the logistic of their weighted sum (weights in
:data:`WEIGHTS`, fitted by ``bench/calibrate_link.py``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo.incidents.schema import iso_dates
from geo.linking.taxonomy import classes, compatibility

EARTH_RADIUS_KM = 6371.0088
# geo_precision 1, 2, 3 (and unknown) → radius in km within which two reports may be one event.
RADIUS_KM = {1: 15.0, 2: 75.0, 3: 250.0}
UNKNOWN_RADIUS_KM = 250.0
# How much a date match says, by the coarser date precision of the pair.
DATE_WEIGHT = {"day": 1.0, "week": 0.7, "month": 0.4, "year": 0.2}
_PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}
FEATURES = (
    "date_sim",
    "distance_sim",
    "type_sim",
    "killed_sim",
    "killed_unknown",
    "name_sim",
    "name_unknown",
    "actor_sim",
    "target_sim",
    "same_district",
)
# Logistic weights of the features and the intercept (see bench/calibrate_link.py).
WEIGHTS = {
    "intercept": -15.88,
    "date_sim": 1.0,
    "distance_sim": 0.91,
    "type_sim": 1.0,
    "killed_sim": 6.48,
    "killed_unknown": 4.79,
    "name_sim": 7.69,
    "name_unknown": 6.01,
    "actor_sim": 1.0,
    "target_sim": 1.0,
    "same_district": 0.88,
}
MAX_PAIRS_PER_CHUNK = 4_000_000
_NAME = re.compile(r"name: ([^;]+)")


@dataclasses.dataclass(frozen=True)
class Prepared:
    """The arrays the matcher reads, one entry per report (in the table's order)."""

    lo: np.ndarray  # first day of the date window (days since 1970)
    hi: np.ndarray  # last day
    precision: np.ndarray  # date precision rank 0 day … 3 year
    lat: np.ndarray  # radians
    lon: np.ndarray
    radius_km: np.ndarray
    broad: np.ndarray  # placed at district level or vaguer
    killed: np.ndarray  # float, nan unknown
    name: np.ndarray  # normalised place name, "" unknown
    place: np.ndarray  # the place string, lower case, "" unknown
    group: np.ndarray  # actor group, "" unidentified
    family: np.ndarray
    event_class: np.ndarray
    district: np.ndarray  # "" unknown
    target: np.ndarray  # target_category, "" unknown
    source: np.ndarray  # source name


def _name_of(place: pd.Series, parsed: pd.Series) -> np.ndarray:
    """The name the geocoder read in the place string (feature words dropped),
    else the place string, lower case."""
    name = parsed.astype("string").str.extract(_NAME, expand=False).str.strip()
    name = name.fillna(place.astype("string")).fillna("").str.casefold()
    return name.to_numpy(dtype=object)


def prepare(reports: pd.DataFrame) -> Prepared:
    """The matcher's view of a report table (canonical columns plus
    ``actor_group``, ``actor_family`` and, when joined, ``district_id``)."""
    start = iso_dates(reports["date"])
    precision = reports["date_precision"].astype("string").fillna("day")
    end = start.copy()
    end = end.mask(precision == "week", start + pd.Timedelta(days=6))
    end = end.mask(precision == "month", start + pd.offsets.MonthEnd(0))
    end = end.mask(precision == "year", start + pd.offsets.YearEnd(0))
    lo = ((start - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    hi = ((end - pd.Timestamp("1970-01-01")) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)
    geo_precision = reports["geo_precision"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    radius = np.full(len(reports), UNKNOWN_RADIUS_KM)
    for level, km in RADIUS_KM.items():
        radius[geo_precision == level] = km
    group = reports["actor_group"].astype("string").fillna("unidentified")
    family = reports["actor_family"].astype("string").fillna("unidentified")
    district = reports["district_id"] if "district_id" in reports else pd.Series(pd.NA, index=reports.index)
    return Prepared(
        lo=lo,
        hi=hi,
        precision=precision.map(_PRECISION_RANK).fillna(0).to_numpy(dtype=np.int8),
        lat=np.radians(reports["lat"].to_numpy(dtype=float, na_value=np.nan)),
        lon=np.radians(reports["lon"].to_numpy(dtype=float, na_value=np.nan)),
        radius_km=radius,
        broad=~(geo_precision == 1),
        killed=reports["killed"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        name=_name_of(reports["place"], reports["place_parsed"]),
        place=reports["place"].astype("string").fillna("").str.casefold().to_numpy(dtype=object),
        group=group.mask(group == "unidentified", "").to_numpy(dtype=object),
        family=family.mask(family == "unidentified", "").to_numpy(dtype=object),
        event_class=classes(reports["event_type"]),
        district=district.astype("string").fillna("").to_numpy(dtype=object),
        target=reports["target_category"]
        .astype("string")
        .fillna("unknown")
        .replace("unknown", "")
        .to_numpy(dtype=object),
        source=reports["source"].astype("string").fillna("").to_numpy(dtype=object),
    )


def _haversine_km(p: Prepared, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    dlat, dlon = p.lat[j] - p.lat[i], p.lon[j] - p.lon[i]
    a = np.sin(dlat / 2) ** 2 + np.cos(p.lat[i]) * np.cos(p.lat[j]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def candidate_pairs(
    p: Prepared, link_days: int, may_link: Callable[[str, str], bool] = lambda a, b: True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs ``(i, j)`` that pass the date and distance windows, with
    their gap in days and distance in km; each unordered pair once, ``i``
    before ``j`` in date order (ties by position), pairs in that order.

    ``may_link(source_a, source_b)`` says whether any report of one source may
    link to one of the other (or, for one source, within it). Sources that may
    not are never swept together: a million reports of one curated dataset
    make no pairs at all, where sweeping them would make billions.
    """
    codes, names = pd.factorize(pd.Series(p.source, dtype=object))
    members = [np.flatnonzero(codes == k) for k in range(len(names))]
    rank = np.empty(len(p.lo), dtype=np.int64)
    rank[np.lexsort((np.arange(len(p.lo)), p.lo))] = np.arange(len(p.lo))
    chunks = []
    for a in range(len(names)):
        for b in range(a, len(names)):
            if not may_link(names[a], names[b]):
                continue
            if a == b:
                swept = _sweep(p, members[a], link_days)
            else:
                swept = _cross(p, members[a], members[b], link_days)
            chunks.extend(_within_reach(p, i, j, link_days) for i, j in swept)
    if not chunks:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty, np.array([], dtype=float)
    i, j, gap, km = (np.concatenate(part) for part in zip(*chunks, strict=True))
    order = np.lexsort((rank[j], rank[i]))
    return i[order], j[order], gap[order], km[order]


def _by_date(p: Prepared, rows: np.ndarray) -> np.ndarray:
    """``rows`` in date order, ties by position."""
    return rows[np.lexsort((rows, p.lo[rows]))]


def _expand(left: np.ndarray, right: np.ndarray, first: np.ndarray, stop: np.ndarray):
    """Yield ``(left[k], right[m])`` for every ``first[k] <= m < stop[k]``, in
    chunks of at most :data:`MAX_PAIRS_PER_CHUNK` pairs."""
    counts = np.maximum(stop - first, 0)
    cumulative = np.cumsum(counts)
    start = 0
    while start < len(left):
        base = cumulative[start - 1] if start else 0
        end = max(int(np.searchsorted(cumulative, base + MAX_PAIRS_PER_CHUNK, side="right")), start + 1)
        rows = np.arange(start, min(end, len(left)))
        n = counts[rows]
        offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        yield left[np.repeat(rows, n)], right[np.repeat(first[rows], n) + offsets]
        start = rows[-1] + 1


def _sweep(p: Prepared, rows: np.ndarray, link_days: int):
    """Pairs within ``rows`` whose date windows meet: each report with those
    that start after it (in date order) and before its window closes."""
    ordered = _by_date(p, rows)
    lo = p.lo[ordered]
    reach = np.searchsorted(lo, p.hi[ordered] + link_days, side="right")
    return _expand(ordered, ordered, np.arange(1, len(ordered) + 1), reach)


def _cross(p: Prepared, rows_a: np.ndarray, rows_b: np.ndarray, link_days: int):
    """Pairs of one report of ``rows_a`` and one of ``rows_b`` whose date
    windows meet: those where the ``a`` report starts first (or the same day),
    then those where the ``b`` report does; the earlier one first."""
    a, b = _by_date(p, rows_a), _by_date(p, rows_b)
    lo_a, lo_b = p.lo[a], p.lo[b]
    yield from _expand(a, b, np.searchsorted(lo_b, lo_a, side="left"),
                       np.searchsorted(lo_b, p.hi[a] + link_days, side="right"))
    for j, i in _expand(b, a, np.searchsorted(lo_a, lo_b, side="right"),
                        np.searchsorted(lo_a, p.hi[b] + link_days, side="right")):
        yield i, j
    # (same-day starts come out a-first; candidate_pairs puts each pair in date order after)


def _within_reach(p: Prepared, i: np.ndarray, j: np.ndarray, link_days: int):
    """The pairs among ``(i, j)`` within the date and distance windows, ``i``
    the earlier: ``(i, j, gap_days, km)``."""
    swap = (p.lo[j] < p.lo[i]) | ((p.lo[j] == p.lo[i]) & (j < i))
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    gap = np.maximum(0, p.lo[j] - p.hi[i])
    radius = np.maximum(p.radius_km[i], p.radius_km[j])
    # a cheap bound first: 1° of latitude is at least 110.5 km
    near = (gap <= link_days) & ~(np.abs(p.lat[j] - p.lat[i]) * (EARTH_RADIUS_KM * 0.9999) > radius)
    same_district = np.zeros(len(i), dtype=bool)
    broad = p.broad[i] | p.broad[j]
    same_district[broad] = (p.district[i[broad]] == p.district[j[broad]]) & (p.district[i[broad]] != "")
    keep = (gap <= link_days) & (near | same_district)
    i, j, gap, radius, same_district = i[keep], j[keep], gap[keep], radius[keep], same_district[keep]
    km = _haversine_km(p, i, j)
    keep = (km <= radius) | same_district
    return i[keep], j[keep], gap[keep], km[keep]


def _name_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The better of rapidfuzz's token-set ratio and the plain ratio of the
    names without spaces (``miranshah`` / ``miran shah``), in [0, 1]; each
    distinct pair of names is scored once."""
    code_a, names_a = pd.factorize(pd.Series(a, dtype=object))
    code_b, names_b = pd.factorize(pd.Series(b, dtype=object))
    combined, codes = np.unique(code_a.astype(np.int64) * len(names_b) + code_b, return_inverse=True)
    first = [names_a[k] for k in combined // len(names_b)]
    second = [names_b[k] for k in combined % len(names_b)]
    token = process.cpdist(first, second, scorer=fuzz.token_set_ratio, workers=1)
    squeezed = process.cpdist(
        [x.replace(" ", "") for x in first],
        [y.replace(" ", "") for y in second],
        scorer=fuzz.ratio,
        workers=1,
    )
    return (np.maximum(token, squeezed) / 100)[codes]


def _class_compatibility(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    names = sorted(set(a) | set(b))
    table = {(x, y): compatibility(x, y) for x in names for y in names}
    return np.array([table[(x, y)] for x, y in zip(a, b, strict=True)], dtype=float)


def score_pairs(
    p: Prepared, i: np.ndarray, j: np.ndarray, gap: np.ndarray, km: np.ndarray, link_days: int
) -> pd.DataFrame:
    """The similarities and the score of each candidate pair."""
    coarser = np.maximum(p.precision[i], p.precision[j])
    date_weight = np.array([DATE_WEIGHT[k] for k in ("day", "week", "month", "year")])[coarser]
    date_sim = (1 - gap / (link_days + 1)) * date_weight + 0.5 * (1 - date_weight)
    radius = np.maximum(p.radius_km[i], p.radius_km[j])
    distance_sim = np.clip(1 - km / radius, 0, 1)
    distance_sim = np.where(np.isnan(distance_sim), 0.5, distance_sim)
    ka, kb = p.killed[i], p.killed[j]
    known = ~(np.isnan(ka) | np.isnan(kb))
    with np.errstate(invalid="ignore", divide="ignore"):
        killed_sim = np.where(np.maximum(ka, kb) > 0, 1 - np.abs(ka - kb) / np.maximum(ka, kb), 1.0)
    killed_sim = np.where(known, killed_sim, 0.0)
    na, nb = p.name[i], p.name[j]
    named = (na != "") & (nb != "")
    name_sim = np.zeros(len(i))
    if named.any():
        name_sim[named] = _name_similarity(na[named], nb[named])
        pa, pb = p.place[i[named]], p.place[j[named]]
        both = (pa != "") & (pb != "")
        if both.any():  # the place strings as written, too (the parser may read one and not the other)
            rows = np.flatnonzero(named)[both]
            name_sim[rows] = np.maximum(name_sim[rows], _name_similarity(pa[both], pb[both]))
    ga, gb, fa, fb = p.group[i], p.group[j], p.family[i], p.family[j]
    actor_sim = np.where((ga == "") | (gb == ""), 0.5, np.where(ga == gb, 1.0, np.where(fa == fb, 0.75, 0.0)))
    ta, tb = p.target[i], p.target[j]
    target_sim = np.where(
        (ta == "") | (tb == ""),
        0.5,
        np.where(ta == tb, 1.0, np.where((ta == "mixed") | (tb == "mixed"), 0.5, 0.0)),
    )
    da, db = p.district[i], p.district[j]
    same_district = np.where((da == "") | (db == ""), 0.5, (da == db).astype(float))
    features = {
        "date_sim": date_sim,
        "distance_sim": distance_sim,
        "type_sim": _class_compatibility(p.event_class[i], p.event_class[j]),
        "killed_sim": killed_sim,
        "killed_unknown": (~known).astype(float),
        "name_sim": name_sim,
        "name_unknown": (~named).astype(float),
        "actor_sim": actor_sim,
        "target_sim": target_sim,
        "same_district": same_district,
    }
    z = WEIGHTS["intercept"] + sum(WEIGHTS[name] * values for name, values in features.items())
    return pd.DataFrame(
        {
            "i": i,
            "j": j,
            "gap_days": gap,
            "distance_km": km,
            **features,
            "score": np.round(1 / (1 + np.exp(-z)), 6),
        }
    )
