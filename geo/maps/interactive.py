"""The interactive risk map: one folium page that opens offline from an email.

Layers (in the layer control): district risk (on), tehsil risk, incidents
(one canvas layer, clustered below zoom 9, filtered by the time control, which
opens on the risk period's months, and by actor group and event type), the incident density surface of the period
(an image in Web Mercator, its kernel radius in km), the Pakistan–Afghanistan
border and its distance bands, Afghan border districts and province outlines.
Tooltips, popups, the legend, the time control and the SYNTHETIC banner are
built by ``assets/riskmap.js`` from JSON blocks with DOM text nodes, so text
from the data is never parsed as HTML.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.map import Layer
from folium.template import Template
from folium.utilities import JsCode
from shapely.ops import polylabel

from geo.actors import UNIDENTIFIED
from geo.attribution import clipped
from geo.geojson import geojson_features
from geo.maps.content import (
    BAND_FILLS,
    BORDER_COLOUR,
    GEO_PRECISION,
    NOTES_MAX_CHARS,
    OTHER_TYPE_COLOUR,
    RISK_CLASS_COLOURS,
    TYPE_COLOURS,
    MapContent,
    density_colours,
)
from geo.maps.page import RawMarkup, asset_text, bare_map, json_block
from geo.metrics.units import parse_dates
from geo.palette import event_types_by_count

TITLE = "Incident risk by district: Khyber Pakhtunkhwa and Balochistan"
BASE_MAP_NAME = "OpenStreetMap (needs internet)"
CLUSTER_BELOW_ZOOM = 9
LABELS_FROM_ZOOM = 7  # district names show from this zoom on
PANELS_COLLAPSED_BELOW_PX = 1400  # viewport width under which the layer list and legend start collapsed
# about 23 lines of the attribution panel: the boundaries and every source geo cites (about 500) fit
ATTRIBUTION_MAX_CHARS = 1_000
NAME_MAX_CHARS = 300  # a source, place, perpetrator or event type as popups, tooltips and the legend show it
COMPONENT_LABELS = {
    "incident_density": "Incident density", "fatality_density": "Fatality density",
    "civilian_harm": "Civilian harm", "border_proximity": "Border proximity", "trend": "Trend",
    "hotspot": "Hotspot (Gi*)",
}
INCIDENTS_BLOCK, CONFIG_BLOCK = "geo-incidents", "geo-map-config"
DAY = np.timedelta64(1, "D")


class IncidentLayer(Layer):
    """All incidents as one Leaflet layer drawn on a canvas (``geoRisk.IncidentLayer``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = geoRisk.incidentLayer({{ this.block_id|tojson }},
                {clusterBelowZoom: {{ this.cluster_below_zoom|tojson }}});
        {% endmacro %}
    """)

    def __init__(self, block_id: str, name: str, cluster_below_zoom: int = CLUSTER_BELOW_ZOOM, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "IncidentLayer"
        self.block_id = block_id
        self.cluster_below_zoom = cluster_below_zoom


class MapControls(folium.MacroElement):
    """Title, SYNTHETIC banner, legend, time control and attribution (``geoRisk.controls``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            geoRisk.controls({{ this._parent.get_name() }}, {{ this.incidents.get_name() }},
                             {{ this.config_id|tojson }}, {{ this.layer_control.get_name() }}, {
                {%- for key, layer in this.layers.items() %}
                {{ key|tojson }}: {{ layer.get_name() }}{{ "," if not loop.last }}
                {%- endfor %}
            });
        {% endmacro %}
    """)

    def __init__(self, incidents: IncidentLayer, config_id: str, layer_control: folium.LayerControl,
                 layers: Mapping[str, folium.MacroElement]):
        super().__init__()
        self._name = "MapControls"
        self.incidents = incidents
        self.config_id = config_id
        self.layer_control = layer_control
        self.layers = dict(layers)


class LabelLayer(Layer):
    """District names at their polygons' inner centres, from ``min_zoom`` on (``geoRisk.labelLayer``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = geoRisk.labelLayer({{ this.labels|tojson }},
                {minZoom: {{ this.min_zoom|tojson }}});
        {% endmacro %}
    """)

    def __init__(self, labels: list[list[object]], name: str, min_zoom: int = LABELS_FROM_ZOOM, show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "LabelLayer"
        self.labels = labels
        self.min_zoom = min_zoom


def district_labels(districts: gpd.GeoDataFrame) -> list[list[object]]:
    """``[name, lat, lon, risk score, area km²]`` per district, at the pole of
    inaccessibility of its largest part (inside the polygon, unlike a centroid)."""
    labels = []
    for name, score, area, geometry in zip(districts["district"], districts["risk_score"], districts["area_km2"],
                                           districts.geometry, strict=True):
        if geometry is None or geometry.is_empty:
            continue
        parts = getattr(geometry, "geoms", [geometry])
        point = polylabel(max(parts, key=lambda part: part.area), tolerance=0.005)
        labels.append([str(name), round(point.y, 4), round(point.x, 4),
                       None if pd.isna(score) else round(float(score), 2), None if pd.isna(area) else round(float(area))])
    return labels


def _codes(values: pd.Series) -> tuple[list[int], list[str]]:
    """Dictionary-encode a text column (``-1`` for missing), categories sorted,
    each shown with at most :data:`NAME_MAX_CHARS` characters."""
    categorical = pd.Categorical(values.astype("string"))
    categories = [clipped(c, NAME_MAX_CHARS) for c in categorical.categories]
    return categorical.codes.astype(int).tolist(), categories


def _counts(values: pd.Series) -> list[int]:
    return values.astype("Float64").fillna(-1).astype(int).tolist()


def event_type_colours(incidents: pd.DataFrame) -> list[tuple[str, str]]:
    """The most common event types (ties by name) with their colours; others are grey."""
    return list(zip(event_types_by_count(incidents["event_type"]), TYPE_COLOURS, strict=False))


def incident_columns(incidents: pd.DataFrame, types: list[tuple[str, str]],
                     period: tuple[str, str] | None = None) -> dict[str, object]:
    """The incidents as compact columns, deadliest first (drawn first, so small
    symbols stay visible on top): days since ``day0``, coordinates × 10⁵,
    texts as codes into sorted lists of their distinct values (notes cut to
    ``NOTES_MAX_CHARS``; ``actor_group`` ``unidentified`` where the run has
    none), counts with ``-1`` for unknown.

    ``months`` (the time control's steps) run from the first month of the data
    to the last, widened to take in ``period`` (ISO days) when it reaches
    beyond the data, so that the control can open on the period's months.
    """
    frame = incidents.assign(_killed=incidents["killed"].fillna(-1)).sort_values(
        ["_killed", "date", "incident_id"], ascending=[False, True, True], kind="mergesort")
    dates = parse_dates(frame["date"]).to_numpy(dtype="datetime64[D]")
    dated = dates[~np.isnat(dates)]
    span = [dated.min(), dated.max()] if len(dated) else []
    if period is not None:
        span += [np.datetime64(day, "D") for day in period]
    day0 = min(span) if span else np.datetime64("2000-01-01", "D")
    first_month = day0.astype("datetime64[M]")
    last_month = max(span).astype("datetime64[M]") if span else first_month
    months = np.arange(first_month, last_month + 1)
    colour_index = {clipped(name, NAME_MAX_CHARS): i for i, (name, _) in enumerate(types)}  # as _codes shows them
    event_types, event_type_names = _codes(frame["event_type"].astype("string").fillna("unknown"))
    places, place_names = _codes(frame["place"])
    units, unit_names = _codes(frame["tehsil"].astype("string").fillna("") + ", " + frame["district"].astype(
        "string").fillna("") + ", " + frame["province"].astype("string").fillna(frame["country"].astype("string")))
    sources, source_names = _codes(frame["source"])
    perpetrators, perpetrator_names = _codes(frame["perpetrator"])
    # a run folder from before the actor table has no actor_group: every incident is unidentified
    actor_groups, actor_group_names = _codes(
        frame["actor_group"].astype("string").fillna(UNIDENTIFIED) if "actor_group" in frame
        else pd.Series(UNIDENTIFIED, index=frame.index, dtype="string"))
    sides, side_names = _codes(frame["sides"] if "sides" in frame else pd.Series(pd.NA, index=frame.index))
    date_precisions, date_precision_names = _codes(frame["date_precision"])
    notes, note_texts = _codes(frame["notes"])
    cut = [len(text) > NOTES_MAX_CHARS for text in note_texts]
    note_texts = [text[: NOTES_MAX_CHARS - 1] + "…" if too_long else text
                  for text, too_long in zip(note_texts, cut, strict=True)]
    return {
        "day0": str(day0),
        "t": ((dates - day0) // DAY).astype(int).tolist(),
        "lat": np.round(frame["lat"].to_numpy(dtype=float) * 1e5).astype(int).tolist(),
        "lon": np.round(frame["lon"].to_numpy(dtype=float) * 1e5).astype(int).tolist(),
        "event_type": event_types, "event_type_names": event_type_names,
        "event_type_colour": [colour_index.get(name, -1) for name in event_type_names],
        "killed": _counts(frame["killed"]), "killed_civilians": _counts(frame["killed_civilians"]),
        "killed_security": _counts(frame["killed_security"]), "killed_militants": _counts(frame["killed_militants"]),
        "injured": _counts(frame["injured"]),
        "geo_precision": _counts(frame["geo_precision"]),
        "date_precision": date_precisions, "date_precision_names": date_precision_names,
        "place": places, "place_names": place_names,
        "unit": units, "unit_names": unit_names,
        "source": sources, "source_names": source_names,
        "source_id": frame["source_id"].astype("string").fillna("").tolist(),
        "perpetrator": perpetrators, "perpetrator_names": perpetrator_names,
        "actor_group": actor_groups, "actor_group_names": actor_group_names,
        "sides": sides, "side_names": side_names,
        "notes": notes, "note_texts": note_texts, "note_cut": [int(flag) for flag in cut],
        "synthetic": frame["synthetic"].fillna(False).astype(int).tolist(),
        "months": [str(m) for m in months],
        "month_first_day": ((months.astype("datetime64[D]") - day0) // DAY).astype(int).tolist(),
        "month_last_day": (((months + 1).astype("datetime64[D]") - DAY - day0) // DAY).astype(int).tolist(),
    }


def map_config(content: MapContent, types: list[tuple[str, str]]) -> dict[str, object]:
    """Texts and legend entries for ``geoRisk.controls``."""
    start, end = content.period
    weights = content.run.get("settings", {}).get("risk", {}).get("districts_risk", {}).get("weights", {})
    density = None
    if content.density is not None:
        # the overlay's own colours and opacities (geo.maps.content.density_colours), bottom to top
        ramp = [f"rgba({r},{g},{b},{a / 255:.2f})" for r, g, b, a in density_colours(np.linspace(0.02, 1, 11)).tolist()]
        density = {"max": round(content.density.max_value, 4),
                   "kernel": content.density.tags.get("kernel", ""),
                   "bandwidth_km": content.density.tags.get("bandwidth_km", ""),
                   "ramp": ramp,
                   "period": [content.density.tags.get("period_start", start),
                              content.density.tags.get("period_end", end)]}
    synthetic_count = int(content.incidents["synthetic"].fillna(False).sum())
    first_month, last_month = start[:7], end[:7]
    return {
        "title": TITLE,
        "period": f"Risk period {start} to {end}",
        # the time control opens on these months (YYYY-MM); "All dates" widens it to the data's
        "time_window": [first_month, last_month],
        "time_note": (f"Incidents shown: {first_month} to {last_month}, the risk period's months; "
                      "the time control below reaches every month of the data"),
        "synthetic": content.synthetic, "synthetic_shown": synthetic_count,
        "incidents_total": content.incidents_total, "incidents_shown": len(content.incidents),
        "selection": content.selection,
        "months": content.months,
        "risk_classes": list(RISK_CLASS_COLOURS.items()),
        "types": [(clipped(name, NAME_MAX_CHARS), colour) for name, colour in types],
        "other_colour": OTHER_TYPE_COLOUR,
        "components": [[key, label, weights.get(key)] for key, label in COMPONENT_LABELS.items()],
        "geo_precision": {str(k): v for k, v in GEO_PRECISION.items()},
        "bands": [[f"{lo:g}–{hi:g} km", BAND_FILLS.get(hi, "#fef0d9")] for lo, hi in _bands(content)],
        "border_colour": BORDER_COLOUR,
        "density": density,
        "attribution": clipped(content.run.get("attribution", ""), ATTRIBUTION_MAX_CHARS),
        "cluster_below_zoom": CLUSTER_BELOW_ZOOM,
        "labels_from_zoom": LABELS_FROM_ZOOM,
        "panels_collapsed_below_px": PANELS_COLLAPSED_BELOW_PX,
    }


def _bands(content: MapContent) -> list[tuple[float, float]]:
    bands = content.context["border_bands"]
    return list(zip(bands["band_km_min"].astype(float), bands["band_km_max"].astype(float), strict=True))


def _risk_style(feature: dict) -> dict:
    colour = RISK_CLASS_COLOURS.get(feature["properties"]["risk_class"], OTHER_TYPE_COLOUR)
    return {"fillColor": colour, "color": "#555555", "weight": 0.6, "fillOpacity": 0.75}


def _band_style(feature: dict) -> dict:
    colour = BAND_FILLS.get(float(feature["properties"]["band_km_max"]), "#fef0d9")
    return {"fillColor": colour, "color": colour, "weight": 0, "fillOpacity": 0.35}


def _fixed_style(style: Mapping[str, object]) -> Callable[[dict], dict]:
    return lambda feature: dict(style)


def _geojson(frame: gpd.GeoDataFrame, name: str, style_function: Callable[[dict], dict],
             binder: str | None = None, **options: object) -> folium.GeoJson:
    """A GeoJSON layer; ``binder`` is the JS that gives each feature its tooltip and popup."""
    highlight = (lambda feature: {"weight": 2.5, "color": "#000000"}) if binder else None
    # a dict, which folium embeds as it is (text it would parse again)
    collection = {"type": "FeatureCollection", "features": geojson_features(frame, feature_ids=True)}
    return folium.GeoJson(
        collection, name=name, style_function=style_function,
        highlight_function=highlight, on_each_feature=JsCode(binder) if binder else None, **options)


def risk_map(content: MapContent) -> folium.Map:
    """The folium map of a run (see the module docstring for its layers)."""
    west, south, east, north = content.units["districts_risk"].total_bounds
    fmap = bare_map(location=[(south + north) / 2, (west + east) / 2], zoom_start=6, tiles=None,
                    control_scale=True, prefer_canvas=True)
    folium.TileLayer("OpenStreetMap", name=BASE_MAP_NAME).add_to(fmap)
    root = fmap.get_root()
    root.header.add_child(RawMarkup(f"<title>{html.escape(TITLE)}</title>"))
    # In the body, so that they come after Leaflet's script and style in the head.
    root.html.add_child(RawMarkup(f"<style>{asset_text('riskmap.css')}</style>"))
    root.html.add_child(RawMarkup(f"<script>{asset_text('riskmap.js')}</script>"))
    types = event_type_colours(content.incidents)
    root.html.add_child(json_block(CONFIG_BLOCK, map_config(content, types)))
    columns = incident_columns(content.incidents, types, content.period)
    root.html.add_child(json_block(INCIDENTS_BLOCK, columns))

    context = content.context
    # what the legend's parts follow (geoRisk.layers): each shows while a layer it explains is on
    layers: dict[str, folium.MacroElement] = {}
    layers["bands"] = _geojson(context["border_bands"], "Distance bands from the border", _band_style, show=False,
                               interactive=False)
    layers["bands"].add_to(fmap)
    _geojson(context["afghan_border_districts"], "Afghan districts near the border (context)",
             _fixed_style({"color": "#7a7a7a", "weight": 0.6, "fillColor": "#d9d9d9", "fillOpacity": 0.35}),
             binder="geoRisk.contextBinder()").add_to(fmap)
    layers["tehsils"] = _geojson(content.units["tehsils_risk"], "Tehsil risk", _risk_style, show=False,
                                 binder="geoRisk.unitBinder('tehsil')")
    layers["tehsils"].add_to(fmap)
    layers["districts"] = _geojson(content.units["districts_risk"], "District risk", _risk_style,
                                   binder="geoRisk.unitBinder('district')")
    layers["districts"].add_to(fmap)
    _geojson(context["provinces"], "Province outlines", _fixed_style({"color": "#222222", "weight": 2, "fill": False}),
             interactive=False).add_to(fmap)
    layers["border"] = _geojson(context["border"], "Pakistan–Afghanistan border",
                                _fixed_style({"color": BORDER_COLOUR, "weight": 3.5, "dashArray": "8 6"}),
                                interactive=False)
    layers["border"].add_to(fmap)
    if content.density is not None:
        tags = content.density.tags
        layers["density"] = folium.raster_layers.ImageOverlay(
            image="data:image/png;base64," + base64.b64encode(content.density.png).decode("ascii"),
            bounds=[list(corner) for corner in content.density.bounds], opacity=0.9, interactive=False,
            # Leaflet's layer control shows names as HTML: escape what comes from a file
            name=html.escape(f"Incident density ({tags.get('kernel', '')} kernel, "
                             f"{tags.get('bandwidth_km', '')} km bandwidth)"),
            show=False)
        layers["density"].add_to(fmap)
    incidents = IncidentLayer(INCIDENTS_BLOCK, "Incidents (by event type, sized by killed)")
    incidents.add_to(fmap)
    layers["incidents"] = incidents
    LabelLayer(district_labels(content.units["districts_risk"]), f"District names (from zoom {LABELS_FROM_ZOOM})"
               ).add_to(fmap)
    # collapsed or not by geoRisk.controls, from the viewport's width
    layer_control = folium.LayerControl(collapsed=False, position="topright")
    layer_control.add_to(fmap)
    MapControls(incidents, CONFIG_BLOCK, layer_control, layers).add_to(fmap)
    fmap.fit_bounds([[south, west], [north, east]])
    return fmap
