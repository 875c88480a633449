"""Benchmark of incident ingest: 1M ACLED-format rows, and geocoding 100k names.

Each measurement runs in its own process so that its peak memory is its own.
Prints figures and ratios against naive baselines (the 1M ingest: the median ratio of
``GEO_BENCH_PAIRS`` back-to-back pairs, 3 by default); asserts nothing.
Run with `make bench` (the 1M-row file is generated once into the cache folder).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from geo.config import default_settings

ROWS = 1_000_000
GEOCODE_ROWS = 100_000
PAIRS = int(os.environ.get("GEO_BENCH_PAIRS", "3"))
RATIO_TARGET = 1.2  # issue 12: ours / the naive baseline
PEAK_TARGET_MB = 4_000


def acled_file() -> Path:
    path = default_settings().cache_dir / f"bench_acled_{ROWS}.csv"
    if not path.exists():
        from geo.export.tables import write_csv
        from geo.incidents.synthetic import generate, to_acled

        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(to_acled(generate(ROWS, seed=42)), path)
    return path


def cpu_seconds() -> float:
    """CPU time (user + system) so far of this process's threads and of every
    child process it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0))


def fastest_split_s(cpu_s: float) -> float:
    """The shortest wall time work of ``cpu_s`` CPU seconds can take on :func:`cores`,
    however it is split (C seconds of CPU take at least C / n seconds on n cores)."""
    return cpu_s / cores()


def _ours(path: str) -> dict:
    import tempfile

    from geo.export.tables import write_parquet
    from geo.pipeline import ingest

    started, cpu = time.perf_counter(), cpu_seconds()
    result = ingest([Path(path)])
    with tempfile.TemporaryDirectory() as tmp:
        write_parquet(result.incidents, Path(tmp) / "incidents.parquet")
    return {"seconds": time.perf_counter() - started, "cpu_s": cpu_seconds() - cpu, "stages": result.timings_s,
            "accepted": len(result.incidents), "rejected": len(result.rejects)}


def _baseline(path: str) -> dict:
    import tempfile

    import geopandas as gpd
    import pandas as pd

    from geo import boundaries

    started = time.perf_counter()
    frame = pd.read_csv(path)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["longitude"], frame["latitude"]),
                              crs="EPSG:4326")
    joined = gpd.sjoin(points, boundaries.load("tehsils")[["tehsil_id", "geometry"]], how="left",
                       predicate="within")
    with tempfile.TemporaryDirectory() as tmp:
        joined.to_parquet(Path(tmp) / "x.parquet")
    return {"seconds": time.perf_counter() - started, "rows": len(joined)}


def _geocode(naive: bool) -> dict:
    import numpy as np
    import pandas as pd

    from geo.geocode import Gazetteer, geocode

    gazetteer = Gazetteer()
    names = pd.read_csv(default_settings().boundaries_dir / "geonames_places.csv", keep_default_na=False)
    names = names.loc[names["country"] == "Pakistan", "name"].tolist()[:300]
    pool = names + [n.replace("a", "e", 1) for n in names[:100]] + ["Torkham", "Xyzzy"] * 10
    rng = np.random.default_rng(0)
    n = 2_000 if naive else GEOCODE_ROWS
    frame = pd.DataFrame({"place": rng.choice(pool, n), "source_admin1": None, "source_admin2": None})
    started = time.perf_counter()
    if naive:
        for place in frame["place"]:
            gazetteer.match(place)
        resolved = n
    else:
        resolved = int((geocode(frame, gazetteer)["reason"] == "").sum())
    return {"seconds": time.perf_counter() - started, "rows": n, "resolved": resolved, "distinct": len(set(pool))}


def run_child(name: str, *args: str, module: str = "bench_ingest") -> dict:
    """Run ``module.name(*args)`` in a fresh Python; its result gains the peak memory."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(Path(__file__).parent)!r});"
            f"import {module} as b; r = b.{name}(*{list(args)!r});"
            "r['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    path = str(acled_file())
    pairs = []  # baseline and ours back to back, so that the machine's load cancels out in the ratio
    for _ in range(PAIRS):
        base = run_child("_baseline", path)
        pairs.append((run_child("_ours", path), base))
    ours, base = pairs[-1]
    ratio = statistics.median(o["seconds"] / b["seconds"] for o, b in pairs)
    peak = max(o["peak_mb"] for o, _ in pairs)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in ours["stages"].items())
    print(f"ingest+join+parquet of {ROWS:,} ACLED rows: {statistics.median(o['seconds'] for o, _ in pairs):.1f} s, "
          f"peak {peak:.0f} MB (target < {PEAK_TARGET_MB:,} MB: {'met' if peak < PEAK_TARGET_MB else 'NOT met'}) "
          f"({stages}; accepted {ours['accepted']:,}, rejected {ours['rejected']:,})")
    print(f"naive baseline read_csv+sjoin+to_parquet: {statistics.median(b['seconds'] for _, b in pairs):.1f} s, "
          f"peak {base['peak_mb']:.0f} MB (ratio ours/baseline {ratio:.2f}, median of {PAIRS} pairs; "
          f"target ≤ {RATIO_TARGET:g}: {'met' if ratio <= RATIO_TARGET else 'NOT met'})")
    cpu = statistics.median(o["cpu_s"] for o, _ in pairs)
    bound = fastest_split_s(cpu)
    print(f"  ours used {cpu:.1f} s of CPU, which no split on {cores()} cores runs in under {bound:.1f} s "
          f"(ratio {bound / statistics.median(b['seconds'] for _, b in pairs):.2f} to the baseline)")
    cached = run_child("_geocode", "")
    naive = run_child("_geocode", "1")
    per_row = cached["seconds"] / cached["rows"]
    per_row_naive = naive["seconds"] / naive["rows"]
    print(f"geocode {cached['rows']:,} name-only rows ({cached['distinct']} distinct names): {cached['seconds']:.2f} s, "
          f"{cached['resolved']:,} resolved; naive per-row matching {per_row_naive * 1e3:.2f} ms/row "
          f"(ratio {per_row_naive / per_row:.0f}x)")


if __name__ == "__main__":
    main()
