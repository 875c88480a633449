"""Settings: one frozen object with documented defaults, loaded from TOML.

Nothing here is global state: functions take a :class:`Settings` argument, and
tests build their own with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os
import tomllib
from pathlib import Path

from geo._errors import GeoError
from geo.filters import Filters, filters_from_table

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Albers equal-area conic fitted to the study area (standard parallels bracket
# Balochistan's south coast and Chitral's north): areas and densities are
# computed here; distances to the border are geodesic instead.
STUDY_AREA_EQUAL_AREA_CRS = (
    "+proj=aea +lat_0=30 +lon_0=68 +lat_1=26 +lat_2=36 +x_0=0 +y_0=0 "
    "+datum=WGS84 +units=m +no_defs"
)
# Its name in the GeoTIFFs (ASCII: GeoTIFF citations are ASCII text).
STUDY_AREA_EQUAL_AREA_CRS_NAME = "KP-Balochistan Albers equal-area (geo)"


# District sets the boundary build derives (boundaries/district_vintages.csv):
# today's, and the one before the 2022 splits and new districts.
DISTRICT_VINTAGES = ("current", "pre2022")

# Metrics read dates as pandas timestamps (nanoseconds), which start in 1677.
EARLIEST_YEAR_FLOOR = 1678
# Bounds that keep a density grid in memory on an analyst's laptop: the study
# area is about 1,300 × 1,200 km, so 0.5 km cells make a 2,600 × 2,400 grid.
KDE_MIN_CELL_KM = 0.5
KDE_MAX_BANDWIDTH_KM = 100.0
# Gi*'s 99 % class needs p ≤ 0.01, so at least 99 permutations.
MIN_PERMUTATIONS, MAX_PERMUTATIONS = 99, 99_999


class SettingsError(GeoError, ValueError):
    """A settings file is unreadable or has an unknown or ill-typed key."""


# Canonical incident fields a plain table may map its columns onto.
INCIDENT_FIELDS = (
    "source_id", "date", "date_precision", "lat", "lon", "geo_precision", "place", "source_admin1",
    "source_admin2", "event_type", "perpetrator", "target_category", "killed", "killed_civilians",
    "killed_security", "killed_militants", "injured", "notes",
)


@dataclasses.dataclass(frozen=True)
class IncidentMapping:
    """How a plain CSV/GeoJSON incident table maps onto the canonical fields.

    In TOML::

        [incidents]
        source = "PICSS monthly report"
        synthetic = false
        date_format = "%d/%m/%Y"   # optional: how the dates are written
        [incidents.columns]
        date = "Date"              # or ["Year", "Month", "Day"]
        place = "Location"
        killed = "Total killed"

    ``date_format`` applies to the date columns of every input file of the run.
    """

    source: str = "custom"
    columns: tuple[tuple[str, str | tuple[str, str, str]], ...] = ()
    synthetic: bool = False
    date_format: str | None = None

    def as_dict(self) -> dict[str, str | tuple[str, str, str]]:
        return dict(self.columns)


def _incident_mapping(table: object, path: Path) -> IncidentMapping:
    if not isinstance(table, dict):
        msg = f"[incidents] in {path} must be a table, got {_shown(table)}"
        raise SettingsError(msg)
    unknown = sorted(set(table) - {"source", "synthetic", "date_format", "columns"})
    if unknown:
        msg = (f"[incidents] in {path} takes source, synthetic, date_format and a [incidents.columns] table; "
               f"got {unknown}")
        raise SettingsError(msg)
    source, synthetic = table.get("source", "custom"), table.get("synthetic", False)
    date_format = table.get("date_format")
    if date_format is not None:
        check_date_format(date_format, f"setting incidents.date_format in {path}")
    columns = table.get("columns", {})
    if not isinstance(source, str) or not source.strip():
        msg = f"setting incidents.source in {path} must be str (a source name), got {_shown(source)}"
        raise SettingsError(msg)
    if not isinstance(synthetic, bool):
        msg = f"setting incidents.synthetic in {path} must be bool (true or false), got {_shown(synthetic)}"
        raise SettingsError(msg)
    if not isinstance(columns, dict):
        msg = f"[incidents.columns] in {path} must be a table of field = \"column\", got {_shown(columns)}"
        raise SettingsError(msg)
    bad = sorted(set(columns) - set(INCIDENT_FIELDS))
    if bad:
        msg = f"[incidents.columns] in {path}: unknown field(s) {', '.join(bad)}; fields: {', '.join(INCIDENT_FIELDS)}"
        raise SettingsError(msg)
    resolved: dict[str, str | tuple[str, str, str]] = {}
    for field, column in columns.items():
        named = isinstance(column, str) and column.strip()
        parts = (field == "date" and isinstance(column, list) and len(column) == 3
                 and all(isinstance(c, str) and c.strip() for c in column))
        if not (named or parts):
            expected = ('str (a column name) or a list of three column names: ["Year", "Month", "Day"]'
                        if field == "date" else "str (a column name)")
            msg = f"setting incidents.columns.{field} in {path} must be {expected}, got {_shown(column)}"
            raise SettingsError(msg)
        resolved[field] = tuple(column) if parts else column
    return IncidentMapping(source=source, columns=tuple(sorted(resolved.items())), synthetic=synthetic,
                           date_format=date_format)


def check_date_format(date_format: object, where: str) -> str:
    """``date_format`` if it is a usable strptime-style format, else a
    SettingsError that says ``where`` it came from."""
    from geo.incidents.normalise import DateFormatError, date_format_pattern  # incidents import config

    if not isinstance(date_format, str):
        msg = f"{where} must be str (e.g. \"%d/%m/%Y\"), got {_shown(date_format)}"
        raise SettingsError(msg)
    try:
        date_format_pattern(date_format)
    except DateFormatError as exc:
        msg = f"{where}: {exc}"
        raise SettingsError(msg) from exc
    return date_format


def _shown(value: object) -> str:
    """A setting's value for an error message (long values cut)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "geo"


# Components of the risk index and their default weights (see README, "Risk index").
RISK_COMPONENTS = ("incident_density", "fatality_density", "civilian_harm", "border_proximity", "trend", "hotspot")
DEFAULT_RISK_WEIGHTS = (
    ("incident_density", 0.25), ("fatality_density", 0.25), ("civilian_harm", 0.15),
    ("border_proximity", 0.10), ("trend", 0.10), ("hotspot", 0.15),
)
# How the density components of the risk index are scaled: on fixed, annualised
# breakpoints (comparable across runs and periods) or min–max over the run's units.
RISK_SCALES = ("fixed", "relative")
# How the Gi* hotspots are tested: the analytical z-score's normal p-value (as
# ArcGIS), or conditional permutations (``hotspot_permutations`` of them).
HOTSPOT_INFERENCES = ("normal", "permutation")


def _is_number(value: object) -> bool:
    """An int or finite float, not a bool (TOML's true is not 1 here)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _risk_weights(table: object, path: Path) -> tuple[tuple[str, float], ...]:
    if not isinstance(table, dict) or set(table) - set(RISK_COMPONENTS):
        msg = f"[risk_weights] in {path} takes numbers for {', '.join(RISK_COMPONENTS)}"
        raise SettingsError(msg)
    weights = dict(DEFAULT_RISK_WEIGHTS)
    for key, value in table.items():
        if not _is_number(value) or value < 0:
            msg = f"setting risk_weights.{key} in {path} must be float (a number ≥ 0), got {_shown(value)}"
            raise SettingsError(msg)
        weights[key] = float(value)
    if sum(weights.values()) <= 0:
        msg = f"the risk weights in {path} add up to 0"
        raise SettingsError(msg)
    return tuple((k, weights[k]) for k in RISK_COMPONENTS)


MAX_LINK_DAYS = 30
LINK_CASUALTY_RULES = ("median", "max", "min")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every tunable of a run.

    Attributes
    ----------
    boundaries_dir
        Folder holding the committed boundary layers (``boundaries/``).
    cache_dir
        Where downloaded source packages are kept between builds
        (``$GEO_CACHE_DIR``, else ``$XDG_CACHE_HOME/geo``, else ``~/.cache/geo``).
    equal_area_crs
        Projected CRS (in metres) used for areas, grids and densities.
    border_band_edges_km
        Edges of the distance bands from the Pakistan–Afghanistan border.
    afghan_context_km
        Afghan districts within this distance of the border are kept for context.
    border_match_km
        Pakistan's outline counts as border where it lies within this distance of
        Afghanistan's outline.
    geodesic_step_km
        Spacing of the points along the border whose geodesic circles make the bands.
    kde_kernel, kde_bandwidth_km, kde_cell_km
        Kernel density surfaces: ``quartic`` (as QGIS) or ``gaussian``, the
        bandwidth (the Gaussian's standard deviation; at most 100 km) and the
        grid cell (at least 0.5 km, no larger than the bandwidth), in km.
    risk_weights
        Weight of each risk component (the ``[risk_weights]`` TOML table; the
        index divides by their sum).
    risk_scale
        ``fixed`` (the default): the density components are scored on fixed
        breakpoints of their annual rate, so scores compare across runs and
        periods; ``relative``: min–max over the units of the run (README,
        "Risk index").
    incidents
        Column mapping of plain incident tables (the ``[incidents]`` TOML table).
    map_max_incidents
        Incidents drawn in the HTML map; with more, the map draws the deadliest
        half of this many plus a seeded random sample of the rest.
    earliest_year
        Incident dates before 1 January of this year (or after today) are
        rejected as ``implausible_date`` (1900 by default; 1678 at the earliest).
    source_admin_edge_km
        A point within this distance of the district its source names (its
        ``source_admin2``) is joined to that district (``join_method``
        ``source_admin_near_edge``); 0 turns it off.
    hotspot_inference
        How the unit Gi* hotspots are tested: ``normal`` (the default: the
        analytical Gi* z-score and its two-sided normal p-value, as ArcGIS) or
        ``permutation`` (conditional permutations). The monthly Gi* of the
        emerging hotspots always uses the normal p-value.
    hotspot_permutations
        Conditional permutations of the unit Gi* hotspots with
        ``hotspot_inference = "permutation"`` (99 to 99,999; 9,999 by default).
        Fewer make a faster but coarser test (the smallest p-value is
        1 / (permutations + 1)).
    district_vintage
        Which districts incidents, metrics, risk layers and maps use:
        ``current`` (today's, the default) or ``pre2022`` (South Waziristan
        undivided, Hub in Lasbela, Usta Muhammad in Jaffarabad); see
        ``boundaries/SOURCES.md``, "District vintages".
    link
        Link the reports of the same event across sources (and near-duplicates
        within one) into events (:mod:`geo.linking`); False (``--no-link``):
        every report is an event.
    link_threshold, link_duplicate_threshold
        Lowest calibrated score (0–1) of a link between two sources' reports,
        and of a near-duplicate within one source.
    link_margin
        A link is dropped when a report at either end has another candidate
        within this many log-odds that is free to take it: the report could be
        either event's (0 turns the rule off; at most 10).
    link_days
        Days by which two reports' date windows may miss each other and still match (0–30).
    link_casualties
        How an event's counts come from its reports: ``median`` (the lower
        median of the figures given), ``max`` (the highest) or ``min``.
    filters
        Which events the run keeps (the ``[filters]`` TOML table:
        ``event_types``, ``actor_groups``, ``sources``, ``min_precision``;
        :mod:`geo.filters`).
    """

    boundaries_dir: Path = PROJECT_ROOT / "boundaries"
    cache_dir: Path = dataclasses.field(default_factory=_default_cache_dir)
    equal_area_crs: str = STUDY_AREA_EQUAL_AREA_CRS
    border_band_edges_km: tuple[float, ...] = (0.0, 10.0, 25.0, 50.0, 100.0)
    afghan_context_km: float = 50.0
    border_match_km: float = 5.0
    geodesic_step_km: float = 0.5
    kde_kernel: str = "quartic"
    kde_bandwidth_km: float = 10.0
    kde_cell_km: float = 1.0
    risk_weights: tuple[tuple[str, float], ...] = DEFAULT_RISK_WEIGHTS
    risk_scale: str = RISK_SCALES[0]
    incidents: IncidentMapping = IncidentMapping()
    map_max_incidents: int = 20_000
    earliest_year: int = 1900
    hotspot_inference: str = HOTSPOT_INFERENCES[0]
    hotspot_permutations: int = 9999
    source_admin_edge_km: float = 2.0
    district_vintage: str = DISTRICT_VINTAGES[0]
    link: bool = True
    link_threshold: float = 0.2
    link_margin: float = 1.0
    link_duplicate_threshold: float = 0.95
    link_days: int = 2
    link_casualties: str = "median"
    filters: Filters = Filters()

    def __post_init__(self) -> None:
        edges = self.border_band_edges_km
        if not all(_is_number(e) for e in edges):
            msg = f"border_band_edges_km must be finite numbers, got {list(edges)}"
            raise SettingsError(msg)
        if len(edges) < 2 or edges[0] != 0 or list(edges) != sorted(set(edges)):
            msg = f"border_band_edges_km must start at 0 and increase, got {list(edges)}"
            raise SettingsError(msg)
        if self.map_max_incidents < 1:
            msg = f"map_max_incidents must be at least 1, got {self.map_max_incidents}"
            raise SettingsError(msg)
        if self.kde_kernel not in ("quartic", "gaussian"):
            msg = f"kde_kernel must be quartic or gaussian, got {self.kde_kernel!r}"
            raise SettingsError(msg)
        if not (KDE_MIN_CELL_KM <= self.kde_cell_km <= self.kde_bandwidth_km <= KDE_MAX_BANDWIDTH_KM):
            msg = (f"kde_cell_km must be at least {KDE_MIN_CELL_KM} and no larger than kde_bandwidth_km, itself at "
                   f"most {KDE_MAX_BANDWIDTH_KM:g}; got kde_cell_km = {self.kde_cell_km!r}, "
                   f"kde_bandwidth_km = {self.kde_bandwidth_km!r}")
            raise SettingsError(msg)
        if (not isinstance(self.hotspot_permutations, int) or isinstance(self.hotspot_permutations, bool)
                or not MIN_PERMUTATIONS <= self.hotspot_permutations <= MAX_PERMUTATIONS):
            msg = (f"hotspot_permutations must be a whole number from {MIN_PERMUTATIONS} to {MAX_PERMUTATIONS:,}, "
                   f"got {self.hotspot_permutations!r}")
            raise SettingsError(msg)
        _check_equal_area_crs(self.equal_area_crs)
        if not _is_number(self.source_admin_edge_km) or self.source_admin_edge_km < 0:
            msg = f"source_admin_edge_km must be a number ≥ 0, got {self.source_admin_edge_km!r}"
            raise SettingsError(msg)
        this_year = datetime.date.today().year
        if (not isinstance(self.earliest_year, int) or isinstance(self.earliest_year, bool)
                or not EARLIEST_YEAR_FLOOR <= self.earliest_year <= this_year):
            msg = f"earliest_year must be a year from {EARLIEST_YEAR_FLOOR} to {this_year}, got {self.earliest_year!r}"
            raise SettingsError(msg)
        for name, choices in (("hotspot_inference", HOTSPOT_INFERENCES), ("risk_scale", RISK_SCALES),
                              ("link_casualties", LINK_CASUALTY_RULES), ("district_vintage", DISTRICT_VINTAGES)):
            if getattr(self, name) not in choices:
                msg = f"{name} must be one of {', '.join(choices)}, got {_shown(getattr(self, name))}"
                raise SettingsError(msg)
        for name in ("link_threshold", "link_duplicate_threshold"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 < value < 1:
                msg = f"{name} must be a number between 0 and 1 (exclusive), got {_shown(value)}"
                raise SettingsError(msg)
        if not _is_number(self.link_margin) or not 0 <= self.link_margin <= 10:
            msg = f"link_margin must be a number from 0 to 10, got {_shown(self.link_margin)}"
            raise SettingsError(msg)
        if (not isinstance(self.link_days, int) or isinstance(self.link_days, bool)
                or not 0 <= self.link_days <= MAX_LINK_DAYS):
            msg = f"link_days must be a whole number from 0 to {MAX_LINK_DAYS}, got {_shown(self.link_days)}"
            raise SettingsError(msg)


def _check_equal_area_crs(crs: str) -> None:
    """A SettingsError unless ``crs`` is a projected CRS in metres (areas, grids
    and distances are measured in it)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        parsed = CRS.from_user_input(crs)
    except (CRSError, TypeError) as exc:
        msg = f"equal_area_crs is not a CRS pyproj knows: {_shown(crs)}"
        raise SettingsError(msg) from exc
    metres = all(axis.unit_name in ("metre", "meter") for axis in parsed.axis_info)
    if not parsed.is_projected or not metres:
        msg = (f"equal_area_crs must be a projected CRS in metres (an equal-area one such as the default), "
               f"got {_shown(crs)}")
        raise SettingsError(msg)


def default_settings() -> Settings:
    """Return the defaults, honouring ``$GEO_CACHE_DIR`` for the download cache."""
    settings = Settings()
    if cache := os.environ.get("GEO_CACHE_DIR"):
        settings = dataclasses.replace(settings, cache_dir=Path(cache))
    return settings


def _setting_value(key: str, value: object, default: object, path: Path) -> object:
    """``value`` as the type of the setting's default, or a SettingsError naming
    the key, the type expected and the value."""
    if isinstance(default, Path):
        ok, expected = isinstance(value, str), "str (a path)"
    elif isinstance(default, tuple):
        ok, expected = isinstance(value, list) and all(_is_number(v) for v in value), "a list of numbers"
    elif isinstance(default, bool):
        ok, expected = isinstance(value, bool), "bool (true or false)"
    elif isinstance(default, int):
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "int (a whole number)"
    elif isinstance(default, float):
        ok, expected = _is_number(value), "float (a finite number)"
    else:
        ok, expected = isinstance(value, type(default)), type(default).__name__
    if not ok:
        msg = f"setting {key} in {path} must be {expected}, got {_shown(value)}"
        raise SettingsError(msg)
    if isinstance(default, Path):
        return (path.parent / value).resolve()
    if isinstance(default, tuple):
        return tuple(float(v) for v in value)
    if isinstance(default, float):
        return float(value)
    return value


def load_settings(path: Path | None = None) -> Settings:
    """Load settings from a TOML file; keys not given keep their defaults.

    Parameters
    ----------
    path
        A TOML file whose top-level keys are :class:`Settings` field names.
        ``None`` returns :func:`default_settings`.
    """
    settings = default_settings()
    if path is None:
        return settings
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"cannot read settings file {path}: {exc}"
        raise SettingsError(msg) from exc
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        msg = f"unknown setting(s) {', '.join(unknown)} in {path}; known: {', '.join(fields)}"
        raise SettingsError(msg)
    values: dict[str, object] = {}
    for key, value in table.items():
        if key == "incidents":
            values[key] = _incident_mapping(value, Path(path))
        elif key == "filters":
            values[key] = filters_from_table(value, str(path))
        elif key == "risk_weights":
            values[key] = _risk_weights(value, Path(path))
        else:
            values[key] = _setting_value(key, value, getattr(settings, key), Path(path))
    return dataclasses.replace(settings, **values)
