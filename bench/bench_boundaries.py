"""Benchmark of the boundary layers: loading, point lookup, rebuild.

Prints measured figures and ratios against naive baselines run in the same
process. Nothing is asserted; run with `make bench`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
import shapely.geometry

from geo import boundaries
from geo.config import default_settings


def best_of(repeats: int, func: Callable[[], object]) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def naive_load(layer: str) -> gpd.GeoDataFrame:
    """json + shapely.geometry.shape per feature, as a script would do it."""
    path = boundaries.layer_path(layer)
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = [dict(f["properties"], geometry=shapely.geometry.shape(f["geometry"])) for f in collection["features"]]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def main() -> None:
    load_all = best_of(5, lambda: [boundaries.load(name) for name in boundaries.LAYERS])
    naive_all = best_of(5, lambda: [naive_load(name) for name in boundaries.LAYERS])
    print(f"load all {len(boundaries.LAYERS)} layers: geo.boundaries.load {load_all * 1000:.0f} ms, "
          f"naive json+shapely {naive_all * 1000:.0f} ms (ratio {naive_all / load_all:.1f}x)")

    tehsils = boundaries.load("tehsils")
    west, south, east, north = tehsils.total_bounds
    rng = np.random.default_rng(0)
    n_bulk, n_naive = 1_000_000, 20_000
    lon, lat = rng.uniform(west, east, n_bulk), rng.uniform(south, north, n_bulk)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    started = time.perf_counter()
    joined = gpd.sjoin(points, tehsils[["tehsil_id", "geometry"]], how="left", predicate="within")
    bulk = time.perf_counter() - started
    geometries = list(tehsils.geometry.values)
    for g in geometries:
        shapely.prepare(g)
    started = time.perf_counter()
    for x, y in zip(lon[:n_naive], lat[:n_naive], strict=True):
        point = shapely.Point(x, y)
        next((i for i, g in enumerate(geometries) if g.contains(point)), None)
    naive = time.perf_counter() - started
    per_bulk, per_naive = bulk / n_bulk, naive / n_naive
    print(f"point → tehsil: sjoin of {n_bulk:,} points {bulk:.2f} s ({per_bulk * 1e6:.2f} µs/point, "
          f"{int(joined['tehsil_id'].notna().sum()):,} inside); naive loop over polygons "
          f"{per_naive * 1e6:.1f} µs/point on {n_naive:,} points (ratio {per_naive / per_bulk:.0f}x)")

    size = sum(p.stat().st_size for p in default_settings().boundaries_dir.iterdir() if p.is_file())
    print(f"boundaries/ size: {size / 1e6:.2f} MB")

    if "--build" in sys.argv:
        from geo.boundaries.build import build_layers

        started = time.perf_counter()
        build_layers(default_settings())
        print(f"full rebuild from cached sources: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
