"""A labelled test set for the linker: a real source re-reported as a second one.

:func:`rereport` takes the reports of one source (the shared UCDP GED excerpt,
ingested) and writes what a second source might have said about part of them,
with these perturbations (seeded; the same input and seed give the same file):

- ``share`` of the reports (default 60 %) are re-reported; the others are not;
- dates moved by 0, ±1 or ±2 days (the precision is kept);
- positions moved by up to 10 km in a random direction, or (30 %) snapped to
  the centroid of their district with ``geo_precision`` 2;
- killed scaled by 0.7–1.3 and rounded; 15 % of counts dropped, and the split
  by victim category dropped in half of the reports;
- place names respelled (feature words dropped, words joined or split, vowels
  changed, a letter dropped); 10 % of places dropped;
- actors written as another source would (another alias of the same group),
  20 % dropped; event types written as a report would, 20 % dropped; the
  target category dropped in 20 %;
- ``unrelated`` events (default 150) that are not re-reports: copies of reports
  moved 30–400 days in time, or 100–300 km in space, with new counts, and
  kept only when no report of the base lies within 7 days and 100 km (else it
  would be a re-report of that one, not an unrelated event).

The truth is the set of pairs ``(incident_id of the original, incident_id of
its re-report)``; :func:`score_links` measures precision and recall of the
cross-source links an event table makes against it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from geo.boundaries.names import slug

REREPORT_SOURCE = "re-reported test source (perturbed UCDP, not real data)"
_FEATURE_WORDS = ("town", "village", "city", "area", "valley", "agency", "district", "bazaar")
# How a second source writes the actors UCDP names (same group in the alias table).
_ALIASES = {
    "Government of Pakistan": ("Pakistani security forces", "Military Forces of Pakistan", "Pakistan Army"),
    "al-Qaida": ("Al-Qaeda", "al Qaida"),
    "BLA": ("Baloch Liberation Army", "Balochistan Liberation Army (BLA)"),
    "LeJ": ("Lashkar-e-Jhangvi", "Lashkar-i-Jhangvi"),
    "MQM": ("Muttahida Qaumi Movement",),
    "MQM-H": ("MQM Haqiqi",),
    "Taleban": ("Taliban",),
    "Jondullah": ("Jundallah",),
}
_TYPES = {
    "state-based conflict": ("armed clash", "attack", "security operation", "bomb blast"),
    "non-state conflict": ("clash", "armed clash", "targeted killing"),
    "one-sided violence": ("attack on civilians", "targeted killing", "bomb blast", "shooting"),
}


@dataclasses.dataclass(frozen=True)
class LabelledSet:
    """The second source as a table in canonical column names, and the truth."""

    rereports: pd.DataFrame
    truth: frozenset[tuple[str, str]]


def _respell(name: str, rng: np.random.Generator) -> str:
    words = [w for w in name.split() if w.casefold() not in _FEATURE_WORDS] or name.split()
    text = " ".join(words)
    choice = rng.integers(0, 5)
    if choice == 0 and len(words) > 1:
        text = "".join(words[:2]) + (" " + " ".join(words[2:]) if len(words) > 2 else "")
    elif choice == 1 and len(text) > 6 and " " not in text:
        cut = len(text) // 2
        text = text[:cut] + " " + text[cut:].capitalize()
    elif choice == 2:
        for old, new in (("ee", "i"), ("i", "ee"), ("oo", "u"), ("u", "oo"), ("a", "e")):
            if old in text[1:]:
                text = text[0] + text[1:].replace(old, new, 1)
                break
    elif choice == 3 and len(text) > 5:
        k = int(rng.integers(1, len(text) - 1))
        text = text[:k] + text[k + 1 :]
    return text


def _moved(lat: float, lon: float, km: float, rng: np.random.Generator) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * np.pi)
    dlat = km * np.cos(bearing) / 110.574
    dlon = km * np.sin(bearing) / (111.320 * np.cos(np.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def rereport(
    reports: pd.DataFrame,
    centroids: dict[str, tuple[float, float]],
    *,
    share: float = 0.6,
    unrelated: int = 150,
    seed: int = 13,
) -> LabelledSet:
    """Re-report part of ``reports`` as a second source (see the module).

    Parameters
    ----------
    reports
        Ingested, joined reports of one source (``incident_id``, ``district_id``…).
    centroids
        ``district_id`` → (lat, lon) of a point inside the district.
    """
    rng = np.random.default_rng(seed)
    base = reports.sort_values("incident_id", kind="stable", ignore_index=True)
    chosen = np.sort(rng.choice(len(base), size=int(round(share * len(base))), replace=False))
    rows, truth = [], set()
    prefix = slug(REREPORT_SOURCE)
    for k, position in enumerate(chosen):
        row = base.iloc[int(position)]
        new = _perturbed(row, rng, centroids)
        new["source_id"] = f"R{k:05d}"
        rows.append(new)
        truth.add((str(row["incident_id"]), f"{prefix}:R{k:05d}"))
    days = pd.to_datetime(base["date"]).to_numpy()
    lat, lon = base["lat"].to_numpy(dtype=float), base["lon"].to_numpy(dtype=float)
    k = 0
    while k < unrelated:
        row = base.iloc[int(rng.integers(0, len(base)))]
        new = _perturbed(row, rng, centroids)
        date = pd.Timestamp(row["date"])
        if k % 2 == 0:
            date = date + pd.Timedelta(days=int(rng.integers(30, 400)) * int(rng.choice([-1, 1])))
        else:
            new["lat"], new["lon"] = _moved(float(row["lat"]), float(row["lon"]), rng.uniform(100, 300), rng)
            new["geo_precision"] = 1
        if _near_a_report(date, new["lat"], new["lon"], days, lat, lon):
            continue  # it would be a re-report of another event, not an unrelated one
        new["date"] = date.date().isoformat()
        new["killed"] = int(rng.integers(0, 8))
        new["source_id"] = f"U{k:05d}"
        rows.append(new)
        k += 1
    table = pd.DataFrame(rows)
    return LabelledSet(table.reset_index(drop=True), frozenset(truth))


def _near_a_report(
    date: pd.Timestamp, lat: float, lon: float, days: np.ndarray, lats: np.ndarray, lons: np.ndarray
) -> bool:
    """Whether a report of the base lies within 7 days and 100 km of a point."""
    close = np.abs((days - np.datetime64(date)) / np.timedelta64(1, "D")) <= 7
    km = 111.2 * np.hypot(lats[close] - lat, (lons[close] - lon) * np.cos(np.radians(lat)))
    return bool((km <= 100).any())


def _perturbed(row: pd.Series, rng: np.random.Generator, centroids: dict[str, tuple[float, float]]) -> dict:
    date = pd.Timestamp(row["date"]) + pd.Timedelta(days=int(rng.integers(-2, 3)))
    lat, lon, precision = float(row["lat"]), float(row["lon"]), row["geo_precision"]
    district = row.get("district_id")
    if rng.random() < 0.3 and isinstance(district, str) and district in centroids:
        lat, lon = centroids[district]
        precision = 2
    else:
        lat, lon = _moved(lat, lon, rng.uniform(0, 10), rng)
    killed = row["killed"]
    killed = (
        pd.NA if killed is pd.NA or rng.random() < 0.15 else int(round(float(killed) * rng.uniform(0.7, 1.3)))
    )
    split = rng.random() < 0.5
    place = row["place"]
    place = pd.NA if not isinstance(place, str) or rng.random() < 0.1 else _respell(place, rng)
    actor = row["perpetrator"]
    if not isinstance(actor, str) or rng.random() < 0.2:
        actor = "Unknown"
    elif actor in _ALIASES:
        actor = str(rng.choice(_ALIASES[actor]))
    kind = row["event_type"]
    if not isinstance(kind, str) or rng.random() < 0.2:
        kind = pd.NA
    elif kind in _TYPES:
        kind = str(rng.choice(_TYPES[kind]))
    return {
        "source": REREPORT_SOURCE,
        "date": date.date().isoformat(),
        "date_precision": row["date_precision"],
        "lat": lat,
        "lon": lon,
        "geo_precision": precision,
        "place": place,
        "source_admin1": row["source_admin1"],
        "source_admin2": row["source_admin2"],
        "event_type": kind,
        "perpetrator": actor,
        "target_category": "unknown" if rng.random() < 0.2 else row["target_category"],
        "killed": killed,
        "killed_civilians": row["killed_civilians"] if split else pd.NA,
        "killed_security": row["killed_security"] if split else pd.NA,
        "killed_militants": row["killed_militants"] if split else pd.NA,
        "synthetic": True,
        "notes": "SYNTHETIC re-report of a UCDP GED event for testing the linker",
    }


def score_links(reports: pd.DataFrame, truth: frozenset[tuple[str, str]]) -> dict[str, float | int]:
    """Precision and recall of the cross-source links in ``reports`` (one row per
    report with ``event_id``, ``incident_id``, ``source``) against ``truth``."""
    predicted = set()
    for _, members in reports.groupby("event_id")[["incident_id", "source"]]:
        if len(members) < 2:
            continue
        items = list(members.itertuples(index=False))
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                if items[a].source != items[b].source:
                    predicted.add(tuple(sorted((str(items[a].incident_id), str(items[b].incident_id)))))
    truth_sorted = {tuple(sorted(pair)) for pair in truth}
    hits = len(predicted & truth_sorted)
    return {
        "predicted": len(predicted),
        "true": len(truth_sorted),
        "correct": hits,
        "precision": hits / len(predicted) if predicted else 1.0,
        "recall": hits / len(truth_sorted) if truth_sorted else 1.0,
    }


def district_points(boundaries_dir: Path | None = None) -> dict[str, tuple[float, float]]:
    """``district_id`` → (lat, lon) of a point inside each district (its centroid
    when that lies inside, else shapely's representative point)."""
    from geo import boundaries

    districts = boundaries.load("districts", boundaries_dir=boundaries_dir)
    out = {}
    for district_id, geometry in zip(districts["district_id"], districts.geometry, strict=True):
        point = geometry.centroid if geometry.contains(geometry.centroid) else geometry.representative_point()
        out[str(district_id)] = (round(point.y, 5), round(point.x, 5))
    return out


def write_labelled(
    source_file: Path,
    folder: Path,
    *,
    seed: int = 13,
    share: float = 0.6,
    unrelated: int = 150,
    settings=None,
) -> tuple[Path, frozenset[tuple[str, str]]]:
    """Ingest ``source_file`` (without linking), re-report it (:func:`rereport`)
    into ``folder/rereported_<seed>.csv`` and return that file and the truth."""
    from geo.config import default_settings
    from geo.export.tables import write_csv
    from geo.pipeline import ingest

    settings = dataclasses.replace(settings or default_settings(), link=False)
    reports = ingest([Path(source_file)], settings=settings).reports
    labelled = rereport(
        reports, district_points(settings.boundaries_dir), share=share, unrelated=unrelated, seed=seed
    )
    path = write_csv(labelled.rereports, Path(folder) / f"rereported_{seed}.csv")
    return path, labelled.truth
