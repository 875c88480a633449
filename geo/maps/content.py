"""What a map shows, read back from the files of a run folder.

Both maps (the interactive page and the static overview) are drawn from the
outputs of ``geo run``, never from the pipeline's memory, so ``geo map DIR``
redraws them from any earlier run. This module loads and slims those outputs:
unit layers with only the fields the map shows and rounded coordinates,
the incidents as compact columns (a documented selection when there are too
many), and the kernel density surface as a Web Mercator PNG.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import rasterio
import shapely
from matplotlib import colormaps
from PIL import Image
from pyogrio.errors import DataSourceError
from pyproj import Transformer
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo._errors import GeoError
from geo.config import RISK_COMPONENTS
from geo.filenames import DENSITY_INCIDENTS_TIF, INCIDENTS_PARQUET, RUN_JSON
from geo.levels import LEVEL_BY_OUTPUT
from geo.metrics.units import period_mask
from geo.palette import BAND_COLOURS, OTHER_COLOUR, RISK_COLOURS, TYPE_PALETTE

# About 10 m: finer than a screen pixel up to zoom 13. The boundary layers are
# already generalised (6,771 vertices for the 72 districts of today), so no simplification.
COORDINATE_DECIMALS = 4
BANDS_SIMPLIFY_DEG = 0.002  # about 200 m, together so that the bands still tile
NOTES_MAX_CHARS = 200  # longer notes are cut in the map (the full text is in incidents.geojson)
DENSITY_MAX_PIXELS = 900  # longest side of the density overlay image
# Its own sequential ramp, cool so that it cannot be read as the (yellow–red) risk classes.
DENSITY_COLORMAP = "PuBu"
DENSITY_RAMP_START = 0.45  # where on the colormap the lowest density starts (lower is near white, lost on the faded fill)
GEO_PRECISION = {1: "exact place", 2: "near a place / part of a region", 3: "larger region"}

UNIT_FIELDS = (
    "risk_score", "risk_class", "confidence", "area_km2", "incidents", "killed", "killed_civilians",
    "killed_security", "killed_militants", "injured", "incidents_last_3m", "incidents_prev_9m", "trend_ratio",
    "min_distance_to_border_km", "share_within_50km", "hotspot_class", "emerging_class",
    *(f"{component}_score" for component in RISK_COMPONENTS),
)
CONTEXT_LAYERS = {  # boundary layer copied into the run folder: fields the map shows
    "border": ("name", "length_km"),
    "border_bands": ("band_km_min", "band_km_max"),
    "afghan_border_districts": ("district", "province", "distance_to_border_km"),
    "provinces": ("province",),
}


class MapInputError(GeoError):
    """A run folder lacks an output the map is drawn from."""


def hex_colour(rgba: str) -> str:
    """``"255,255,178,255"`` (a QGIS colour) as ``"#ffffb2"``."""
    red, green, blue = (int(part) for part in rgba.split(",")[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


RISK_CLASS_COLOURS = {name: hex_colour(rgba) for name, rgba in RISK_COLOURS}
TYPE_COLOURS = tuple(hex_colour(rgba) for rgba in TYPE_PALETTE[:10])
OTHER_TYPE_COLOUR = hex_colour(OTHER_COLOUR)
BAND_FILLS = {float(band_km_max): hex_colour(rgba) for band_km_max, rgba in BAND_COLOURS}  # by outer edge, km
BORDER_COLOUR = "#d7301f"


@dataclasses.dataclass
class DensityOverlay:
    """A density surface as a PNG in Web Mercator and its corners in degrees."""

    png: bytes
    bounds: tuple[tuple[float, float], tuple[float, float]]  # ((south, west), (north, east))
    max_value: float
    tags: dict[str, str]


@dataclasses.dataclass
class MapContent:
    """Everything both maps draw, in EPSG:4326 and slimmed for the page.

    Attributes
    ----------
    units
        ``districts_risk`` and ``tehsils_risk`` with the shown fields, each
        feature carrying its monthly incidents and killed (``monthly_*``).
    context
        The border, its bands, the Afghan border districts and the provinces.
    incidents
        The incidents the map draws (all of them, or the documented selection).
    incidents_total
        How many incidents the run accepted.
    selection
        Why ``incidents`` is fewer than ``incidents_total`` ("" when it is not).
    months
        The risk period's months (``YYYY-MM``), the x axis of the sparklines.
    period
        First and last day of the risk period (ISO dates).
    run
        The run's ``run.json``.
    density
        The incident density overlay, or ``None`` if the run has no surface.
    period_incidents
        Every incident of the risk period inside the study area, deadliest
        first (whatever ``incidents`` selected), with only the columns of
        :data:`PERIOD_INCIDENT_COLUMNS`: what ``map.png`` picks from.
    """

    units: dict[str, gpd.GeoDataFrame]
    context: dict[str, gpd.GeoDataFrame]
    incidents: pd.DataFrame
    incidents_total: int
    selection: str
    months: list[str]
    period: tuple[str, str]
    run: dict
    density: DensityOverlay | None
    period_incidents: pd.DataFrame

    @property
    def synthetic(self) -> bool:
        """Whether any incident of the run is SYNTHETIC."""
        return bool(self.run.get("synthetic_data")) or bool(self.incidents["synthetic"].fillna(False).any())


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.exists():
        msg = f"{folder} has no {name}: write the run's outputs first with `geo run --out {folder}`"
        raise MapInputError(msg)
    return path


# The incident columns either map draws or selects by (the rest of a million rows is not read).
MAP_INCIDENT_COLUMNS = (
    "incident_id", "date", "date_precision", "lat", "lon", "geo_precision", "place", "event_type", "perpetrator",
    "actor_group", "sides", "killed", "killed_civilians", "killed_security", "killed_militants", "injured", "notes",
    "source", "source_id", "synthetic", "tehsil", "district", "province", "country", "in_study_area", "in_period",
)


def _read_map_columns(path: Path) -> pd.DataFrame:
    """The :data:`MAP_INCIDENT_COLUMNS` an ``incidents.parquet`` holds (an older run may lack some)."""
    present = set(pq.read_schema(path).names)
    return pd.read_parquet(path, columns=[c for c in MAP_INCIDENT_COLUMNS if c in present])


def _read(path: Path, read):
    """``read(path)``, a file of a run folder; a damaged or foreign file is a :class:`MapInputError`."""
    try:
        return read(path)
    except (OSError, ValueError, UnicodeDecodeError, DataSourceError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"cannot read {path}: {reason}; write the run's outputs again with `geo run`"
        raise MapInputError(msg) from None


def round_coordinates(frame: gpd.GeoDataFrame, decimals: int = COORDINATE_DECIMALS) -> gpd.GeoDataFrame:
    """A copy on a grid of ``10**-decimals`` degrees (for a compact page);
    neighbours snap to the same grid, so shared edges stay shared."""
    out = frame.copy()
    out[out.geometry.name] = shapely.set_precision(out.geometry.values, 10.0**-decimals)
    return out


def _unit_layer(folder: Path, name: str, months: list[str] | None) -> tuple[gpd.GeoDataFrame, list[str]]:
    level = LEVEL_BY_OUTPUT[name]
    id_column, names, monthly_name = level.id_column, level.name_columns, level.monthly_table
    layer = _read(_require(folder, f"{name}.geojson"), lambda p: gpd.read_file(p, engine="pyogrio"))
    monthly = _read(_require(folder, monthly_name), lambda p: pd.read_csv(p, dtype={id_column: str, "month": str}))
    months = months or sorted(monthly["month"].unique())
    series = {
        measure: monthly.pivot_table(index=id_column, columns="month", values=measure, aggfunc="sum")
        .reindex(index=layer[id_column], columns=months).fillna(0).astype(int)
        for measure in ("incidents", "killed")
    }
    shown = layer[[id_column, *names, *UNIT_FIELDS, "geometry"]].copy()
    for measure, table in series.items():
        shown[f"monthly_{measure}"] = [list(map(int, row)) for row in table.to_numpy()]
    return round_coordinates(shown), months


def _context_layer(folder: Path, name: str) -> gpd.GeoDataFrame:
    layer = _read(_require(folder, f"{name}.geojson"), lambda p: gpd.read_file(p, engine="pyogrio"))
    layer = layer[[*CONTEXT_LAYERS[name], "geometry"]]
    if name == "border_bands":  # geodesic circles every 0.5 km: 20k vertices, 5k after this
        layer["geometry"] = shapely.coverage_simplify(layer.geometry.values, BANDS_SIMPLIFY_DEG)
    return round_coordinates(layer)


def deadliest_order(incidents: pd.DataFrame) -> np.ndarray:
    """Row positions by number killed, most first (unknown counts as 0; ties by
    id, then by position): sorted on the two keys alone, so that a million
    incidents are not all reordered to pick a few thousand of them."""
    # Arrow's sort is stable and compares strings by code point, as pandas' mergesort
    # does, in a fifth of the time (1M incidents: 0.2 s)
    keys = pa.table({"killed": pa.array(incidents["killed"].fillna(0).to_numpy(dtype="float64")),
                     "incident_id": pa.array(incidents["incident_id"].astype("string").array)})
    return pc.sort_indices(keys, sort_keys=[("killed", "descending"), ("incident_id", "ascending")]).to_numpy()


# What map.png reads of the period's incidents (1M incidents: 0.2 s to take, not 1.1 s for every column).
PERIOD_INCIDENT_COLUMNS = ("incident_id", "date", "lat", "lon", "killed", "in_study_area")


def of_period(incidents: pd.DataFrame, start: str, end: str,
              columns: Sequence[str] | None = PERIOD_INCIDENT_COLUMNS) -> pd.DataFrame:
    """The incidents dated ``start`` to ``end`` (ISO days) inside the study
    area (KP and Balochistan), deadliest first: those the risk layers
    measure; only ``columns`` of them (None: every column)."""
    # the period's positions, ordered on their two keys, then one take (not a copy, then another)
    positions = np.flatnonzero(period_mask(incidents, pd.Timestamp(start), pd.Timestamp(end)))
    keys = pd.DataFrame({"killed": incidents["killed"].array.take(positions),
                         "incident_id": incidents["incident_id"].array.take(positions)})
    present = incidents if columns is None else incidents[[c for c in columns if c in incidents.columns]]
    return present.take(positions[deadliest_order(keys)])


def select_incidents(incidents: pd.DataFrame, max_incidents: int) -> tuple[pd.DataFrame, str]:
    """The incidents a map draws: all, or if there are more than ``max_incidents``
    the deadliest half of that many plus a seeded random sample of the rest
    (so quiet areas still show), with a sentence saying so."""
    total = len(incidents)
    if total <= max_incidents:
        return incidents, ""
    order = deadliest_order(incidents)
    deadliest = max_incidents // 2
    # the positions DataFrame.sample would draw from the rest (it draws on their number alone)
    rest = pd.Series(order[deadliest:]).sample(n=max_incidents - deadliest,
                                               random_state=np.random.default_rng(20250228))
    chosen = incidents.take(np.concatenate([order[:deadliest], rest.to_numpy()]))
    sentence = (f"The map draws {max_incidents:,} of the {total:,} incidents: the {deadliest:,} with the most "
                f"killed and a random sample (fixed seed) of {max_incidents - deadliest:,} of the others. "
                "Risk layers and the density surface use all of them (those of the period).")
    return chosen, sentence


def density_overlay(path: Path, max_pixels: int = DENSITY_MAX_PIXELS) -> DensityOverlay:
    """The density GeoTIFF warped to Web Mercator (what Leaflet stretches an
    image in), coloured with a sequential ramp whose opacity grows with the
    value, zero transparent."""
    with rasterio.open(path) as source:
        values = source.read(1, masked=True).filled(0.0).astype("float64")
        tags = source.tags()
        transform, width, height = calculate_default_transform(
            source.crs, "EPSG:3857", source.width, source.height, *source.bounds)
        scale = max(width, height) / max_pixels
        if scale > 1:
            transform = transform @ transform.scale(scale, scale)
            width, height = int(round(width / scale)), int(round(height / scale))
        warped = np.zeros((height, width), dtype="float64")
        # the file's own nodata value: the map needs no knowledge of how the surface was written
        reproject(values, warped, src_transform=source.transform, src_crs=source.crs,
                  src_nodata=source.nodata, dst_transform=transform, dst_crs="EPSG:3857",
                  resampling=Resampling.bilinear)
    top = float(np.quantile(warped[warped > 0], 0.995)) if (warped > 0).any() else 1.0
    rgba = density_colours(np.clip(warped / top, 0.0, 1.0))
    buffer = io.BytesIO()
    # zlib level 6, not optimize=True (level 9): a tenth of the time for 1 % more bytes
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", compress_level=6)
    west, north = transform @ (0, 0)
    east, south = transform @ (width, height)
    (lon_w, lon_e), (lat_s, lat_n) = _mercator_to_degrees([west, east], [south, north])
    return DensityOverlay(buffer.getvalue(), ((lat_s, lon_w), (lat_n, lon_e)), top, dict(tags))


def density_colours(scaled: np.ndarray) -> np.ndarray:
    """RGBA bytes of densities scaled to 0–1 (1 at the top of the legend):
    ``DENSITY_COLORMAP`` from ``DENSITY_RAMP_START``, opacity growing with the
    value, below 1 % transparent. The legend's ramp is drawn from this too."""
    scaled = np.asarray(scaled, dtype="float64")
    rgba = colormaps[DENSITY_COLORMAP](DENSITY_RAMP_START + (1 - DENSITY_RAMP_START) * scaled, bytes=True)
    rgba[..., 3] = np.where(scaled > 0.01, (120 + 135 * np.sqrt(scaled)).astype(np.uint8), 0)
    return rgba


def _mercator_to_degrees(x: list[float], y: list[float]) -> tuple[list[float], list[float]]:
    lon, lat = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True).transform(x, y)
    return [round(v, 6) for v in lon], [round(v, 6) for v in lat]


def load_map_content(folder: Path, max_incidents: int, *, density: bool = True) -> MapContent:
    """Read what the maps draw from the run folder ``folder`` (without the
    density overlay when not ``density``: see :func:`with_density`).

    Raises
    ------
    MapInputError
        If an output the map needs is missing (the run was not finished).
    """
    folder = Path(folder)
    run = json.loads(_require(folder, RUN_JSON).read_text(encoding="utf-8"))
    units, months = {}, None
    for name in LEVEL_BY_OUTPUT:
        units[name], months = _unit_layer(folder, name, months)
    # a run folder without its period in run.json: the months of its monthly tables, as days
    start, end = run.get("settings", {}).get("risk", {}).get("period") or (
        f"{months[0]}-01", pd.Period(months[-1], freq="M").end_time.date().isoformat())
    context = {name: _context_layer(folder, name) for name in CONTEXT_LAYERS}
    incidents = _read(_require(folder, INCIDENTS_PARQUET), _read_map_columns)
    chosen, selection = select_incidents(incidents, max_incidents)
    content = MapContent(units, context, chosen, len(incidents), selection, months or [], (start, end), run,
                         None, of_period(incidents, start, end))
    return with_density(content, folder) if density else content


def with_density(content: MapContent, folder: Path) -> MapContent:
    """``content`` with the density overlay of the run folder ``folder`` (None
    when the run has no surface): the half second of warping and PNG encoding
    that only ``map.html`` needs."""
    path = Path(folder) / DENSITY_INCIDENTS_TIF
    return dataclasses.replace(content, density=density_overlay(path) if path.exists() else None)
