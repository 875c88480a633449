"""Work split across threads (geo.threads) gives what one thread gives.

The split starts at 100,000 rows; here it is forced on a few hundred, on two
blocks whatever the machine, so that the threaded path is the one tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import threads
from geo.config import Settings
from geo.join import JoinLayers, join_incidents
from geo.metrics.proximity import BorderDistance
from geo.pipeline import SAMPLE_EVENTS, ingest_files


def _points(layers, n: int = 700) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    west, south, east, north = layers["provinces"].total_bounds
    lon = rng.uniform(west - 2, east + 2, n)  # some in Afghanistan, Iran or India
    lat = rng.uniform(south - 1, north + 1, n)
    lon[::50], lat[::50] = np.nan, np.nan
    return lon, lat


def test_row_blocks_cover_the_rows_once_in_order(monkeypatch):
    monkeypatch.setattr(threads, "usable_cores", lambda: 3)
    blocks = threads.row_blocks(10, min_rows=5)
    assert len(blocks) == 3
    assert np.concatenate([np.arange(10)[b] for b in blocks]).tolist() == list(range(10))
    assert threads.row_blocks(4, min_rows=5) == [slice(0, 4)]
    assert threads.row_blocks(0) == [slice(0, 0)]
    assert threads.map_blocks(lambda b: (b.start, b.stop), 10, min_rows=5) == [(b.start, b.stop) for b in blocks]


def test_a_split_join_is_the_join_on_one_thread(layers, monkeypatch):
    join_layers = JoinLayers.load()
    lon, lat = _points(layers)
    frame = pd.DataFrame({"lon": lon, "lat": lat, "source_admin2": pd.array(["Khyber"] * len(lon), dtype="string")})
    whole = join_incidents(frame, join_layers)
    monkeypatch.setattr(threads, "SPLIT_FROM", 2)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    split = join_incidents(frame, join_layers)
    pd.testing.assert_frame_equal(split, whole)
    assert whole["tehsil_id"].notna().sum() > 100 and (whole["country"] == "Afghanistan").sum() > 10


def test_split_border_distances_are_the_distances_on_one_thread(layers, monkeypatch):
    distances = BorderDistance.build(layers["border"].geometry.iloc[0], Settings().equal_area_crs)
    lon, lat = _points(layers)
    whole = distances.km(lon, lat)
    monkeypatch.setattr(threads, "SPLIT_FROM", 2)
    monkeypatch.setattr(threads, "usable_cores", lambda: 2)
    np.testing.assert_array_equal(distances.km(lon, lat), whole)
    assert np.isfinite(whole).sum() == len(lon) - np.isnan(lon).sum()


def test_parquet_beside_the_text_outputs_writes_the_same_files(tmp_path, monkeypatch):
    ingest_files([SAMPLE_EVENTS], tmp_path / "one")
    monkeypatch.setattr(threads, "SPLIT_FROM", 2)
    ingest_files([SAMPLE_EVENTS], tmp_path / "beside")
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "beside").iterdir())
    assert {"incidents.parquet", "reports.parquet", "reports.csv", "incidents.geojson"} <= set(names)
    for name in names:
        if name != "timings.json":
            assert (tmp_path / "beside" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
