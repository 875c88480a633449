"""The maps of a run, checked without a browser: self-contained, reproducible,
small, escaped at the source, density overlay in the right place, incident
selection for big runs, overview PNG. (Behaviour in a browser: test_map_browser.py.)"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from click.testing import CliRunner
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image
from pyproj import Geod, Transformer

from geo.cli import cli
from geo.filenames import INCIDENTS_PARQUET, MAP_HTML, MAP_PNG
from geo.maps import load_map_content, write_maps
from geo.maps.content import (PERIOD_INCIDENT_COLUMNS, density_overlay, of_period, round_coordinates,
                              select_incidents)
from geo.maps.interactive import district_labels, event_type_colours, incident_columns, map_config
from geo.maps.page import script_json
from geo.maps.static import SCALE_BAR_KM, TOP_DISTRICTS, overview_figure, top_risk_districts

HOSTILE = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>`${x}`\'"'
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def content(sample_run_dir):
    return load_map_content(sample_run_dir, 20_000)


def _json_block(page: str, element_id: str) -> object:
    match = re.search(f'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_run_writes_a_self_contained_small_reproducible_map(sample_run_dir, tmp_path):
    page = (sample_run_dir / MAP_HTML).read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page), "no script may load from the network"
    assert not re.search(r"<link[^>]+href=\"?https?:", page), "no stylesheet may load from the network"
    assert "Leaflet 1.9.3" in page and "url(data:image/png;base64," in page  # Leaflet and its icons inlined
    assert len(page.encode()) < 5e6
    # every incident of the run is in the page, deadliest first
    incidents = _json_block(page, "geo-incidents")
    accepted = pd.read_parquet(sample_run_dir / "incidents.parquet")
    assert len(incidents["t"]) == len(accepted) == 2006
    killed = [k for k in incidents["killed"] if k >= 0]
    assert killed == sorted(killed, reverse=True)
    assert incidents["months"][0] <= "2024-04" and incidents["months"][-1] == "2025-03"
    config = _json_block(page, "geo-map-config")
    assert config["synthetic"] is True and config["synthetic_shown"] == 2000
    assert config["period"] == "Risk period 2024-04-01 to 2025-03-31"
    assert "geoBoundaries" in config["attribution"] and "GeoNames" in config["attribution"]
    # `geo map` on the same folder redraws the same bytes
    copy = tmp_path / "copy"
    shutil.copytree(sample_run_dir, copy)
    (copy / MAP_HTML).unlink()
    (copy / MAP_PNG).unlink()
    result = CliRunner().invoke(cli, ["map", str(copy), "-q"])
    assert result.exit_code == 0, result.output
    assert (copy / MAP_HTML).read_bytes() == (sample_run_dir / MAP_HTML).read_bytes()
    assert (copy / MAP_PNG).read_bytes() == (sample_run_dir / MAP_PNG).read_bytes()


def test_json_in_the_page_cannot_close_its_script_element():
    text = script_json({"notes": HOSTILE, "line": "a\u2028b"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"notes": HOSTILE, "line": "a\u2028b"}


def test_macros_are_rendered_once_as_branca_would_and_never_templated_again(content):
    """The page renders folium's macros verbatim (page._macros_rendered_verbatim):
    the same page as branca's own MacroElement.render, except that text which
    looks like a template stays text."""
    import folium

    from geo.maps.interactive import risk_map
    from geo.maps.page import _macros_rendered_verbatim, _number_elements

    def page(fmap: folium.Map, verbatim: bool) -> str:
        root = fmap.get_root()
        _number_elements(root, [0])
        with _macros_rendered_verbatim() if verbatim else contextlib.nullcontext():
            return root.render()

    assert page(risk_map(content), verbatim=True) == page(risk_map(content), verbatim=False)
    layers = []
    for verbatim in (True, False):
        fmap = folium.Map(tiles=None)
        folium.GeoJson({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
            "name": "{{ 7*7 }}"}, "geometry": {"type": "Point", "coordinates": [70.0, 33.0]}}]}).add_to(fmap)
        layers.append(page(fmap, verbatim))
    assert '"name": "{{ 7*7 }}"' in layers[0] and '"name": "49"' not in layers[0]
    assert '"name": "49"' in layers[1]  # branca's own render runs the name as a template


def test_hostile_text_never_reaches_the_page_as_markup(sample_run_dir, tmp_path):
    run = tmp_path / "hostile"
    shutil.copytree(sample_run_dir, run)
    incidents = pd.read_parquet(run / "incidents.parquet")
    for column in ("place", "notes", "event_type", "source", "perpetrator", "sides", "tehsil"):
        incidents[column] = incidents[column].astype("string")
        incidents.loc[:5, column] = HOSTILE
    incidents.to_parquet(run / "incidents.parquet")
    write_maps(run)
    page = (run / MAP_HTML).read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<script>alert(2)" not in page
    assert _json_block(page, "geo-incidents")["place_names"].count(HOSTILE) == 1  # intact as data
    assert _json_block(page, "geo-incidents")["side_names"].count(HOSTILE) == 1


def test_unit_layers_keep_their_shared_edges(content, layers):
    districts = content.units["districts_risk"]
    assert len(districts) == 72 and len(content.units["tehsils_risk"]) == 252  # today's districts
    assert shapely.coverage_is_valid(districts.geometry.values)  # no overlaps, no slivers between neighbours
    before = layers["districts"].to_crs("EPSG:6933").area.sum()
    after = districts.to_crs("EPSG:6933").area.sum()
    assert abs(after / before - 1) < 1e-4
    # every district carries its 12 monthly counts, summing to its incidents in the period
    row = districts.sort_values("incidents").iloc[-1]
    assert len(content.months) == 12 and sum(row["monthly_incidents"]) == row["incidents"]


def test_rounding_keeps_the_border_line(layers):
    border = round_coordinates(layers["border"][["geometry"]])
    length = GEOD.geometry_length(border.geometry.iloc[0]) / 1000
    assert border.geometry.iloc[0].geom_type in ("LineString", "MultiLineString")
    assert abs(length - 2317.6) < 1.0  # 2,317.6 km at full precision


def test_density_overlay_puts_the_peak_where_the_geotiff_has_it(sample_run_dir):
    path = sample_run_dir / "density_incidents.tif"
    overlay = density_overlay(path)
    with rasterio.open(path) as surface:
        values = surface.read(1, masked=True).filled(0)
        row, col = np.unravel_index(np.argmax(values), values.shape)
        x, y = surface.xy(row, col)
        peak_lon, peak_lat = Transformer.from_crs(surface.crs, "EPSG:4326", always_xy=True).transform(x, y)
    image = np.asarray(Image.open(io.BytesIO(overlay.png)))
    assert image.shape[2] == 4 and max(image.shape[:2]) <= 900
    alpha = image[..., 3].astype(float)
    assert (alpha == 0).mean() > 0.5, "zero density must be transparent"
    (south, west), (north, east) = overlay.bounds
    to_mercator = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    (left, right), (bottom, top) = to_mercator.transform([west, east], [south, north])

    def alpha_at(lon: float, lat: float) -> float:
        mx, my = to_mercator.transform(lon, lat)
        col = int((mx - left) / (right - left) * image.shape[1])
        row = int((top - my) / (top - bottom) * image.shape[0])
        return alpha[row, col]

    # the densest cell of the GeoTIFF is among the most opaque pixels of the image ...
    assert alpha_at(peak_lon, peak_lat) >= 0.95 * alpha.max()
    # ... and places without incidents are clear: the Arabian Sea, and 1° west of the peak
    assert alpha_at(63.0, 25.0) == 0
    with rasterio.open(path) as surface:
        x, y = Transformer.from_crs("EPSG:4326", surface.crs, always_xy=True).transform(peak_lon - 1.0, peak_lat)
        row, col = surface.index(x, y)
    # An image pixel spans about two GeoTIFF cells, and bilinear warping can move
    # the 1 % edge by that much: compare with the cells around the point.
    near = values[row - 2:row + 3, col - 2:col + 3] / overlay.max_value
    if alpha_at(peak_lon - 1.0, peak_lat) == 0:
        assert near.min() < 0.01
    else:
        assert near.max() > 0.01


def test_big_runs_draw_the_deadliest_and_a_seeded_sample():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"incident_id": [f"x{i:05d}" for i in range(5000)],
                          "killed": pd.array(rng.integers(0, 50, 5000), dtype="Int32")})
    frame.loc[::7, "killed"] = pd.NA
    chosen, sentence = select_incidents(frame, 400)
    again, _ = select_incidents(frame, 400)
    assert len(chosen) == 400 and chosen["incident_id"].is_unique
    assert chosen["incident_id"].tolist() == again["incident_id"].tolist()
    top = frame.assign(k=frame["killed"].fillna(0)).sort_values(["k", "incident_id"], ascending=[False, True])
    assert set(top["incident_id"].head(200)) <= set(chosen["incident_id"])
    assert "400 of the 5,000" in sentence and "all of them" in sentence
    small, none = select_incidents(frame.head(300), 400)
    assert len(small) == 300 and none == ""


def test_overview_png(sample_run_dir):
    image = Image.open(sample_run_dir / MAP_PNG)
    assert image.format == "PNG" and image.size[0] >= 900
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert (np.abs(pixels - [189, 0, 38]).sum(axis=1) < 30).sum() > 500, "very-high districts drawn in their colour"
    assert (np.abs(pixels - [176, 0, 32]).sum(axis=1) < 20).sum() > 500, "SYNTHETIC banner drawn"


def test_map_of_an_unfinished_run_is_a_one_line_error(tmp_path):
    (tmp_path / "run.json").write_text("{}")
    result = CliRunner().invoke(cli, ["map", str(tmp_path)])
    assert result.exit_code == 1
    assert "has no districts_risk.geojson" in result.output and "geo run --out" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / MAP_HTML).exists()


def test_ten_thousand_incidents_with_long_distinct_notes_stay_under_5_mb(sample_run_dir, tmp_path):
    """The worst case for size: every incident has its own long note (cut to
    NOTES_MAX_CHARS in the page), its own id and place."""
    run = tmp_path / "big"
    shutil.copytree(sample_run_dir, run)
    sample = pd.read_parquet(run / "incidents.parquet")
    big = sample.sample(n=10_000, replace=True, random_state=3).reset_index(drop=True)
    rng = np.random.default_rng(3)
    words = np.array(["attack", "checkpoint", "convoy", "district", "village", "police", "market", "road"])
    big["incident_id"] = [f"big:{i:06d}" for i in range(len(big))]
    big["source_id"] = [f"PAK{i:06d}" for i in range(len(big))]
    big["place"] = [f"Place {i}" for i in range(len(big))]
    big["notes"] = [f"{i}: " + " ".join(rng.choice(words, 60)) for i in range(len(big))]  # ~400 characters
    big.to_parquet(run / "incidents.parquet")
    write_maps(run)
    size = (run / MAP_HTML).stat().st_size
    assert size < 5e6, f"{size / 1e6:.2f} MB"
    print(f"10,000 incidents with distinct ~400-character notes: map.html {size / 1e6:.2f} MB")
    notes = _json_block((run / MAP_HTML).read_text(encoding="utf-8"), "geo-incidents")["note_texts"]
    assert len(notes) == 10_000 and all(len(text) <= 200 for text in notes) and notes[0].endswith("…")


def test_max_incidents_option_draws_a_documented_selection(sample_run_dir, tmp_path):
    run = tmp_path / "capped"
    shutil.copytree(sample_run_dir, run)
    result = CliRunner().invoke(cli, ["map", str(run), "--max-incidents", "100", "-q"])
    assert result.exit_code == 0, result.output
    page = (run / MAP_HTML).read_text(encoding="utf-8")
    assert len(_json_block(page, "geo-incidents")["t"]) == 100
    config = _json_block(page, "geo-map-config")
    assert config["incidents_shown"] == 100 and config["incidents_total"] == 2006
    assert config["selection"].startswith("The map draws 100 of the 2,006 incidents: the 50 with the most killed")


def test_the_period_incidents_of_a_few_columns_are_the_rows_of_every_column(two_year_run_dir):
    incidents = pd.read_parquet(two_year_run_dir / INCIDENTS_PARQUET)
    narrow = of_period(incidents, "2024-01-01", "2024-06-30")
    full = of_period(incidents, "2024-01-01", "2024-06-30", columns=None)
    assert list(narrow.columns) == list(PERIOD_INCIDENT_COLUMNS) and len(full.columns) > len(narrow.columns)
    assert len(narrow) == 24
    pd.testing.assert_frame_equal(narrow, full[list(PERIOD_INCIDENT_COLUMNS)])


def test_an_attribution_longer_than_three_lines_is_cut_inside_map_png(sample_run_dir):
    content = load_map_content(sample_run_dir, 20_000, density=False)
    content = dataclasses.replace(content, run={**content.run, "attribution": "Q" * 100_000})
    figure = overview_figure(content)
    renderer = FigureCanvasAgg(figure).get_renderer()
    (attribution,) = [text for text in figure.texts if text.get_text().startswith("Data: ")]
    lines = attribution.get_text().split("\n")
    assert len(lines) == 3 and lines[-1].endswith("… (cut: 100,006 characters in all; run.json holds it whole)")
    box = attribution.get_window_extent(renderer)
    assert box.y0 >= 0 and box.x0 >= 0 and box.x1 <= figure.bbox.x1, box


def test_the_web_map_cuts_an_attribution_longer_than_its_panel(sample_run_dir):
    content = load_map_content(sample_run_dir, 20_000, density=False)
    types = event_type_colours(content.incidents)
    assert map_config(content, types)["attribution"] == content.run["attribution"]  # a real one: whole
    long = dataclasses.replace(content, run={**content.run, "attribution": "Q" * 100_000})
    shown = map_config(long, types)["attribution"]
    assert shown == "Q" * 1_000 + "… (cut: 100,000 characters in all)"


def test_names_longer_than_a_popup_line_are_cut_in_the_page_and_keep_their_colour(sample_run_dir):
    content = load_map_content(sample_run_dir, 20_000, density=False)
    incidents = content.incidents.copy()
    long_type, long_source = "T" * 5_000, "Q" * 100_000
    incidents.loc[incidents.index[:30], "event_type"] = long_type
    incidents.loc[incidents.index[:3], "source"] = long_source
    types = event_type_colours(incidents)
    assert long_type in dict(types)  # 30 incidents: among the types with their own colour
    columns = incident_columns(incidents, types)
    assert "Q" * 300 + "… (cut: 100,000 characters in all)" in columns["source_names"]
    assert max(map(len, columns["source_names"] + columns["event_type_names"])) <= 300 + 40
    shown_type = "T" * 300 + "… (cut: 5,000 characters in all)"
    code = columns["event_type_names"].index(shown_type)
    colour = columns["event_type_colour"][code]
    assert colour >= 0 and [name for name, _ in map_config(dataclasses.replace(content, incidents=incidents),
                                                          types)["types"]][colour] == shown_type


def test_maps_follow_the_period(two_year_run_dir):
    content = load_map_content(two_year_run_dir, 20_000)
    assert content.period == ("2024-01-01", "2024-06-30") and content.incidents_total == 144
    # map.png picks its deadliest incidents from the period's, inside the study area
    chosen = content.period_incidents
    assert len(chosen) == 24 and chosen["in_study_area"].all()
    assert chosen["date"].between("2024-01-01", "2024-06-30").all()
    killed = chosen["killed"].astype(int).tolist()
    assert killed == sorted(killed, reverse=True)
    figure = overview_figure(content)
    assert "2024-01-01 to 2024-06-30" in figure.get_suptitle()
    drawn = {(round(x, 3), round(y, 3)) for collection in figure.axes[0].collections
             if type(collection).__name__ == "PathCollection" for x, y in collection.get_offsets()}
    assert drawn == {(round(x, 3), round(y, 3)) for x, y in zip(chosen["lon"], chosen["lat"], strict=True)}
    # the page: every incident, the time control opening on the period's months
    page = (two_year_run_dir / MAP_HTML).read_text(encoding="utf-8")
    incidents = _json_block(page, "geo-incidents")
    assert len(incidents["t"]) == 144
    assert incidents["months"][0] == "2023-01" and incidents["months"][-1] == "2024-12"
    config = _json_block(page, "geo-map-config")
    assert config["time_window"] == ["2024-01", "2024-06"]
    assert "2024-01 to 2024-06" in config["time_note"]
    assert config["density"]["period"] == ["2024-01-01", "2024-06-30"]


def test_overview_names_the_top_districts_and_has_a_true_scale_bar(sample_run_dir):
    content = load_map_content(sample_run_dir, 20_000)
    figure = overview_figure(content)
    axes = figure.axes[0]
    districts = content.units["districts_risk"]
    expected = top_risk_districts(districts)
    assert len(expected) == TOP_DISTRICTS and (expected["incidents"] > 0).all()
    assert expected["risk_score"].min() >= districts.loc[~districts.index.isin(expected.index), "risk_score"].max()
    labels = [text for text in axes.texts if text.get_text() in set(expected["district"])]
    assert sorted(text.get_text() for text in labels) == sorted(expected["district"])
    renderer = FigureCanvasAgg(figure).get_renderer()
    boxes = [Text.get_window_extent(text, renderer) for text in labels]  # the text, without its leader line
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:]), "labels overlap"
    # each label sits on or next to its district: within 60 points (about 0.8 inch)
    for text in labels:
        anchor = axes.transData.transform(text.xy)
        centre = np.asarray(Text.get_window_extent(text, renderer).get_points()).mean(axis=0)
        assert np.hypot(*(anchor - centre)) < 60 * figure.dpi / 72
    # the scale bar: 100 km at the map's mid-latitude, measured with pyproj
    bar = next(artist for artist in axes.artists if type(artist).__name__ == "AnchoredSizeBar")
    rectangle = bar.size_bar.get_children()[0]
    width_deg = rectangle.get_width()
    south, north = axes.get_ylim()
    middle = (south + north) / 2
    _, _, metres = Geod(ellps="WGS84").inv(65.0, middle, 65.0 + width_deg, middle)
    assert abs(metres / 1000 - SCALE_BAR_KM) < 1.0
    assert bar.txt_label.get_text() == f"{SCALE_BAR_KM} km"


def test_district_labels_sit_inside_their_districts(content):
    districts = content.units["districts_risk"]
    labels = district_labels(districts)
    assert [label[0] for label in labels] == districts["district"].astype(str).tolist()
    for (name, lat, lon, score, area), geometry in zip(labels, districts.geometry, strict=True):
        # inside, even for a bent district whose centroid falls outside it (rounding: 10 m)
        assert geometry.distance(shapely.Point(lon, lat)) < 1e-4, name
    assert all(isinstance(label[3], float) and label[4] > 0 for label in labels)


def test_ucdp_rows_carry_their_sides_to_the_map():
    incidents = pd.DataFrame({
        "incident_id": ["u:1", "u:2"], "date": ["2024-01-02", "2024-01-03"], "lat": [33.0, 33.1],
        "lon": [70.0, 70.1], "killed": [9, 4], "killed_civilians": [1, 4], "killed_security": [3, 0],
        "killed_militants": [5, 0], "injured": [pd.NA, pd.NA], "geo_precision": [1, 2],
        "event_type": ["state-based conflict", "one-sided violence"], "place": ["a", "b"],
        "tehsil": ["t", "t"], "district": ["d", "d"], "province": ["p", "p"], "country": ["Pakistan"] * 2,
        "source": ["UCDP", "UCDP"], "source_id": ["1", "2"], "perpetrator": [pd.NA, "TTP"],
        "sides": ["Government of Pakistan – TTP", "TTP – Civilians"], "date_precision": ["day", "day"],
        "notes": ["", ""], "synthetic": [False, False]})
    columns = incident_columns(incidents, event_type_colours(incidents))
    assert [columns["side_names"][code] for code in columns["sides"]] == [
        "Government of Pakistan – TTP", "TTP – Civilians"]
    assert [columns["perpetrator_names"][c] if c >= 0 else None for c in columns["perpetrator"]] == [None, "TTP"]


def test_actor_groups_travel_as_codes_and_older_runs_are_unidentified():
    incidents = pd.DataFrame({
        "incident_id": ["a:1", "a:2", "a:3"], "date": ["2024-01-02", "2024-01-03", "2024-01-04"],
        "lat": [33.0, 33.1, 33.2], "lon": [70.0, 70.1, 70.2], "killed": [3, 2, 1], "killed_civilians": [0, 0, 0],
        "killed_security": [0, 0, 0], "killed_militants": [0, 0, 0], "injured": [pd.NA] * 3,
        "geo_precision": [1, 1, 1], "event_type": ["IED attack"] * 3, "place": ["a", "b", "c"],
        "tehsil": ["t"] * 3, "district": ["d"] * 3, "province": ["p"] * 3, "country": ["Pakistan"] * 3,
        "source": ["feed"] * 3, "source_id": ["1", "2", "3"], "perpetrator": ["BLA", pd.NA, "{{7*7}}"],
        "actor_group": ["Balochistan Liberation Army", pd.NA, "{{7*7}}"], "date_precision": ["day"] * 3,
        "notes": [""] * 3, "synthetic": [False] * 3})
    columns = incident_columns(incidents, event_type_colours(incidents))
    assert columns["actor_group_names"] == sorted(["Balochistan Liberation Army", "unidentified", "{{7*7}}"])
    assert [columns["actor_group_names"][c] for c in columns["actor_group"]] == [
        "Balochistan Liberation Army", "unidentified", "{{7*7}}"]  # deadliest first, as every column
    older = incident_columns(incidents.drop(columns="actor_group"), event_type_colours(incidents))
    assert older["actor_group_names"] == ["unidentified"] and older["actor_group"] == [0, 0, 0]


def test_deadliest_order_is_pandas_stable_sort_by_killed_then_id():
    from geo.maps.content import deadliest_order

    rng = np.random.default_rng(8)
    for n in (0, 1, 7, 3000):
        frame = pd.DataFrame({
            "killed": pd.array(rng.choice([0, 1, 2, 5, None], n).tolist() if n else [], dtype="Int32"),
            "incident_id": pd.array(rng.choice(["a:1", "a:10", "a:2", "b:1", "é:3", "Z:9", "ab"], n).tolist(),
                                    dtype="string")})
        reference = frame.assign(killed=frame["killed"].fillna(0)).sort_values(
            ["killed", "incident_id"], ascending=[False, True], kind="mergesort").index.to_numpy()
        assert deadliest_order(frame).tolist() == reference.tolist()
