"""The names of the files geo writes.

Every output of ``geo run`` (and of ``geo ingest``, the part of a run that
reads and exports the incidents), ``geo report``, ``geo compare`` and
``geo boundaries build`` is named here once, so that the stage that writes a
file and the stages that read it back (maps, brief, comparison, geocoder)
cannot disagree. Layer files named after their layer (``districts_risk.geojson``
and its ``.qml``/``.qmd``, ``tehsils.geojson``) are the layer name plus suffix
and are not listed.

Notes
-----
This module imports nothing: any stage may import it.
"""

from __future__ import annotations

# A run folder: written by `geo ingest` and by `geo run`.
RUN_JSON = "run.json"
TIMINGS_JSON = "timings.json"
INCIDENTS_GEOJSON = "incidents.geojson"
INCIDENTS_PARQUET = "incidents.parquet"
REPORTS_PARQUET = "reports.parquet"
REPORTS_CSV = "reports.csv"
REJECTED_CSV = "rejected.csv"
MONTHLY_ACTOR_GROUPS_CSV = "monthly_actor_groups.csv"

# A run folder: written by `geo run` only.
SYNTHETIC_INCIDENTS_CSV = "synthetic_incidents.csv"  # the generated sample, when no input is given
DENSITY_INCIDENTS_TIF = "density_incidents.tif"
DENSITY_KILLED_TIF = "density_killed.tif"
RISK_GPKG = "risk.gpkg"
SUMMARY_DISTRICTS_CSV = "summary_districts.csv"
SUMMARY_TEHSILS_CSV = "summary_tehsils.csv"
MONTHLY_DISTRICTS_CSV = "monthly_districts.csv"
MONTHLY_TEHSILS_CSV = "monthly_tehsils.csv"
MONTHLY_KILLED_BY_PROVINCE_CSV = "monthly_killed_by_province.csv"
MAP_HTML = "map.html"
MAP_PNG = "map.png"

# The brief (`geo report`, and the end of `geo run`).
REPORT_HTML = "report.html"
REPORT_PDF = "report.pdf"
TABLES_XLSX = "tables.xlsx"

# `geo compare`.
COMPARE_DISTRICTS_CSV = "compare_districts.csv"
COMPARE_DISTRICTS_XLSX = "compare_districts.xlsx"

# boundaries/: written by `geo boundaries build` (besides one GeoJSON per layer).
BOUNDARIES_GPKG = "boundaries.gpkg"
NATURAL_EARTH_BORDER_GEOJSON = "natural_earth_border.geojson"  # reference line for checks, not a layer
GEONAMES_PLACES_CSV = "geonames_places.csv"
GEONAMES_ALTERNATES_CSV = "geonames_alternates.csv"
GAZETTEER_COVERAGE_CSV = "gazetteer_coverage.csv"
DISTRICT_CROSSWALK_CSV = "district_crosswalk.csv"
UNIT_GEOMETRY_METRICS_CSV = "unit_geometry_metrics.csv"
BUILD_REPORT_JSON = "build_report.json"

# boundaries/: committed by hand and read by the build (it never writes them).
OVERRIDES_CSV = "overrides.csv"
DISTRICT_VINTAGES_CSV = "district_vintages.csv"
