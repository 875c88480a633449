"""The interactive map in a real browser: Debian's headless chromium driven by
Playwright, with every request outside the file itself refused (offline).

Without /usr/bin/chromium these tests skip, unless GEO_REQUIRE_BROWSER=1 (set
by .ci/run, which installs chromium) makes that a failure. Screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from geo.cli import cli
from geo.filenames import MAP_HTML
from geo.maps import write_maps

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path(os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
TILE_HOST = "tile.openstreetmap.org"

# Planted in place names, notes, event types and actors: each would set
# window.__xss if the page ever parsed it as markup or evaluated it as code.
HOSTILE_PLACE = '</script><script>window.__xss = "place"</script>'
HOSTILE_NOTES = '<img src=x onerror="window.__xss = \'notes\'"> `${window.__xss = "template"}` \'quoted\' "double"'
HOSTILE_TYPE = '<svg onload="window.__xss = \'type\'">'
HOSTILE_ACTOR = "`; window.__xss = 'actor'; `"
# Template and format syntax: shown as written, never rendered ({{ 7*7 }} must not become 49).
HOSTILE_SOURCE = "{{ 7*7 }} {% raw %} feed $\\frac{1}{2}$ %s {0} ${7*7}"
LAYER_NAMES = {
    "District risk", "Tehsil risk", "Incidents (by event type, sized by killed)", "Pakistan–Afghanistan border",
    "Distance bands from the border", "Afghan districts near the border (context)", "Province outlines",
    "District names (from zoom 7)",
}
PLACES = [  # (place, district, lat, lon)
    ("Peshawar", "Peshawar", 34.008, 71.578), ("Bannu", "Bannu", 32.986, 70.604),
    ("Miranshah", "North Waziristan", 33.001, 70.071), ("Khar", "Bajaur", 34.729, 71.524),
    ("Quetta", "Quetta", 30.183, 67.001), ("Chaman", "Chaman", 30.921, 66.446),
    ("Zhob", "Zhob", 31.341, 69.449), ("Turbat", "Kech", 26.004, 63.045),
]
HEADER = ["source", "synthetic", "source_id", "date", "date_precision", "lat", "lon", "geo_precision", "place",
          "source_admin1", "source_admin2", "event_type", "perpetrator", "target_category", "killed",
          "killed_civilians", "killed_security", "killed_militants", "injured", "notes"]


def _incident_rows() -> list[dict[str, object]]:
    rows = []
    for number in range(96):  # spread over 12 months and 8 places
        place, district, lat, lon = PLACES[number % len(PLACES)]
        month = 1 + number % 12
        rows.append({
            "source": "test feed", "synthetic": number % 4 == 0, "source_id": f"T{number:03d}",
            "date": f"2024-{month:02d}-{1 + number % 27:02d}", "date_precision": "day",
            "lat": round(lat + 0.01 * (number % 5), 5), "lon": round(lon + 0.01 * (number % 3), 5),
            "geo_precision": 1, "place": place, "source_admin1": "", "source_admin2": district,
            "event_type": ("IED attack", "armed clash", "targeted killing")[number % 3], "perpetrator": "unknown",
            "target_category": "civilians", "killed": number % 6, "killed_civilians": number % 6,
            "killed_security": 0, "killed_militants": 0, "injured": number % 4, "notes": f"test incident {number}",
        })
    rows.append({**rows[0], "synthetic": False, "source_id": "HOSTILE", "date": "2024-06-15", "lat": 33.58,
                 "lon": 71.44, "place": HOSTILE_PLACE, "event_type": HOSTILE_TYPE,
                 "perpetrator": HOSTILE_ACTOR, "notes": HOSTILE_NOTES + " " + HOSTILE_SOURCE, "killed": 3,
                 "killed_civilians": 3, "source": HOSTILE_SOURCE})
    return rows


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `geo run` of 97 incidents (a quarter SYNTHETIC, one with planted markup and code)."""
    folder = tmp_path_factory.mktemp("hostile_run")
    source = folder / "incidents.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        writer.writerows(_incident_rows())
    out = folder / "out"
    result = CliRunner().invoke(cli, ["run", str(source), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["counts"]["accepted"] == 97
    return out


@pytest.fixture(scope="module")
def real_only_run(hostile_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same run with the SYNTHETIC rows dropped, map redrawn by `write_maps`."""
    out = tmp_path_factory.mktemp("real_only") / "out"
    shutil.copytree(hostile_run, out)
    incidents = pd.read_parquet(out / "incidents.parquet")
    incidents[~incidents["synthetic"]].to_parquet(out / "incidents.parquet")
    record = json.loads((out / "run.json").read_text())
    record["synthetic_data"] = False
    (out / "run.json").write_text(json.dumps(record))
    write_maps(out)
    return out


@pytest.fixture(scope="module")
def briefing_run(hostile_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile run with vaguer locations and UCDP's two sides, map redrawn:
    T001 at a district centre (precision 2), T002 at a province centre (3),
    T003 and T011 stacked on one point with precision 2, and T005 a UCDP
    state-based clash (two sides, no perpetrator; 9 killed, 5 of them in no category)."""
    out = tmp_path_factory.mktemp("briefing") / "out"
    shutil.copytree(hostile_run, out)
    incidents = pd.read_parquet(out / "incidents.parquet")
    ids = incidents["source_id"]
    incidents.loc[ids == "T001", "geo_precision"] = 2
    incidents.loc[ids == "T002", "geo_precision"] = 3
    stacked = ids.isin(["T003", "T011"])
    incidents.loc[stacked, ["lat", "lon"]] = [32.5, 69.9]
    incidents.loc[stacked, "geo_precision"] = 2
    incidents.loc[ids == "T005", ["source", "perpetrator", "sides"]] = ["UCDP", pd.NA, "Government of Pakistan – TTP"]
    incidents.loc[ids == "T005", ["killed", "killed_civilians", "killed_security", "killed_militants"]] = [9, 1, 3, 0]
    incidents.to_parquet(out / "incidents.parquet")
    write_maps(out)
    return out


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        if os.environ.get("GEO_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with playwright.sync_playwright() as driver:
        instance = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class OpenedMap:
    """A map page opened offline, with what the page reported."""

    def __init__(self, browser, path: Path, viewport: tuple[int, int] = (1400, 1000)):
        self.context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, offline=True)
        self.page = self.context.new_page()
        self.page_errors: list[str] = []
        self.console_errors: list[tuple[str, str]] = []
        self.refused: list[str] = []
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(
            (message.text, message.location.get("url", ""))))
        self.page.route("**/*", self._route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.geoRisk && window.geoRisk.map")
        self.page.wait_for_timeout(300)

    def _route(self, route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def evaluate(self, script: str, argument: object = None) -> object:
        return self.page.evaluate(script, argument)

    def count_text(self) -> str:
        return self.page.text_content("#geo-time-count")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser, hostile_run):
    pages: list[OpenedMap] = []

    def open_map(folder: Path = hostile_run, viewport: tuple[int, int] = (1400, 1000)) -> OpenedMap:
        pages.append(OpenedMap(browser, folder / MAP_HTML, viewport))
        return pages[-1]

    yield open_map
    for page in pages:
        page.close()


def _visible_count(text: str) -> tuple[int, int]:
    shown, _, rest = text.partition(" of ")
    return int(shown.replace(",", "")), int(rest.split()[0].replace(",", ""))


def test_loads_offline_without_errors_and_lists_every_layer(opened, hostile_run):
    page = opened()
    ARTIFACTS.mkdir(exist_ok=True)
    assert page.page.locator(".leaflet-control-layers-base label").all_text_contents()[0].strip() == \
        "OpenStreetMap (needs internet)"
    page.page.screenshot(path=str(ARTIFACTS / "map_offline.png"))
    assert page.page_errors == []
    assert all(TILE_HOST in url for _, url in page.console_errors), page.console_errors
    assert page.refused and all(TILE_HOST in url for url in page.refused), "only base tiles use the network"
    labels = {text.strip() for text in page.page.locator(".leaflet-control-layers-overlays label").all_text_contents()}
    density = {label for label in labels if label.startswith("Incident density (quartic kernel, 10.0 km")}
    assert labels == LAYER_NAMES | density and len(density) == 1
    # the data layers drew: 72 district polygons (today's) on the canvas, incident symbols, the legend
    assert page.evaluate("Object.values(geoRisk.map._layers).filter(l => l.feature && l.feature.properties"
                         " && l.feature.properties.district_id"
                         " && !l.feature.properties.tehsil_id).length") == 72
    assert page.evaluate("geoRisk.incidents.drawnSymbols().length") > 0
    assert "Risk index" in page.page.text_content("#geo-legend")
    assert "Risk period 2024-01-01 to 2024-12-31" in page.page.text_content("#geo-heading")
    # the density overlay is an inline image that loads offline when switched on
    page.page.get_by_label(density.pop()).check()
    overlay = page.page.locator("img.leaflet-image-layer")
    overlay.wait_for()
    assert overlay.evaluate("img => img.complete && img.naturalWidth > 100 && img.src.startsWith('data:image/png')")
    assert page.page_errors == []


def test_the_legend_explains_the_layers_that_are_on(opened):
    page = opened()
    shown = {part: page.page.locator(f"#geo-legend-{part}").is_visible()
             for part in ("risk", "incidents", "bands", "density", "none")}
    # the layers on when the page opens: district risk, the border and the incidents; bands and density off
    assert shown == {"risk": True, "incidents": True, "bands": False, "density": False, "none": False}
    assert page.page.get_by_text("Pakistan–Afghanistan border", exact=True).last.is_visible()
    page.page.get_by_label("Distance bands from the border").check()
    assert page.page.locator("#geo-legend-bands").is_visible()
    assert "within 0–10 km" in page.page.locator("#geo-legend-bands").inner_text()
    page.page.get_by_label(re.compile(r"^\s*Incident density")).check()
    assert page.page.locator("#geo-legend-density").is_visible()
    for name in ("District risk", "Distance bands from the border", "Pakistan–Afghanistan border",
                 "Incidents (by event type, sized by killed)"):
        page.page.get_by_label(name).uncheck()
    assert not page.page.locator("#geo-legend-risk").is_visible()
    assert not page.page.locator("#geo-legend-incidents").is_visible()
    page.page.get_by_label(re.compile(r"^\s*Incident density")).uncheck()
    assert page.page.locator("#geo-legend-none").is_visible()  # "No layer with a legend is on…"
    page.page.get_by_label("Tehsil risk").check()  # the risk classes explain the tehsils too
    assert page.page.locator("#geo-legend-risk").is_visible()
    assert not page.page.locator("#geo-legend-none").is_visible()
    assert page.page_errors == []


def test_district_tooltip_and_popup(opened, hostile_run):
    page = opened()
    page.page.get_by_label("Incidents (by event type, sized by killed)").uncheck()  # via the layer control
    assert page.evaluate("geoRisk.map.hasLayer(geoRisk.incidents)") is False
    districts = gpd.read_file(hostile_run / "districts_risk.geojson")
    quetta = districts[districts["district"] == "Quetta"].iloc[0]
    point = quetta.geometry.representative_point()
    x, y = page.evaluate("([lat, lon]) => { const p = geoRisk.map.latLngToContainerPoint([lat, lon]);"
                         " return [p.x, p.y]; }", [point.y, point.x])
    page.page.mouse.move(x - 2, y)
    page.page.mouse.move(x, y)
    tooltip = page.page.locator(".leaflet-tooltip").first
    tooltip.wait_for()
    text = tooltip.text_content()
    assert "Quetta" in text and "Balochistan" in text
    assert f"Risk{quetta['risk_class']} (" in text
    assert f"Incidents{int(quetta['incidents'])}" in text and "Confidence" in text and "km" in text
    page.page.mouse.click(x, y)
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Risk components" in popup.text_content() and "Border proximity" in popup.text_content()
    assert popup.locator("svg.geo-spark rect").count() == 12  # one bar per month of the period
    assert page.page_errors == []


def test_time_control_filters_incidents(opened):
    page = opened()
    shown, total = _visible_count(page.count_text())
    assert shown == total == 97
    drawn_all = page.evaluate("geoRisk.incidents.drawnSymbols().reduce((n, s) => n + s.members.length, 0)")
    page.page.focus("#geo-time-to")
    page.page.keyboard.press("Home")  # "To" back to the first month
    first_month, _ = _visible_count(page.count_text())
    assert 0 < first_month < total
    assert page.evaluate("geoRisk.incidents.visibleCount()") == first_month
    drawn = page.evaluate("geoRisk.incidents.drawnSymbols().reduce((n, s) => n + s.members.length, 0)")
    assert drawn <= first_month < drawn_all
    page.page.keyboard.press("ArrowRight")
    two_months, _ = _visible_count(page.count_text())
    assert two_months > first_month
    page.page.click("#geo-time-all")
    assert _visible_count(page.count_text())[0] == total
    page.page.click("#geo-time-play")  # plays month by month from the first
    assert _visible_count(page.count_text())[0] == first_month
    assert page.page.input_value("#geo-time-from") == "0"
    page.page.wait_for_function("document.getElementById('geo-time-from').value === '2'", timeout=5000)
    assert page.page.input_value("#geo-time-to") == "2"  # a one-month window, moved on twice
    page.page.click("#geo-time-play")  # pause
    assert page.page_errors == []


def test_synthetic_banner_shows_only_with_synthetic_data(opened, real_only_run):
    page = opened()
    banner = page.page.locator("#geo-synthetic-banner")
    assert banner.is_visible()
    assert banner.text_content().startswith("SYNTHETIC DATA: 24 of the incidents")
    real = opened(real_only_run)
    assert real.page.locator("#geo-synthetic-banner").count() == 0
    assert _visible_count(real.count_text()) == (73, 73)


def test_planted_markup_and_code_show_as_text_and_never_run(opened):
    page = opened()
    index = page.evaluate("() => { const d = geoRisk.incidents._data; return d.source_id.indexOf('HOSTILE'); }")
    assert index >= 0
    page.evaluate("([k]) => { const d = geoRisk.incidents._data;"
                  " geoRisk.map.setView([d.lat[k] / 1e5, d.lon[k] / 1e5], 12, {animate: false}); }", [index])
    page.page.wait_for_timeout(300)
    x, y = page.evaluate("([k]) => { const p = geoRisk.incidents.containerPoint(k); return [p.x, p.y]; }", [index])
    page.page.mouse.move(x - 3, y)
    page.page.mouse.move(x, y)
    tooltip = page.page.locator(".geo-incident-tooltip")
    tooltip.wait_for()
    assert HOSTILE_TYPE in tooltip.text_content() and HOSTILE_PLACE in tooltip.text_content()
    assert tooltip.locator("img, svg, script").count() == 0
    page.page.mouse.click(x, y)
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.text_content()
    for planted in (HOSTILE_PLACE, HOSTILE_NOTES, HOSTILE_TYPE, HOSTILE_ACTOR, HOSTILE_SOURCE):
        assert planted in text, planted
    assert popup.locator("img, svg, script").count() == 0
    assert HOSTILE_TYPE in page.page.text_content("#geo-legend")
    assert page.page.locator("#geo-legend svg, #geo-legend img").count() == 0
    page.page.wait_for_timeout(400)  # the popup fades in
    page.page.screenshot(path=str(ARTIFACTS / "map_hostile_popup.png"))
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.page_errors == []


def test_incidents_are_grouped_at_low_zoom_and_a_click_zooms_in(opened):
    page = opened()
    zoom = page.evaluate("geoRisk.map.getZoom()")
    assert zoom < 9
    groups = page.evaluate("geoRisk.incidents.drawnSymbols().filter(s => s.members.length > 1)"
                           ".map(s => [s.x, s.y, s.members.length])")
    assert groups, "nearby incidents form counted groups below zoom 9"
    assert page.evaluate("geoRisk.incidents.drawnSymbols().reduce((n, s) => n + s.members.length, 0)") <= 97
    x, y, _ = max(groups, key=lambda group: group[2])
    page.page.mouse.click(x, y)
    page.page.wait_for_function(f"geoRisk.map.getZoom() > {zoom}", timeout=5000)
    assert page.page_errors == []


def test_time_control_opens_on_the_period(opened, two_year_run_dir):
    page = opened(two_year_run_dir)
    # the sliders reach every month of the data (2023-01 … 2024-12) but open on the period's
    assert page.page.get_attribute("#geo-time-from", "max") == "23"
    assert (page.page.input_value("#geo-time-from"), page.page.input_value("#geo-time-to")) == ("12", "17")
    months = page.page.locator("#geo-time .geo-time-month").all_text_contents()
    assert months == ["2024-01", "2024-06"]
    # six places (two across the border) × six months
    assert _visible_count(page.count_text()) == (36, 144)
    assert page.evaluate("geoRisk.incidents.visibleCount()") == 36
    heading = page.page.text_content("#geo-heading")
    assert "Risk period 2024-01-01 to 2024-06-30" in heading and "2024-01 to 2024-06" in heading
    page.page.click("#geo-time-all")
    assert _visible_count(page.count_text()) == (144, 144)
    assert page.page_errors == []


# --- the map as a briefing, at a laptop's 1366 × 768 ------------------------------------------------------

LAPTOP = (1366, 768)
PANEL_BOXES = """() => Array.from(document.querySelectorAll('.leaflet-control, #geo-synthetic-banner'))
    .map(n => [n.id || n.className, n.getBoundingClientRect()])
    .filter(([, r]) => r.width > 0 && r.height > 0)
    .map(([name, r]) => [name, r.left, r.top, r.right, r.bottom])"""
POPUP_BOX = """() => { const r = document.querySelector('.leaflet-popup').getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; }"""


def _overlap(a: list[float], b: list[float]) -> bool:
    """Whether boxes ``[left, top, right, bottom]`` share any area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _open_panels_fit(page) -> None:
    """Open the layer list and the legend; no panel overlaps another or runs off the window."""
    page.page.click(".leaflet-control-layers-toggle")
    page.page.click("#geo-legend summary")
    page.page.wait_for_timeout(100)
    panels = page.evaluate(PANEL_BOXES)
    assert _overlapping(panels) == []
    assert all(0 <= left and right <= LAPTOP[0] and 0 <= top and bottom <= LAPTOP[1]
               for _, left, top, right, bottom in panels), "nothing is cut off at the window's edge"


def _overlapping(boxes: list[list]) -> list[tuple[str, str]]:
    return [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if _overlap(a[1:], b[1:])]


def _open_district_popup(page: OpenedMap, folder: Path, district: str) -> list[float]:
    """Click ``district`` where no incident is drawn; the popup's box once it has panned into view."""
    geometry = gpd.read_file(folder / "districts_risk.geojson").set_index("district").geometry[district]
    west, south, east, north = geometry.bounds
    candidates = [geometry.representative_point()] + [
        Point(west + (east - west) * i / 6, south + (north - south) * j / 6) for j in range(6, 0, -1) for i in range(1, 6)]
    for point in (c for c in candidates if geometry.contains(c)):
        x, y = page.evaluate("([lat, lon]) => { const p = geoRisk.map.latLngToContainerPoint([lat, lon]);"
                             " return [p.x, p.y]; }", [point.y, point.x])
        free = page.evaluate("([x, y]) => !geoRisk.incidents.hitAt({x: x, y: y}) && document.elementFromPoint(x, y)"
                             " && !document.elementFromPoint(x, y).closest('.leaflet-control')", [x, y])
        if free and 0 < x < LAPTOP[0] and 0 < y < LAPTOP[1]:
            break
    else:
        pytest.fail(f"no free point of {district} in view")
    page.page.mouse.click(x, y)
    page.page.locator(".leaflet-popup-content").wait_for()
    page.page.wait_for_timeout(700)  # the auto-pan animation
    assert district in page.page.text_content(".leaflet-popup-content")
    return page.evaluate(POPUP_BOX)


def test_panels_collapse_on_a_laptop_and_open_on_a_wide_screen(opened):
    laptop = opened(viewport=LAPTOP)
    assert laptop.evaluate("geoRisk.narrow()") is True
    layers = laptop.page.locator(".leaflet-control-layers")
    assert "leaflet-control-layers-expanded" not in layers.get_attribute("class")
    assert laptop.page.locator(".leaflet-control-layers-overlays").is_hidden()
    assert laptop.evaluate("document.getElementById('geo-legend-details').open") is False
    assert laptop.page.locator("#geo-density-ramp").is_hidden()
    # collapsed, the two panels are buttons, not a third of the screen
    for selector in (".leaflet-control-layers", "#geo-legend"):
        box = laptop.page.locator(selector).bounding_box()
        assert box["width"] < 140 and box["height"] < 50, (selector, box)
    laptop.page.click(".leaflet-control-layers-toggle")  # a button opens each
    assert laptop.page.locator(".leaflet-control-layers-overlays").is_visible()
    laptop.page.click("#geo-legend summary")
    assert laptop.page.locator("#geo-density-ramp").count() == 1
    assert laptop.evaluate("document.getElementById('geo-legend-details').open") is True
    laptop.page.click(".geo-panel-close")
    assert laptop.page.locator(".leaflet-control-layers-overlays").is_hidden()

    wide = opened(viewport=(1600, 900))
    assert wide.evaluate("geoRisk.narrow()") is False
    assert "leaflet-control-layers-expanded" in wide.page.locator(".leaflet-control-layers").get_attribute("class")
    assert wide.page.locator(".leaflet-control-layers-overlays").is_visible()
    assert wide.evaluate("document.getElementById('geo-legend-details').open") is True
    assert wide.page.locator(".geo-panel-close").is_hidden()
    assert _overlapping(wide.evaluate(PANEL_BOXES)) == []
    assert laptop.page_errors == [] and wide.page_errors == []


def test_open_panels_and_popups_do_not_overlap(opened, hostile_run):
    page = opened(viewport=LAPTOP)
    # collapsed: a popup in the far north (under the banner and the layer button) pans clear of every panel
    popup = _open_district_popup(page, hostile_run, "Upper Chitral")
    panels = page.evaluate(PANEL_BOXES)
    assert any(name == "geo-synthetic-banner" for name, *_ in panels)
    assert [name for name, *box in panels if _overlap(popup, box)] == []
    assert _overlapping(panels) == []
    page.page.reload()  # back to the first view
    page.page.wait_for_function("window.geoRisk && window.geoRisk.map")
    # everything open: layer list, legend (held to the room left under it, scrolling) and a popup;
    # the bands and the density on, so that the legend holds every part
    _open_panels_fit(page)
    page.page.get_by_label("Distance bands from the border").check()
    page.page.get_by_label(re.compile(r"^\s*Incident density")).check()
    assert page.evaluate("(() => { const b = document.getElementById('geo-legend');"
                         " return b.scrollHeight > b.clientHeight && getComputedStyle(b).overflowY === 'auto'; })()")
    page.evaluate("document.getElementById('geo-legend').scrollTop = 1e6")
    assert page.page.locator("#geo-density-ramp").is_visible()  # the density section can be scrolled to
    popup = _open_district_popup(page, hostile_run, "Quetta")
    panels = page.evaluate(PANEL_BOXES)
    assert [name for name, *box in panels if _overlap(popup, box)] == []
    assert page.page_errors == []


def test_district_names_from_zoom_7(opened):
    page = opened(viewport=LAPTOP)
    assert page.evaluate("geoRisk.map.getZoom()") < 7
    assert page.evaluate("geoRisk.labels.shownLabels().length") == 0
    assert page.page.locator(".geo-district-label:visible").count() == 0
    page.evaluate("void geoRisk.map.setView([33.6, 71.2], 7, {animate: false})")
    page.page.wait_for_timeout(200)
    shown = page.page.locator(".geo-district-label:visible")
    names = set(shown.all_text_contents())
    assert len(names) >= 10 and {"Peshawar", "Bannu"} <= names
    boxes = [[name, *box] for name, box in zip(shown.all_text_contents(), shown.evaluate_all(
        "nodes => nodes.map(n => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"),
        strict=True)]
    assert _overlapping(boxes) == []  # crowded names are left out, not drawn over each other
    panels = page.evaluate(PANEL_BOXES)
    assert [(name, panel[0]) for name, *box in boxes for panel in panels if _overlap(box, panel[1:])] == []
    more = page.evaluate("void geoRisk.map.setZoom(9, {animate: false})") or page.page.wait_for_timeout(200)
    assert more is None and page.evaluate("geoRisk.labels.shownLabels().length") > 0
    page.evaluate("void geoRisk.map.setZoom(6, {animate: false})")
    page.page.wait_for_timeout(200)
    assert page.page.locator(".geo-district-label:visible").count() == 0
    assert page.page_errors == []


def _canvas_alpha(page: OpenedMap, x: float, y: float) -> int:
    return page.evaluate("([x, y]) => { const c = document.querySelector('canvas.geo-incident-canvas');"
                         " const r = window.devicePixelRatio || 1;"
                         " return c.getContext('2d').getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data[3]; }",
                         [x, y])


def test_imprecise_locations_are_hollow_and_stacks_are_one_symbol(opened, briefing_run):
    page = opened(briefing_run, viewport=LAPTOP)
    index = page.evaluate("id => geoRisk.incidents._data.source_id.indexOf(id)", "T001")
    page.evaluate("k => { const d = geoRisk.incidents._data; geoRisk.map.setView([d.lat[k] / 1e5, d.lon[k] / 1e5], 12,"
                  " {animate: false}); }", index)
    page.page.click("#geo-time-all")
    page.page.wait_for_timeout(200)
    symbols = page.evaluate("geoRisk.incidents.drawnSymbols().filter(s => s.members.length === 1)"
                            ".map(s => [geoRisk.incidents._data.source_id[s.members[0]], s.x, s.y, s.r, s.hollow])")
    by_id = {row[0]: row[1:] for row in symbols}
    x, y, r, hollow = by_id["T001"]
    assert hollow is True
    assert _canvas_alpha(page, x, y) == 0 and _canvas_alpha(page, x + r, y) > 0  # a ring, nothing inside
    exact = next(row for source_id, *row in symbols if source_id.startswith("T") and row[3] is False
                 and 5 < row[0] < LAPTOP[0] - 5 and 5 < row[1] < LAPTOP[1] - 5)
    assert _canvas_alpha(page, exact[0], exact[1]) > 0  # exact places stay filled
    legend = page.page.text_content("#geo-legend")
    assert "hollow: location known only to a tehsil or district" in legend
    # two incidents on one (district-centre) point: one labelled symbol, dashed, and a click lists them
    page.evaluate("void geoRisk.map.setView([32.5, 69.9], 12, {animate: false})")
    page.page.wait_for_timeout(200)
    stack = page.evaluate("geoRisk.incidents.drawnSymbols().filter(s => s.members.length > 1)"
                          ".map(s => [s.x, s.y, s.members.length, s.hollow])")
    assert len(stack) == 1 and stack[0][2:] == [2, True]
    page.page.mouse.click(stack[0][0], stack[0][1])
    popup = page.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "2 incidents at the same point" in popup.text_content()
    assert page.evaluate("geoRisk.map.getZoom()") == 12  # a list, not a zoom into one point
    assert page.page_errors == []


def test_groups_are_see_through_at_country_zoom_and_show_count_or_killed(opened):
    page = opened(viewport=LAPTOP)
    assert page.evaluate("geoRisk.map.getZoom()") < 7
    groups = page.evaluate("geoRisk.incidents.drawnSymbols().filter(s => s.group)"
                           ".map(s => [s.members.length, s.value, s.fillAlpha, s.r])")
    assert groups and all(alpha <= 0.35 and r <= 15 for *_, alpha, r in groups)
    assert all(n == value for n, value, *_ in groups)
    page.page.check("#geo-group-killed")
    killed = page.evaluate("geoRisk.incidents.drawnSymbols().filter(s => s.group).map(s => [s.value,"
                           " s.members.reduce((n, m) => n + Math.max(0, geoRisk.incidents._data.killed[m]), 0)])")
    assert killed and all(value == total for value, total in killed)
    assert killed != [[n, n] for n, *_ in groups]
    assert "number killed" in page.page.text_content("#geo-legend-group")
    assert page.page_errors == []


def test_a_ucdp_clash_shows_its_sides_and_no_perpetrator(opened, briefing_run):
    page = opened(briefing_run)
    for source_id, sides in (("T005", "Government of Pakistan – TTP"), ("T007", None)):
        index = page.evaluate("id => geoRisk.incidents._data.source_id.indexOf(id)", source_id)
        page.evaluate("k => { const d = geoRisk.incidents._data; geoRisk.map.setView([d.lat[k] / 1e5, d.lon[k] / 1e5],"
                      " 14, {animate: false}); }", index)
        page.page.click("#geo-time-all")
        page.page.wait_for_timeout(200)
        x, y = page.evaluate("k => { const p = geoRisk.incidents.containerPoint(k); return [p.x, p.y]; }", index)
        page.page.mouse.click(x, y)
        popup = page.page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.text_content()
        assert "Perpetrator" not in text  # UCDP names none for a clash; the others say "unknown"
        assert (f"Sides{sides}" in text) if sides else ("Sides" not in text)
        if sides:  # UCDP's deaths_unknown: in killed, in no category
            assert "Killed9 (civilians 1, security forces 3, militants 0, not attributed 5)" in text
        page.evaluate("void geoRisk.map.closePopup()")
    assert page.page_errors == []


def _stops(gradient: str) -> list[list[float]]:
    """The colours of a CSS gradient (the browser writes an opaque one as ``rgb(…)``)."""
    return [[float(part) for part in stop.split(",")] for stop in re.findall(r"rgba?\(([^)]*)\)", gradient)]


def test_density_legend_is_the_overlay_ramp_and_not_the_risk_ramp(opened):
    page = opened(viewport=LAPTOP)
    stops = _stops(page.evaluate("document.getElementById('geo-density-ramp').style.backgroundImage"))
    assert len(stops) == 11
    risk = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in page.evaluate(
        "JSON.parse(document.getElementById('geo-map-config').textContent).risk_classes.map(e => e[1])")}
    assert not any(tuple(stop[:3]) in risk for stop in stops)
    assert all(stop[2] > stop[0] for stop in stops), "a cool ramp, unlike the yellow–red risk classes"
    # every coloured pixel of the overlay lies on the legend's ramp (piecewise linear between its stops)
    pixels = page.evaluate("""() => new Promise(done => {
        const layer = geoRisk.layers.density;
        const img = new Image();
        img.onload = () => {
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
            const data = ctx.getImageData(0, 0, c.width, c.height).data, out = [];
            for (let i = 0; i < data.length; i += 4 * 7) if (data[i + 3] > 200) out.push([data[i], data[i + 1], data[i + 2]]);
            done(out);
        };
        img.src = layer._url;
    })""")
    assert len(pixels) > 20
    ramp = np.array([stop[:3] for stop in stops])
    line = np.concatenate([ramp[i] + np.linspace(0, 1, 40)[:, None] * (ramp[i + 1] - ramp[i])
                           for i in range(len(ramp) - 1)])
    distance = np.sqrt(((np.array(pixels)[:, None, :] - line[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
    assert np.quantile(distance, 0.99) < 12, distance.max()
    assert page.page_errors == []


# --- filters by actor group and event type ----------------------------------------------------------------

HOSTILE_GROUP = '<img src=x onerror="window.__xss = \'group\'"> {{7*7}} ${7*7}'
GROUPS = ("Tehrik-i-Taliban Pakistan", "Balochistan Liberation Army", "unidentified")


@pytest.fixture(scope="module")
def actors_run(hostile_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hostile run with actor groups in turn, every two incidents (TTP, BLA, unidentified), and one
    hostile group name on the HOSTILE incident, map redrawn by `write_maps`."""
    out = tmp_path_factory.mktemp("actors") / "out"
    shutil.copytree(hostile_run, out)
    incidents = pd.read_parquet(out / "incidents.parquet")
    number = incidents["source_id"].str.extract(r"(\d+)", expand=False).fillna("0").astype(int)
    incidents["actor_group"] = [GROUPS[n // 2 % 3] for n in number]
    incidents.loc[incidents["source_id"] == "HOSTILE", "actor_group"] = HOSTILE_GROUP
    incidents.to_parquet(out / "incidents.parquet")
    write_maps(out)
    return out


def _drawn_members(page: OpenedMap) -> list[int]:
    return page.evaluate("geoRisk.incidents.drawnSymbols().flatMap(s => s.members)")


def _tick(page: OpenedMap, field: str, name: str) -> None:
    """Open the filter list of ``field`` and tick the value shown as ``name``."""
    details = page.page.locator(f"#geo-filter-{field}")
    if not details.evaluate("d => d.open"):
        details.locator(".geo-filter-title").click()
    details.locator(".geo-filter-row", has=page.page.locator(".geo-filter-name", has_text=name)).locator(
        "input").check()


def test_actor_group_and_event_type_filters_combine_with_the_time_window(opened, actors_run):
    incidents = pd.read_parquet(actors_run / "incidents.parquet")
    month = pd.to_datetime(incidents["date"]).dt.strftime("%Y-%m")
    page = opened(actors_run)
    assert _visible_count(page.count_text()) == (97, 97)
    # the list is sorted by count, each value with its number of incidents
    rows = page.page.locator("#geo-filter-actor_group .geo-filter-row")
    listed = [(row.locator(".geo-filter-name").text_content(),
               int(row.locator(".geo-filter-n").text_content())) for row in rows.all()]
    expected = incidents["actor_group"].value_counts()
    assert listed == sorted(expected.items(), key=lambda item: (-item[1], item[0]))

    ttp = incidents["actor_group"] == GROUPS[0]
    _tick(page, "actor_group", GROUPS[0])
    assert _visible_count(page.count_text()) == (int(ttp.sum()), 97)
    assert page.page.text_content("#geo-filter-actor_group .geo-filter-chosen") == GROUPS[0]
    d = page.evaluate("geoRisk.incidents._data")
    group_of = [d["actor_group_names"][code] for code in d["actor_group"]]
    drawn = _drawn_members(page)
    assert drawn and {group_of[k] for k in drawn} == {GROUPS[0]}
    # regrouped: the groups count only the incidents that pass
    sizes = page.evaluate("geoRisk.incidents.drawnSymbols().map(s => s.members.length)")
    assert sum(sizes) == len(drawn) and len(sizes) < len(drawn)

    page.page.focus("#geo-time-to")
    page.page.keyboard.press("Home")  # the first month only
    in_window = month == "2024-01"
    assert _visible_count(page.count_text())[0] == int((ttp & in_window).sum()) > 0
    assert {group_of[k] for k in _drawn_members(page)} == {GROUPS[0]}

    ied = incidents["event_type"] == "IED attack"
    _tick(page, "event_type", "IED attack")
    assert _visible_count(page.count_text())[0] == int((ttp & in_window & ied).sum()) > 0
    _tick(page, "actor_group", GROUPS[1])  # two groups: either one
    bla = incidents["actor_group"] == GROUPS[1]
    assert _visible_count(page.count_text())[0] == int(((ttp | bla) & in_window & ied).sum())
    assert page.page.text_content("#geo-filter-actor_group .geo-filter-chosen") == "2 of 4"
    assert page.page.locator("#geo-filter-event_type-all").is_visible()
    page.page.click("#geo-filter-actor_group-all")  # every group again; the type filter stays
    assert page.page.locator("#geo-filter-actor_group-all").is_hidden()
    assert _visible_count(page.count_text())[0] == int((in_window & ied).sum())
    page.page.click("#geo-time-all")
    assert _visible_count(page.count_text()) == (int(ied.sum()), 97)
    page.page.click("#geo-filter-event_type-all")
    assert _visible_count(page.count_text()) == (97, 97)
    assert page.page_errors == []


def test_hostile_actor_and_type_names_show_literally_in_the_filters(opened, actors_run):
    page = opened(actors_run)
    page.page.locator("#geo-filter-actor_group .geo-filter-title").click()
    page.page.locator("#geo-filter-event_type .geo-filter-title").click()
    names = page.page.locator("#geo-filter-actor_group .geo-filter-name").all_text_contents()
    assert HOSTILE_GROUP in names
    assert HOSTILE_TYPE in page.page.locator("#geo-filter-event_type .geo-filter-name").all_text_contents()
    _tick(page, "actor_group", HOSTILE_GROUP)
    assert _visible_count(page.count_text()) == (1, 97)
    assert page.page.text_content("#geo-filter-actor_group .geo-filter-chosen") == HOSTILE_GROUP
    assert page.page.locator("#geo-time img, #geo-time svg, #geo-time script").count() == 0
    assert "49" not in page.page.text_content("#geo-time")
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.page_errors == []


def test_open_filters_fit_a_laptop_screen(opened, actors_run):
    page = opened(actors_run, viewport=LAPTOP)
    _tick(page, "actor_group", GROUPS[1])
    _tick(page, "event_type", "IED attack")
    _open_panels_fit(page)
    page.page.click(".geo-panel-close")
    page.page.click("#geo-legend summary")
    page.page.locator("#geo-filter-event_type .geo-filter-title").click()  # closed; the actor list stays open
    assert page.page.text_content("#geo-filter-event_type .geo-filter-chosen") == "IED attack"
    page.page.wait_for_timeout(200)
    assert _visible_count(page.count_text())[0] == len(page.evaluate(
        "geoRisk.incidents._data.t.map((_, k) => k).filter(k => geoRisk.incidents.shows(k))")) > 0
    shots = Path(os.environ.get("GEO_SHOTS", ARTIFACTS))
    shots.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(shots / "map_filter_applied.png"))  # the committed map_1366_* stay as taken
    assert page.page_errors == []
