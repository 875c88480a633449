"""What the output fields are called in QGIS (aliases with units) and which are dates.

The one table of field aliases: every style and every layer takes its aliases
from :func:`field_alias`, so a column added by any stage gets a readable name
even before it has an entry here (``some_new_km`` → ``Some new (km)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Written as ISO dates in GeoJSON (which OGR reads as Date) and as DATE in the GeoPackage.
DATE_FIELDS = frozenset({"date", "period_start", "period_end"})

FIELD_ALIASES: dict[str, str] = {
    # GeoPackage feature id
    "fid": "Feature id",
    # incidents (README, "Canonical incident table")
    "incident_id": "Incident id",
    "source": "Source",
    "source_id": "Source's own id",
    "date": "Date (first day of the period when imprecise)",
    "date_precision": "Date precision",
    "lat": "Latitude (°, WGS84)",
    "lon": "Longitude (°, WGS84)",
    "geo_precision": "Location precision (1 place, 2 tehsil/district, 3 province)",
    "place": "Place (as the source gives it)",
    "place_parsed": "Place name as parsed",
    "source_admin1": "Province (as the source gives it)",
    "source_admin2": "District (as the source gives it)",
    "event_type": "Event type",
    "perpetrator": "Perpetrator",
    "target_category": "Target",
    "killed": "Killed",
    "killed_civilians": "Civilians killed",
    "killed_security": "Security forces killed",
    "killed_militants": "Militants killed",
    "injured": "Injured",
    "notes": "Notes (source text)",
    "geocode_method": "Geocoding method",
    "geocode_score": "Geocoding score (0–100)",
    "coordinates_fixed": "Coordinates fixed",
    "synthetic": "SYNTHETIC record",
    "input_file": "Input file",
    "line_no": "Line in the input file",
    "tehsil_id": "Tehsil id",
    "tehsil": "Tehsil",
    "district_id": "District id",
    "district": "District",
    "province": "Province",
    "country": "Country",
    "in_study_area": "In KP or Balochistan",
    "join_method": "How the district was assigned",
    "distance_to_border_km": "Distance to the Pakistan–Afghanistan border (km, geodesic)",
    "border_band": "Border distance band (km)",
    "in_period": "In the period measured",
    # risk layers (docs/outputs.md)
    "period_start": "Period start",
    "period_end": "Period end",
    "area_km2": "Area (km², geodesic)",
    "incidents": "Incidents in the period",
    "incidents_last_3m": "Incidents, last 3 months",
    "incidents_prev_9m": "Incidents, 9 months before",
    "incidents_per_1000_km2": "Incidents per 1,000 km²",
    "killed_per_1000_km2": "Killed per 1,000 km²",
    "eb_incidents_per_1000_km2": "Incidents per 1,000 km² (EB-smoothed)",
    "eb_killed_per_1000_km2": "Killed per 1,000 km² (EB-smoothed)",
    "trend_ratio": "Trend (monthly incidents, last 3 months ÷ 9 before)",
    "min_distance_to_border_km": "Nearest point to the border (km)",
    "centroid_distance_to_border_km": "Centroid distance to the border (km)",
    "share_within_25km": "Share of area within 25 km of the border (0–1)",
    "share_within_50km": "Share of area within 50 km of the border (0–1)",
    "diffusion_share": "Share of 10 km cells with ≥10 events a year (0–1)",
    "gi_z": "Gi* z-score (EB incident rates)",
    "gi_p_sim": "Gi* p-value (normal, or permutation pseudo p)",
    "gi_bin": "Gi* bin (−3 cold 99 % … 3 hot 99 %)",
    "hotspot_class": "Hotspot (Gi*)",
    "emerging_class": "Emerging hotspot class",
    "mk_trend": "Mann-Kendall trend of monthly Gi*",
    "mk_p": "Mann-Kendall p-value",
    "hot_months": "Months as a hotspot",
    "incident_density_score": "Incident density score (0–10)",
    "fatality_density_score": "Fatality density score (0–10)",
    "civilian_harm_score": "Civilian harm score (0–10)",
    "border_proximity_score": "Border proximity score (0–10)",
    "trend_score": "Trend score (0–10)",
    "hotspot_score": "Hotspot score (0–10)",
    "risk_score": "Risk index (0–10)",
    "risk_class": "Risk class",
    "confidence": "Confidence of the risk index",
    "synthetic_data": "Includes SYNTHETIC data",
    # boundary layers
    "band_km_min": "Band from (km to the border)",
    "band_km_max": "Band to (km to the border)",
    "name": "Name",
}

_PER_BAND = re.compile(r"^(?P<measure>incidents|killed)_band_(?:(?P<low>\d+)_(?P<high>\d+)|over_(?P<over>\d+))$")
_UNITS = (("_per_1000_km2", " per 1,000 km²"), ("_km2", " (km²)"), ("_km", " (km)"), ("_pct", " (%)"))


def field_alias(name: str) -> str:
    """The alias QGIS shows for field ``name``: from :data:`FIELD_ALIASES`, or
    made readable from the name itself (never an error, never empty).

    Examples
    --------
    >>> field_alias("killed_band_0_10")
    'Killed 0–10 km from the border'
    >>> field_alias("district_vintage_year")
    'District vintage year'
    """
    if name in FIELD_ALIASES:
        return FIELD_ALIASES[name]
    if match := _PER_BAND.match(name):
        measure = match["measure"].capitalize()
        if match["over"]:
            return f"{measure} over {match['over']} km from the border"
        return f"{measure} {match['low']}–{match['high']} km from the border"
    stem, unit = name, ""
    for suffix, text in _UNITS:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem, unit = stem[: -len(suffix)], text
            break
    words = stem.replace("_", " ").strip() or name
    return words[:1].upper() + words[1:] + unit


def field_aliases(fields: Iterable[str]) -> dict[str, str]:
    """:func:`field_alias` of each field, in order."""
    return {name: field_alias(name) for name in fields}
