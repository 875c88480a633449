"""Time the linker on 100,000 reports from three sources.

Seeded SYNTHETIC events (geo.incidents.synthetic) over ten years are reported
by three sources, each seeing part of them (90 %, 80 %, 70 %) with the
perturbations of the labelled set (dates ±2 days, positions moved up to 10 km
or put at a district centroid, counts ±30 %, place names respelled); the
linker (geo.linking.link_reports) runs on their canonical rows, already joined
(the district is the generator's). Prints the time and the precision and recall
of the links against the truth. Not a unit test: run it by hand.

    .venv/bin/python bench/bench_link.py [--reports 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from geo.actors import name_actors
from geo.boundaries.names import slug
from geo.incidents.synthetic import generate
from geo.linking import link_reports
from geo.linking.labelled import district_points, score_links

SHARES = {"source A": 0.9, "source B": 0.8, "source C": 0.7}
ACTORS = (
    "Tehrik-i-Taliban Pakistan (TTP)",
    "TTP",
    "BLA",
    "Balochistan Liberation Army",
    "IS-K",
    "Unknown",
    "Lashkar-e-Islam",
    "Hafiz Gul Bahadur Group",
    "BLF",
)


def reports(n_reports: int, seed: int = 1) -> tuple[pd.DataFrame, frozenset]:
    events = int(n_reports / sum(SHARES.values()))
    base = generate(events, seed=seed, start="2015-01-01", end="2024-12-31").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    base["district_id"] = "PK-" + base["source_admin2"].astype(str).map(slug)
    base["perpetrator"] = rng.choice(ACTORS, size=len(base))
    centroids = {f"PK-{slug(k.split('-', 2)[-1])}": v for k, v in district_points().items()}
    parts, members = [], {}
    for name, share in SHARES.items():
        seen = np.flatnonzero(rng.random(len(base)) < share)
        part = base.iloc[seen].copy()
        m = len(part)
        part["date"] = (
            pd.to_datetime(part["date"]) + pd.to_timedelta(rng.integers(-2, 3, m), unit="D")
        ).dt.strftime("%Y-%m-%d")
        bearing, km = rng.uniform(0, 2 * np.pi, m), rng.uniform(0, 10, m)
        part["lat"] = part["lat"] + km * np.cos(bearing) / 110.574
        part["lon"] = part["lon"] + km * np.sin(bearing) / (111.320 * np.cos(np.radians(part["lat"])))
        snap = rng.random(m) < 0.3
        points = part["district_id"].map(lambda d: centroids.get(d, (np.nan, np.nan)))
        has = points.map(lambda v: v[0] == v[0]).to_numpy() & snap
        part.loc[has, "lat"] = points[has].map(lambda v: v[0]).to_numpy()
        part.loc[has, "lon"] = points[has].map(lambda v: v[1]).to_numpy()
        part["geo_precision"] = np.where(has, 2, 1)
        killed = part["killed"].astype("Float64")
        part["killed"] = (killed * rng.uniform(0.7, 1.3, m)).round().astype("Int32")
        part["place"] = (
            part["place"]
            .astype("string")
            .str.replace("a", "e", n=1, regex=False)
            .where(rng.random(m) < 0.3, part["place"].astype("string"))
        )
        part["source"], part["source_id"] = name, [f"{slug(name)}-{k}" for k in range(m)]
        part["incident_id"] = slug(name) + ":" + part["source_id"]
        for event, incident in zip(seen, part["incident_id"], strict=True):
            members.setdefault(int(event), []).append(incident)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table = pd.concat([table, name_actors(table["perpetrator"])], axis=1)
    for column in ("geocode_method", "place_parsed"):
        if column not in table:
            table[column] = pd.NA
    truth = frozenset(
        (a, b) for group in members.values() for k, a in enumerate(group) for b in group[k + 1 :]
    )
    return table, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    args = parser.parse_args()
    table, truth = reports(args.reports)
    started = time.perf_counter()
    linked = link_reports(table)  # the defaults of geo run
    seconds = time.perf_counter() - started
    quality = score_links(linked.reports, truth)
    print(
        f"{len(table):,} reports from {table['source'].nunique()} sources → {len(linked.events):,} events; "
        f"{len(linked.pairs):,} candidate pairs; linked in {seconds:.1f} s"
    )
    print(
        f"precision {quality['precision']:.3f}, recall {quality['recall']:.3f} "
        f"({quality['correct']:,} of {quality['predicted']:,} links correct, {quality['true']:,} true)"
    )


if __name__ == "__main__":
    main()
