"""Benchmark of the whole run (issue 12, "Fast everyday run"), and of the kernel
density step against scipy.stats.gaussian_kde.

Targets, each printed as a ratio against a baseline measured in this same
bench run (pairs alternate baseline and ours, and the median of the pair
ratios is shown, so that the load of a shared machine cancels out):

- the embedded sample, ``geo run`` ≤ 3× the import floor (a fresh python
  importing geopandas, folium and rasterio);
- a 6k-event file (ACLED export layout) ≤ 5× the import floor;
- 1M incidents, ``geo run`` ≤ 20 s (stage by stage, from
  :func:`geo.pipeline.run`'s ``timings_s``, which is what ``timings.json`` holds).

Each run also prints its CPU time, summed over every process it starts, and
what that bounds: work of C CPU seconds takes at least C / n seconds on n
cores, however it is split, so a target below that bound needs less work,
not more parallelism.

The 1M ``geo ingest`` target (≤ 1.2× a naive read_csv + sjoin + to_parquet,
peak < 4 GB) is in ``bench_ingest.py``. Prints figures; asserts nothing.
Run with `make bench`; ``GEO_BENCH_PAIRS`` sets the number of pairs (3).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_ingest  # noqa: E402  (the cached 1M-row ACLED file, the child-process runner)

PAIRS = int(os.environ.get("GEO_BENCH_PAIRS", "3"))
IMPORT_FLOOR = "import geopandas, folium, rasterio"
SIX_K_EVENTS = 6_416
RUN_1M_TARGET_S = 20.0


def _seconds(command: list[str]) -> tuple[float, float]:
    """Wall time of one fresh process, start-up and imports included, and the
    CPU time (user + system) of it and of every child process it waited for."""
    started, cpu = time.perf_counter(), bench_ingest.cpu_seconds()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started, bench_ingest.cpu_seconds() - cpu


def paired_ratio(command: list[str], baseline: list[str], pairs: int = PAIRS) -> dict[str, float]:
    """Median over ``pairs`` of (ours / baseline), each pair run back to back,
    and the median CPU seconds of ours (``cpu_s``)."""
    ours, base = [], []
    for _ in range(pairs):
        base.append(_seconds(baseline))
        ours.append(_seconds(command))
    return {"ratio": statistics.median(o / b for (o, _), (b, _) in zip(ours, base, strict=True)),
            "seconds": statistics.median(o for o, _ in ours), "baseline_s": statistics.median(b for b, _ in base),
            "cpu_s": statistics.median(c for _, c in ours)}


def _run(path: str) -> dict:
    """``geo.pipeline.run`` on one file, in this process: total and per stage."""
    from geo.pipeline import run

    with tempfile.TemporaryDirectory() as tmp:
        started, cpu = time.perf_counter(), bench_ingest.cpu_seconds()
        result = run([Path(path)], Path(tmp) / "out")
        return {"seconds": time.perf_counter() - started, "cpu_s": bench_ingest.cpu_seconds() - cpu,
                "stages": result.timings_s}


def _kde_against_scipy() -> dict:
    import numpy as np

    from geo.config import default_settings
    from geo.metrics.density import density_surface

    rng = np.random.default_rng(0)
    n = 5_000
    lon, lat = rng.uniform(69, 71, n), rng.uniform(32, 34, n)
    crs = default_settings().equal_area_crs
    t0 = time.perf_counter()
    surface = density_surface(lon, lat, bounds_lonlat=(69, 32, 71, 34), crs=crs, kernel="gaussian",
                              bandwidth_km=10)
    ours = time.perf_counter() - t0
    try:
        from pyproj import Transformer
        from scipy.stats import gaussian_kde
    except ImportError:
        return {"ours_s": ours, "scipy_s": None, "cells": surface.values.size, "points": n}
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    rows, cols = surface.values.shape
    t = surface.transform
    gx = t.c + (np.arange(cols) + 0.5) * t.a
    gy = t.f + (np.arange(rows) + 0.5) * t.e
    mesh = np.vstack([np.repeat(gx, rows), np.tile(gy, cols)])
    kde = gaussian_kde(np.vstack([x, y]), bw_method=10_000.0 / np.sqrt(np.cov(np.vstack([x, y])).diagonal().mean()))
    t0 = time.perf_counter()
    kde(mesh)
    return {"ours_s": ours, "scipy_s": time.perf_counter() - t0, "cells": surface.values.size, "points": n}


def _target(name: str, measured: dict[str, float], limit: float) -> None:
    verdict = "met" if measured["ratio"] <= limit else "NOT met"
    cores, bound = bench_ingest.cores(), bench_ingest.fastest_split_s(measured["cpu_s"])
    print(f"{name}: {measured['seconds']:.2f} s against {measured['baseline_s']:.2f} s, "
          f"ratio {measured['ratio']:.2f} (median of {PAIRS} pairs; target ≤ {limit:g}: {verdict}); "
          f"{measured['cpu_s']:.1f} s of CPU in all its processes, which no split on {cores} cores "
          f"runs in under {bound:.2f} s ({bound / measured['baseline_s']:.2f}x the floor)")


def main() -> None:
    geo = [sys.executable, "-m", "geo"]
    floor = [sys.executable, "-c", IMPORT_FLOOR]
    with tempfile.TemporaryDirectory() as tmp:
        six_k = Path(tmp) / "acled_6k.csv"
        subprocess.run([*geo, "synthetic", "-n", str(SIX_K_EVENTS), "--seed", "12", "--format", "acled",
                        str(six_k)], check=True, capture_output=True)
        _target("sample `geo run` / import floor (geopandas, folium, rasterio)",
                paired_ratio([*geo, "run", "--out", str(Path(tmp) / "sample"), "-q"], floor), 3.0)
        _target(f"{SIX_K_EVENTS:,}-event ACLED-layout file `geo run` / import floor",
                paired_ratio([*geo, "run", str(six_k), "--out", str(Path(tmp) / "six_k"), "-q"], floor), 5.0)
    path = str(bench_ingest.acled_file())
    run = bench_ingest.run_child("_run", path, module="bench_run")
    verdict = "met" if run["seconds"] <= RUN_1M_TARGET_S else "NOT met"
    print(f"geo run (geo.pipeline.run) on {bench_ingest.ROWS:,} synthetic incidents: {run['seconds']:.1f} s, "
          f"ratio to the {RUN_1M_TARGET_S:g} s target {run['seconds'] / RUN_1M_TARGET_S:.2f} ({verdict}), "
          f"peak {run['peak_mb']:.0f} MB; {run['cpu_s']:.1f} s of CPU in all its processes, which no split "
          f"on {bench_ingest.cores()} cores runs in under {bench_ingest.fastest_split_s(run['cpu_s']):.1f} s")
    for name, seconds in sorted(run["stages"].items(), key=lambda kv: -kv[1]):
        print(f"  {seconds:6.1f} s  {name}")
    kde = _kde_against_scipy()
    if kde["scipy_s"] is None:
        print(f"KDE of {kde['points']:,} points on {kde['cells']:,} cells: {kde['ours_s']:.3f} s (scipy not installed)")
    else:
        print(f"KDE of {kde['points']:,} points on {kde['cells']:,} cells: binned FFT {kde['ours_s']:.3f} s, "
              f"scipy.stats.gaussian_kde {kde['scipy_s']:.1f} s (ratio {kde['scipy_s'] / kde['ours_s']:.0f}x)")


if __name__ == "__main__":
    main()
