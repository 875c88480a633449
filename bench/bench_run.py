"""Benchmark of the whole run on 1M synthetic incidents, stage by stage, and of
the kernel density step against scipy.stats.gaussian_kde.

Prints figures; asserts nothing. Run with `make bench`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_ingest  # noqa: E402  (the cached 1M-row ACLED file)


def _run(path: str) -> dict:
    import tempfile

    from geo.config import default_settings
    from geo.export.incidents import write_density_surfaces, write_ingest
    from geo.export.risk import write_risk_outputs
    from geo.incidents import ingest
    from geo.metrics.units import resolve_period

    settings = default_settings()
    stages: dict[str, float] = {}
    started = time.perf_counter()
    result = ingest([Path(path)], settings=settings)
    stages.update({f"ingest.{k}": v for k, v in result.timings_s.items()})
    period = resolve_period(result.incidents["date"])
    with tempfile.TemporaryDirectory() as tmp:
        for name, step in (
            ("metrics, hotspots, risk, styled layers", lambda: write_risk_outputs(result.incidents, settings, Path(tmp))),
            ("density surfaces (2 COGs)",
             lambda: write_density_surfaces(result.incidents, settings, Path(tmp), period)),
            ("incident outputs (GeoJSON, Parquet, run.json)",
             lambda: write_ingest(result, [Path(path)], Path(tmp), {})),
        ):
            t0 = time.perf_counter()
            step()
            stages[name] = time.perf_counter() - t0
    return {"seconds": time.perf_counter() - started, "stages": stages}


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


def main() -> None:
    path = str(bench_ingest.acled_file())
    run = bench_ingest.run_child("_run", path, module="bench_run")
    print(f"geo run stages on {bench_ingest.ROWS:,} synthetic incidents: {run['seconds']:.1f} s in all, "
          f"peak {run['peak_mb']:.0f} MB")
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
