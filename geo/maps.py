"""Interactive maps as one self-contained, offline HTML file.

Leaflet's JS and CSS are inlined at build time from the pinned
``xstatic-leaflet`` package (the version folium expects), so the map works
without network access; only the base tiles need it. Every text that reaches
the page is HTML-escaped, and element ids are deterministic so the same inputs
give byte-identical files.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import xstatic.pkg.leaflet as xstatic_leaflet

from geo.boundaries.build import ATTRIBUTION
from geo.export.vector import atomic_path, geojson_text

LEAFLET_VERSION = "1.9.3"  # the Leaflet that folium 0.20 is written for
_LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
_LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"

BAND_COLOURS = {10.0: "#b30000", 25.0: "#e34a33", 50.0: "#fc8d59", 100.0: "#fdcc8a"}


def escape_properties(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose text columns are HTML-escaped, for tooltips and popups."""
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = out[column].map(lambda v: html.escape(str(v)) if isinstance(v, str) else v)
    return out


def _geojson(frame: gpd.GeoDataFrame) -> str:
    return geojson_text(escape_properties(frame))


def boundaries_map(layers: Mapping[str, gpd.GeoDataFrame], title: str = "Boundary layers") -> folium.Map:
    """A folium map of the boundary layers with a layer control."""
    west, south, east, north = layers["districts"].total_bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=6,
                      tiles="OpenStreetMap", control_scale=True, prefer_canvas=True)
    # Only Leaflet is needed; folium's default jQuery/Bootstrap/icons are not.
    fmap.default_js = [("leaflet", _LEAFLET_JS_URL)]
    fmap.default_css = [("leaflet_css", _LEAFLET_CSS_URL)]

    band_style = lambda f: {  # noqa: E731 - folium wants a callable
        "fillColor": BAND_COLOURS.get(f["properties"]["band_km_max"], "#fef0d9"),
        "color": "none", "weight": 0, "fillOpacity": 0.45}
    folium.GeoJson(
        _geojson(layers["border_bands"]), name="Distance to border (km)", style_function=band_style,
        tooltip=folium.GeoJsonTooltip(["band_km_min", "band_km_max", "area_km2"],
                                      aliases=["from km", "to km", "area km²"]),
    ).add_to(fmap)
    folium.GeoJson(
        _geojson(layers["afghan_border_districts"]), name="Afghan districts near the border",
        style_function=lambda f: {"color": "#636363", "weight": 0.6, "fillColor": "#bdbdbd", "fillOpacity": 0.25},
        tooltip=folium.GeoJsonTooltip(["district", "province", "distance_to_border_km"],
                                      aliases=["Afghan district", "province", "to border km"]),
    ).add_to(fmap)
    folium.GeoJson(
        _geojson(layers["tehsils"]), name="Tehsils", show=False,
        style_function=lambda f: {"color": "#2c7fb8", "weight": 0.5, "fillOpacity": 0.0},
        tooltip=folium.GeoJsonTooltip(["tehsil", "district", "province", "area_km2", "assignment"],
                                      aliases=["tehsil", "district", "province", "area km²", "assigned by"]),
    ).add_to(fmap)
    folium.GeoJson(
        _geojson(layers["districts"]), name="Districts",
        style_function=lambda f: {"color": "#252525", "weight": 1.0, "fillColor": "#ffffff", "fillOpacity": 0.05},
        highlight_function=lambda f: {"weight": 2.5, "fillOpacity": 0.2},
        tooltip=folium.GeoJsonTooltip(["district", "province", "area_km2", "n_tehsils"],
                                      aliases=["district", "province", "area km²", "tehsils"]),
    ).add_to(fmap)
    folium.GeoJson(
        _geojson(layers["provinces"]), name="Provinces",
        style_function=lambda f: {"color": "#000000", "weight": 2.5, "fill": False},
    ).add_to(fmap)
    folium.GeoJson(
        _geojson(layers["border"]), name="Pakistan–Afghanistan border",
        style_function=lambda f: {"color": "#d7301f", "weight": 3.5, "dashArray": "8 6"},
        tooltip=folium.GeoJsonTooltip(["name", "length_km"], aliases=["", "length km"]),
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    header = (
        '<div style="position:fixed;top:10px;left:60px;z-index:1000;background:rgba(255,255,255,.9);'
        'padding:6px 10px;border:1px solid #888;font:14px sans-serif;max-width:60%">'
        f"<b>{html.escape(title)}</b><br><span style=\"font-size:11px\">{html.escape(ATTRIBUTION)}</span></div>"
    )
    fmap.get_root().html.add_child(folium.Element(header))
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap


def _number_elements(element: folium.Element, counter: list[int]) -> None:
    """Replace folium's random element ids with a running number (reproducible HTML)."""
    element._id = f"{counter[0]:06d}"
    counter[0] += 1
    for child in element._children.values():
        _number_elements(child, counter)


def render_self_contained(fmap: folium.Map) -> str:
    """Render ``fmap`` to HTML with Leaflet's JS, CSS and images inlined."""
    root = fmap.get_root()
    _number_elements(root, [0])
    page = root.render()
    assets = Path(xstatic_leaflet.BASE_DIR)
    script = (assets / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    style = re.sub(r"url\(images/([\w.-]+)\)", lambda m: f"url({_data_uri(assets / 'images' / m.group(1))})",
                   (assets / "leaflet.css").read_text(encoding="utf-8"))
    page = page.replace(f'<script src="{_LEAFLET_JS_URL}"></script>', f"<script>{script}</script>")
    page = page.replace(f'<link rel="stylesheet" href="{_LEAFLET_CSS_URL}"/>', f"<style>{style}</style>")
    if _LEAFLET_JS_URL in page or _LEAFLET_CSS_URL in page:
        msg = "folium's page template changed: Leaflet could not be inlined"
        raise RuntimeError(msg)
    return page


def _data_uri(path: Path) -> str:
    mime = "image/svg+xml" if path.suffix == ".svg" else f"image/{path.suffix.lstrip('.')}"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def write_map(fmap: folium.Map, path: Path) -> Path:
    """Write a self-contained map, atomically."""
    page = render_self_contained(fmap)
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return Path(path)
