"""GeoJSON and GeoPackage writers: RFC 7946, determinism, atomic writes."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from geo.atomic import atomic_path
from geo.export.vector import write_geojson, write_geopackage
from geo.geojson import geojson_features, geojson_text


def _frame() -> gpd.GeoDataFrame:
    clockwise = shapely.Polygon([(70, 30), (70, 31), (71.1234567891, 31), (71, 30)])
    return gpd.GeoDataFrame({"name": ["a <b>"], "value": [float("nan")]}, geometry=[clockwise], crs="EPSG:4326")


def test_geojson_is_rfc7946():
    collection = json.loads(geojson_text(_frame(), {"attribution": "x"}))
    ring = collection["features"][0]["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw
    assert [71.123457, 31.0] in ring
    assert "crs" not in collection and collection["attribution"] == "x"
    assert collection["features"][0]["properties"] == {"name": "a <b>", "value": None}


def test_geojson_features_are_what_the_text_holds():
    # the web map embeds these dicts; the files hold the text: one geometry missing, one point, one polygon
    frame = gpd.GeoDataFrame(
        {"name": ["none", "point", "ring"], "killed": [1, 2, 3]},
        geometry=[None, shapely.Point(70.12345678, 30.5), _frame().geometry.iloc[0]], crs="EPSG:4326")
    features = geojson_features(frame, feature_ids=True)
    assert features == json.loads(geojson_text(frame, feature_ids=True))["features"]
    assert [f["id"] for f in features] == [1, 2, 3]
    assert features[0]["geometry"] is None
    assert features[1]["geometry"] == {"type": "Point", "coordinates": [70.123457, 30.5]}
    assert shapely.LinearRing(features[2]["geometry"]["coordinates"][0]).is_ccw


def test_geojson_refuses_projected_frames():
    with pytest.raises(ValueError, match="EPSG:4326"):
        geojson_text(_frame().to_crs(3857))


def test_atomic_path_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out.geojson"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.geojson"]


def test_writers_are_byte_reproducible(tmp_path):
    for run in ("a", "b"):
        write_geojson(_frame(), tmp_path / run / "x.geojson")
        write_geopackage({"x": _frame(), "y": _frame()}, tmp_path / run / "x.gpkg", {"x": "attribution"})
    for name in ("x.geojson", "x.gpkg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_point_geojson_escapes_text_and_keeps_nulls(tmp_path, monkeypatch):
    import numpy as np
    import pandas as pd

    from geo.export import vector

    monkeypatch.setattr(vector, "GEOJSON_ROWS_PER_BLOCK", 2)  # exercise the block joins
    frame = pd.DataFrame({
        "n": pd.array([1, None, 3], dtype="Int32"),
        "s": pd.array(['a "q" \\\\ \n\x01</script>\t`${x}`', "é", None], dtype="string"),
        "b": pd.array([True, None, False], dtype="boolean"),
        "x": [1.5, np.nan, 1e-7], "lon": [70.1234567, np.nan, 71.0], "lat": [33.0, 34.0, 35.5],
    })
    path = vector.write_points_geojson(frame, tmp_path / "p.geojson", {"synthetic_data": True})
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["synthetic_data"] is True
    first, second, third = collection["features"]
    assert first["properties"] == {"n": 1, "s": 'a "q" \\\\ \n\x01</script>\t`${x}`', "b": True, "x": 1.5}
    assert first["geometry"] == {"type": "Point", "coordinates": [70.123457, 33.0]} and first["id"] == 1
    assert third["id"] == 3
    assert second["geometry"] is None and second["properties"] == {"n": None, "s": "é", "b": None, "x": None}
    assert third["properties"]["s"] is None
    empty = vector.write_points_geojson(frame.iloc[:0], tmp_path / "e.geojson")
    assert json.loads(empty.read_text()) == {"type": "FeatureCollection", "features": []}


def test_point_geojson_reads_back_every_ascii_character_and_some_others(tmp_path):
    import pandas as pd

    from geo.export import vector

    text = [chr(code) for code in range(128)] + ["é\u2028\ufeff", "😀", "a\x00b", "\r\n", ""]
    frame = pd.DataFrame({"s": pd.array(text + [None], dtype="string"),
                          "t": pd.array([f"x{t}y" for t in text] + ["z"], dtype="string"),
                          "lon": 70.0, "lat": 33.0})
    features = json.loads(vector.write_points_geojson(frame, tmp_path / "c.geojson").read_text("utf-8"))["features"]
    assert [f["properties"]["s"] for f in features] == [*text, None]
    assert [f["properties"]["t"] for f in features] == [f"x{t}y" for t in text] + ["z"]


def test_holding_finds_the_values_that_hold_the_bytes():
    import numpy as np
    import pyarrow as pa

    from geo.arrow_text import holding

    values = ["plain", 'a"b', "tab\there", None, "", "é,", "\x01", "\x1f\\", "x" * 70_000 + "\n"] * 3
    text = pa.array(values, type=pa.large_string()).slice(2, 20)  # an offset into the buffers, too
    for wanted in ([ord(","), ord('"'), ord("\n")], [*range(32), ord("\\"), ord('"')], [ord("z")], [9]):
        hit, present = holding(text, np.array(wanted, dtype=np.uint8))
        expected = [v is not None and any(chr(b) in v for b in wanted) for v in text.to_pylist()]
        assert hit.tolist() == expected, wanted
        found = sorted({b for v in text.to_pylist() if v is not None for b in wanted if chr(b) in v})
        assert present.tolist() == found, wanted


def test_csv_cells_are_the_bytes_pandas_writes_for_every_kind_of_value(tmp_path, monkeypatch):
    # write_csv formats text, numbers and booleans with Arrow kernels; the bytes
    # must be those of pandas' to_csv of spreadsheet_safe, block edges included.
    import numpy as np
    import pandas as pd

    from geo.export import tables

    text = ["plain", "a,b", 'say "hi"', "two\nlines", "car\rret", "=1+1", "+92", "-5", "-0.25", "-x",
            "@SUM(A1)", "\tlead", "Miran Shāh", "", None, "'quoted", "x" * 300, "1e5", " -3"]
    floats = [0.1, 100.0, 1e-5, 1e-4, 1e16, 1.5e20, -0.0, np.nan, np.inf, -np.inf, 123456789.123, 2.5e-7,
              -1e15, 3.0, 0.30000000000000004, 1e22, 5e-324, 12.0, -7.25]
    n = len(text)
    frame = pd.DataFrame({
        "text": pd.array(text, dtype="string"),
        "object text": pd.Series(text, dtype=object),
        "int": np.arange(n, dtype=np.int64) * -12345,
        "Int32 with NA": pd.array([k if k % 3 else None for k in range(n)], dtype="Int32"),
        "float": floats,
        "Float64 with NA": pd.array([None if k % 4 == 0 else v for k, v in enumerate(floats)], dtype="Float64"),
        "bool": [k % 2 == 0 for k in range(n)],
        "boolean with NA": pd.array([None if k % 5 == 0 else k % 2 == 0 for k in range(n)], dtype="boolean"),
        "=header, kept": ["h"] * n,
    })
    expected = tables.spreadsheet_safe(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
    for rows_per_block in (100_000, 4):
        monkeypatch.setattr(tables, "CSV_ROWS_PER_BLOCK", rows_per_block)
        path = tables.write_csv(frame, tmp_path / f"cells_{rows_per_block}.csv")
        assert path.read_bytes() == expected
    assert tables._write_csv_arrow(frame, tmp_path / "arrow.csv", safe=True)  # not pandas' fallback
    assert b"'=1+1" in expected and b",-5," in expected and b"'-x" in expected  # the rule still applies


def test_maybe_padded_never_misses_a_value_that_strip_changes():
    import numpy as np
    import pyarrow as pa

    from geo.arrow_text import maybe_padded

    pool = ["a", "Z", "1", "-", " ", "\t", "\n", "\x1f", "\x01", "é", "\u00a0", "\u2028", "\u3000", "ب"]
    rng = np.random.default_rng(3)
    for _ in range(400):
        values = ["".join(rng.choice(pool, rng.integers(0, 4))) for _ in range(rng.integers(1, 4))]
        values += [None] * int(rng.integers(0, 2))
        text = pa.array(values, type=pa.large_string()).slice(int(rng.integers(0, 2)))
        changed = any(v is not None and v != v.strip() for v in text.to_pylist())
        assert maybe_padded(text) or not changed, values
    assert not maybe_padded(pa.array(["Peshawar", "Bannu town", None, ""], type=pa.large_string()))
    assert maybe_padded(pa.array(["Peshawar town "], type=pa.large_string()))
