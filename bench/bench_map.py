"""Benchmark of the maps (map.html + map.png) for 1k, 10k and 1M incidents.

For each size a `geo run` writes a run folder (1k and 10k: SYNTHETIC incidents
from the generator; 1M: the cached ACLED-format file of bench_ingest), then
the maps are drawn from it in a fresh process (time, peak memory, file sizes).
The naive baseline, run in this process on the same folders up to 10k: a plain
folium map with one CircleMarker and popup per incident and a GeoJson
choropleth, scripts from CDNs (so not even self-contained).

Prints figures and ratios; asserts nothing. Run with `make bench`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_ingest  # noqa: E402  (the cached 1M-row ACLED file, the child-process runner)

SIZES = (1_000, 10_000, 1_000_000)
NAIVE_UP_TO = 10_000


def _maps(run_dir: str) -> dict:
    from geo.filenames import MAP_HTML, MAP_PNG
    from geo.maps import write_maps

    started = time.perf_counter()
    write_maps(Path(run_dir))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "html_mb": (Path(run_dir) / MAP_HTML).stat().st_size / 1e6,
            "png_kb": (Path(run_dir) / MAP_PNG).stat().st_size / 1e3}


def _naive(run_dir: Path) -> dict:
    import folium
    import geopandas as gpd
    import pandas as pd

    started = time.perf_counter()
    incidents = pd.read_parquet(run_dir / "incidents.parquet")
    districts = gpd.read_file(run_dir / "districts_risk.geojson")
    fmap = folium.Map(location=[30, 68], zoom_start=6)
    folium.GeoJson(districts[["district", "risk_class", "risk_score", "geometry"]], name="District risk",
                   tooltip=folium.GeoJsonTooltip(["district", "risk_class", "risk_score"])).add_to(fmap)
    for row in incidents.itertuples(index=False):
        folium.CircleMarker([row.lat, row.lon], radius=4, popup=folium.Popup(
            f"{row.date} {row.event_type} {row.place} killed {row.killed} {row.notes}")).add_to(fmap)
    folium.LayerControl().add_to(fmap)
    page = fmap.get_root().render()
    return {"seconds": time.perf_counter() - started, "html_mb": len(page.encode()) / 1e6}


def _run_folder(size: int, parent: Path) -> Path:
    """A finished `geo run` of ``size`` incidents, in a child process."""
    out = parent / f"run_{size}"
    if size == 1_000_000:
        source = bench_ingest.acled_file()
    else:
        source = parent / f"synthetic_{size}.csv"
        subprocess.run([sys.executable, "-m", "geo", "synthetic", "-n", str(size), "--seed", "7", str(source)],
                       check=True, capture_output=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "geo", "run", str(source), "--out", str(out), "-q"], check=True)
    print(f"  geo run on {size:,} incidents: {time.perf_counter() - started:.1f} s (whole pipeline, maps included)")
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            folder = _run_folder(size, Path(tmp))
            ours = bench_ingest.run_child("_maps", str(folder), module="bench_map")
            print(f"{size:>9,} incidents: map.html {ours['html_mb']:.2f} MB, map.png {ours['png_kb']:.0f} kB, "
                  f"both drawn in {ours['seconds']:.1f} s, peak {ours['peak_mb']:.0f} MB")
            if size <= NAIVE_UP_TO:
                naive = _naive(folder)
                print(f"{'':>9}  naive folium (marker per incident, CDN scripts): {naive['html_mb']:.2f} MB "
                      f"({naive['html_mb'] / ours['html_mb']:.1f}x ours) in {naive['seconds']:.1f} s "
                      f"({naive['seconds'] / ours['seconds']:.1f}x ours)")


if __name__ == "__main__":
    main()
