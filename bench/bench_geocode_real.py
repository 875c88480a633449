"""Geocoding of real place strings: the UCDP GED excerpt with its coordinates removed.

The excerpt in ``../shared/data`` beside the repository (or ``--excerpt FILE``) is copied with
``latitude`` and ``longitude`` blanked, ingested as any file would be (its
``where_coordinates`` is the place, ``adm_1``/``adm_2`` the hints), and the
geocoded points are compared with UCDP's own coordinates. The figures are for
the events UCDP places exactly (``where_prec`` 1): the share resolved at place
level (gazetteer, precision 1), and for those the geodesic distance to UCDP's
point (median, share within 10 km, share over 50 km). Also printed: the same
per distinct place string, how every event of the excerpt was resolved, and the
time taken.

Data: UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program;
Sundberg & Melander 2013, Journal of Peace Research 50(4) (CC BY 4.0).

Run with ``make bench`` or ``python bench/bench_geocode_real.py``; asserts
nothing (``tests/test_geocode_real.py`` asserts the aims).
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Geod

EXCERPT = Path(__file__).resolve().parents[2] / "shared" / "data" / "ucdp_ged_pakistan_1989-2006.csv"
# The aims of issue 15: place-level share, and for those, near and far shares.
AIM_PLACE_LEVEL = 0.60
AIM_WITHIN_10_KM = 0.90
AIM_OVER_50_KM = 0.02
_GEOD = Geod(ellps="WGS84")


def without_coordinates(source: Path, dest: Path) -> Path:
    """Copy a UCDP GED CSV with ``latitude`` and ``longitude`` blanked, every
    other cell (the HXL row and line ends included) as it was."""
    with open(source, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    blank = [header.index(c) for c in ("latitude", "longitude")]
    with open(dest, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows[1:]:
            is_hxl = _is_hxl(row)
            writer.writerow(row if is_hxl else [("" if i in blank else v) for i, v in enumerate(row)])
    return dest


def _is_hxl(row) -> bool:
    """A row of ``#hashtag`` (HXL) tags: every non-empty cell starts with "#"."""
    cells = [c for c in row if c]
    return bool(cells) and all(c.startswith("#") for c in cells)


def measure(excerpt: Path = EXCERPT) -> dict[str, object]:
    """Geocode the excerpt without its coordinates and compare with UCDP's.

    Returns
    -------
    dict with ``exact_events`` (where_prec 1), ``place_level_share``,
    ``median_km``, ``within_10_km_share`` and ``over_50_km_share`` (of the
    place-level ones), the same per distinct place string (``strings_*``),
    ``methods`` (how all events were resolved), and ``geocode_s``.
    """
    from geo.pipeline import ingest

    truth = pd.read_csv(excerpt, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    truth = truth[[not _is_hxl(r) for r in truth.itertuples(index=False)]]
    with tempfile.TemporaryDirectory(prefix="geo-bench-ucdp-") as tmp:
        path = without_coordinates(excerpt, Path(tmp) / excerpt.name)
        started = time.perf_counter()
        result = ingest([path])
        seconds = time.perf_counter() - started
    found = result.incidents.set_index(result.incidents["source_id"].astype(str))
    events = truth.assign(
        method=truth["id"].map(found["geocode_method"]).fillna("rejected"),
        precision=truth["id"].map(found["geo_precision"]),
        lat=truth["id"].map(found["lat"]).astype(float),
        lon=truth["id"].map(found["lon"]).astype(float),
        parsed=truth["id"].map(found["place_parsed"]) if "place_parsed" in found else "",
    )
    events["place_level"] = (events["method"] == "gazetteer") & (events["precision"] == 1)
    _, _, metres = _GEOD.inv(events["longitude"].astype(float).to_numpy(),
                             events["latitude"].astype(float).to_numpy(),
                             events["lon"].fillna(0).to_numpy(), events["lat"].fillna(0).to_numpy())
    events["km"] = np.where(events["lat"].notna(), metres / 1000.0, np.nan)
    exact = events[events["where_prec"] == "1"]
    rejects = result.rejects.assign(id=[_ucdp_id(o) for o in result.rejects["original"]])
    reasons = events["id"].map(rejects.set_index("id")["reason"]).fillna("")
    methods = (events["method"].where(events["method"] != "gazetteer",
                                      "gazetteer_p" + events["precision"].astype("string").fillna("?"))
               .where(events["method"] != "rejected", "rejected_" + reasons))
    strings = exact.groupby(["where_coordinates", "adm_1", "adm_2"], sort=True).agg(
        place_level=("place_level", "first"), km=("km", "first"))
    return {
        "exact_events": len(exact),
        **_shares(exact),
        "strings": len(strings),
        **{f"strings_{k}": v for k, v in _shares(strings.reset_index()).items()},
        "methods": methods.value_counts().sort_index().to_dict(),
        "geocode_s": round(result.timings_s.get("geocode_s", seconds), 3),
        "ingest_s": round(seconds, 3),
        "worst": exact[exact["place_level"]].nlargest(5, "km")[
            ["where_coordinates", "adm_2", "parsed", "km"]].to_dict("records"),
        "unresolved": sorted(set(exact.loc[~exact["place_level"], "where_coordinates"])),
    }


def _shares(rows: pd.DataFrame) -> dict[str, float]:
    placed = rows.loc[rows["place_level"], "km"]
    n = max(len(placed), 1)
    return {
        "place_level_share": round(float(rows["place_level"].mean()) if len(rows) else 0.0, 4),
        "median_km": round(float(placed.median()), 2) if len(placed) else float("nan"),
        "within_10_km_share": round(float((placed <= 10).sum()) / n, 4),
        "over_50_km_share": round(float((placed > 50).sum()) / n, 4),
    }


def _ucdp_id(original: str) -> str:
    import json

    try:
        return str(json.loads(original).get("id", ""))
    except (ValueError, AttributeError):
        return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--excerpt", type=Path, default=EXCERPT)
    args = parser.parse_args()
    if not args.excerpt.exists():
        print(f"UCDP excerpt {args.excerpt} not found; skipped")
        return
    r = measure(args.excerpt)
    print(f"UCDP GED excerpt without coordinates: {r['exact_events']} exactly located events (where_prec 1), "
          f"{r['strings']} distinct place strings; geocoded in {r['geocode_s']:.2f} s (whole ingest "
          f"{r['ingest_s']:.2f} s)")
    for label, prefix in (("events", ""), ("strings", "strings_")):
        print(f"  {label}: place level {r[prefix + 'place_level_share']:.1%} (aim ≥ {AIM_PLACE_LEVEL:.0%}); "
              f"of those, median {r[prefix + 'median_km']:.2f} km, within 10 km "
              f"{r[prefix + 'within_10_km_share']:.1%} (aim ≥ {AIM_WITHIN_10_KM:.0%}), over 50 km "
              f"{r[prefix + 'over_50_km_share']:.1%} (aim ≤ {AIM_OVER_50_KM:.0%})")
    print("  all events by method: " + ", ".join(f"{k} {v}" for k, v in r["methods"].items()))
    print("  farthest place-level matches: " + "; ".join(
        f"{w['where_coordinates']} → {w['parsed']} {w['km']:.1f} km" for w in r["worst"]))
    print(f"  exact strings not placed at place level ({len(r['unresolved'])}): "
          + ", ".join(r["unresolved"]))


if __name__ == "__main__":
    main()
