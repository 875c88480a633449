"""Settings: one frozen object with documented defaults, loaded from TOML.

Nothing here is global state: functions take a :class:`Settings` argument, and
tests build their own with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from geo._errors import GeoError

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Albers equal-area conic fitted to the study area (standard parallels bracket
# Balochistan's south coast and Chitral's north): areas and densities are
# computed here; distances to the border are geodesic instead.
STUDY_AREA_EQUAL_AREA_CRS = (
    "+proj=aea +lat_0=30 +lon_0=68 +lat_1=26 +lat_2=36 +x_0=0 +y_0=0 "
    "+datum=WGS84 +units=m +no_defs"
)


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
        [incidents.columns]
        date = "Date"
        place = "Location"
        killed = "Total killed"
    """

    source: str = "custom"
    columns: tuple[tuple[str, str], ...] = ()
    synthetic: bool = False

    def as_dict(self) -> dict[str, str]:
        return dict(self.columns)


def _incident_mapping(table: object, path: Path) -> IncidentMapping:
    if not isinstance(table, dict):
        msg = f"[incidents] in {path} must be a table"
        raise SettingsError(msg)
    unknown = sorted(set(table) - {"source", "synthetic", "columns"})
    columns = table.get("columns", {})
    if unknown or not isinstance(columns, dict):
        msg = f"[incidents] in {path} takes source, synthetic and a [incidents.columns] table; got {unknown}"
        raise SettingsError(msg)
    bad = sorted(set(columns) - set(INCIDENT_FIELDS))
    if bad:
        msg = f"[incidents.columns] in {path}: unknown field(s) {', '.join(bad)}; fields: {', '.join(INCIDENT_FIELDS)}"
        raise SettingsError(msg)
    return IncidentMapping(source=str(table.get("source", "custom")),
                           columns=tuple(sorted((str(k), str(v)) for k, v in columns.items())),
                           synthetic=bool(table.get("synthetic", False)))


def _default_cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "geo"


# Components of the risk index and their default weights (see README, "Risk index").
RISK_COMPONENTS = ("incident_density", "fatality_density", "civilian_harm", "border_proximity", "trend", "hotspot")
DEFAULT_RISK_WEIGHTS = (
    ("incident_density", 0.25), ("fatality_density", 0.25), ("civilian_harm", 0.15),
    ("border_proximity", 0.10), ("trend", 0.10), ("hotspot", 0.15),
)


def _risk_weights(table: object, path: Path) -> tuple[tuple[str, float], ...]:
    if not isinstance(table, dict) or set(table) - set(RISK_COMPONENTS):
        msg = f"[risk_weights] in {path} takes numbers for {', '.join(RISK_COMPONENTS)}"
        raise SettingsError(msg)
    weights = dict(DEFAULT_RISK_WEIGHTS)
    for key, value in table.items():
        if not isinstance(value, int | float) or value < 0:
            msg = f"risk weight {key} in {path} must be a number ≥ 0, got {value!r}"
            raise SettingsError(msg)
        weights[key] = float(value)
    if sum(weights.values()) <= 0:
        msg = f"the risk weights in {path} add up to 0"
        raise SettingsError(msg)
    return tuple((k, weights[k]) for k in RISK_COMPONENTS)


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
        Projected CRS used for areas, grids and densities.
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
        bandwidth (the Gaussian's standard deviation) and the grid cell, in km.
    risk_weights
        Weight of each risk component (the ``[risk_weights]`` TOML table; the
        index divides by their sum).
    incidents
        Column mapping of plain incident tables (the ``[incidents]`` TOML table).
    map_max_incidents
        Incidents drawn in the HTML map; with more, the map draws the deadliest
        half of this many plus a seeded random sample of the rest.
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
    incidents: IncidentMapping = IncidentMapping()
    map_max_incidents: int = 20_000

    def __post_init__(self) -> None:
        edges = self.border_band_edges_km
        if len(edges) < 2 or edges[0] != 0 or list(edges) != sorted(set(edges)):
            msg = f"border_band_edges_km must start at 0 and increase, got {list(edges)}"
            raise SettingsError(msg)
        if self.map_max_incidents < 1:
            msg = f"map_max_incidents must be at least 1, got {self.map_max_incidents}"
            raise SettingsError(msg)
        if self.kde_kernel not in ("quartic", "gaussian"):
            msg = f"kde_kernel must be quartic or gaussian, got {self.kde_kernel!r}"
            raise SettingsError(msg)
        if self.kde_bandwidth_km <= 0 or self.kde_cell_km <= 0 or self.kde_cell_km > self.kde_bandwidth_km:
            msg = "kde_bandwidth_km and kde_cell_km must be positive, the cell no larger than the bandwidth"
            raise SettingsError(msg)


def default_settings() -> Settings:
    """Return the defaults, honouring ``$GEO_CACHE_DIR`` for the download cache."""
    settings = Settings()
    if cache := os.environ.get("GEO_CACHE_DIR"):
        settings = dataclasses.replace(settings, cache_dir=Path(cache))
    return settings


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
        default = getattr(settings, key)
        if key == "incidents":
            values[key] = _incident_mapping(value, Path(path))
        elif key == "risk_weights":
            values[key] = _risk_weights(value, Path(path))
        elif isinstance(default, Path):
            values[key] = (Path(path).parent / value).resolve()
        elif isinstance(default, tuple):
            values[key] = tuple(float(v) for v in value)
        elif isinstance(default, float) and isinstance(value, int | float):
            values[key] = float(value)
        elif isinstance(value, type(default)):
            values[key] = value
        else:
            msg = f"setting {key} in {path} must be {type(default).__name__}, got {value!r}"
            raise SettingsError(msg)
    return dataclasses.replace(settings, **values)
