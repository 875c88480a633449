"""Risk layers per district and tehsil: summary, proximity, hotspots and the risk
index, written as styled GeoJSON, a styled GeoPackage and CSV tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.attribution import boundary_attribution, incident_attribution
from geo.config import Settings
from geo.export.geopackage import style_geopackage
from geo.export.layer_metadata import KEYWORDS, LayerMetadata, write_qmd
from geo.export.styles import styles, write_qml
from geo.export.tables import write_csv
from geo.export.vector import geojson_field_types, write_geojson, write_geopackage
from geo.filenames import MONTHLY_KILLED_BY_PROVINCE_CSV, RISK_GPKG
from geo.incidents.schema import has_synthetic
from geo.levels import LEVEL_BY_OUTPUT
from geo.metrics.layers import UnitLayers
from geo.metrics.units import period_flags
from geo.palette import event_types_by_count
from geo.timings import Timings


def write_risk_outputs(units: UnitLayers, incidents: pd.DataFrame, settings: Settings, out_dir: Path, *,
                       border: gpd.GeoDataFrame, bands: gpd.GeoDataFrame, timings: Timings | None = None,
                       geopackage: bool = True, layers: GeoPackageLayers | None = None) -> list[Path]:
    """Write the risk layers of ``units`` (GeoJSON + .qml + .qmd, GeoPackage
    with styles and metadata), the summary tables and the monthly tables.

    The incidents get an ``in_period`` column (unless they have one, as a
    `geo run`'s do) so that their GeoPackage layer and style can tell the
    incidents of the period from the rest; ``border`` and ``bands`` are the
    boundary layers the GeoPackage carries beside them. Without
    ``geopackage``, ``risk.gpkg`` is left for :func:`write_risk_geopackage`
    (a run writes it while its brief renders, which does not read it);
    ``layers``: :meth:`GeoPackageLayers.of` the same arguments, made once for both.

    ``timings`` gains one stage per output: ``styles_s`` (QGIS styles and
    metadata, .qml/.qmd), ``risk_geojson_s``, ``risk_csv_s`` (summary and
    monthly tables) and ``risk_gpkg_s``.
    """
    out_dir = Path(out_dir)
    timings = timings if timings is not None else Timings()
    with timings.stage("styles_s"):
        layers = layers if layers is not None else GeoPackageLayers.of(units, incidents, border, bands)
        written = []
        for name in layers.frames:
            written += [write_qml(layers.styles[name], out_dir / f"{name}.qml"),
                        write_qmd(layers.about[name], out_dir / f"{name}.qmd")]
    synthetic = has_synthetic(layers.frames["incidents"])
    metadata = {"attribution": boundary_attribution(), "district_vintage": settings.district_vintage,
                "risk_parameters": units.parameters, "synthetic_data": synthetic}
    for name, layer in units.layers.items():
        level = LEVEL_BY_OUTPUT[name]
        with timings.stage("risk_geojson_s"):
            written.append(write_geojson(layer, out_dir / f"{name}.geojson", {"name": name, **metadata},
                                         feature_ids=True))
        with timings.stage("risk_csv_s"):
            written += [
                write_csv(layer.drop(columns="geometry"), out_dir / level.summary_table),
                write_csv(units.monthly[name].assign(synthetic_data=synthetic), out_dir / level.monthly_table),
            ]
    with timings.stage("risk_csv_s"):
        written.append(write_csv(units.provinces.assign(synthetic_data=synthetic),
                                 out_dir / MONTHLY_KILLED_BY_PROVINCE_CSV))
    if geopackage:
        written.append(_write_geopackage(layers, out_dir, timings))
    return written


def write_risk_geopackage(layers: GeoPackageLayers, out_dir: Path, *, timings: Timings | None = None) -> Path:
    """Write ``risk.gpkg`` alone, as :func:`write_risk_outputs` does (stage ``risk_gpkg_s``)."""
    return _write_geopackage(layers, Path(out_dir), timings if timings is not None else Timings())


@dataclasses.dataclass(frozen=True)
class GeoPackageLayers:
    """The layers of ``risk.gpkg`` (unit layers, incidents as points, border and
    bands), their QGIS styles and what each says about itself."""

    frames: dict[str, gpd.GeoDataFrame]
    styles: dict[str, str]
    about: dict[str, LayerMetadata]

    @classmethod
    def of(cls, units: UnitLayers, incidents: pd.DataFrame, border: gpd.GeoDataFrame,
           bands: gpd.GeoDataFrame) -> GeoPackageLayers:
        first, last = units.parameters["period"]
        incidents = incidents.assign(in_period=period_flags(incidents, first, last))
        points = gpd.GeoDataFrame(incidents.drop(columns=["lon", "lat"]),
                                  geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]), crs="EPSG:4326")
        frames = {**units.layers, "incidents": points, "border": border, "border_bands": bands}
        layer_styles = styles(
            {name: [c for c in frame.columns if c != frame.geometry.name] for name, frame in frames.items()},
            event_types=event_types_by_count(incidents["event_type"]),
            bands=zip(bands["band_km_min"], bands["band_km_max"], strict=True), period=(first, last))
        return cls(frames, layer_styles, layer_metadata(incidents, (first, last)))


def _write_geopackage(layers: GeoPackageLayers, out_dir: Path, timings: Timings) -> Path:
    attribution = boundary_attribution()
    label = " Includes SYNTHETIC data." if has_synthetic(layers.frames["incidents"]) else ""
    with timings.stage("risk_gpkg_s"):
        return write_geopackage(
            {name: geojson_field_types(frame) for name, frame in layers.frames.items()}, out_dir / RISK_GPKG,
            {n: f"{n}: {attribution}.{label}" for n in layers.frames},
            after_write=lambda path: style_geopackage(path, layers.styles, layers.about))


def layer_metadata(incidents: pd.DataFrame, period: tuple[str, str]) -> dict[str, LayerMetadata]:
    """What each risk output layer says about itself in QGIS: title, abstract,
    attribution and licence, keywords and the period measured."""
    first, last = period
    synthetic = has_synthetic(incidents)
    flag = " (includes SYNTHETIC data)" if synthetic else ""
    note = " Includes SYNTHETIC data." if synthetic else ""
    rights = (incident_attribution(incidents),)
    boundary_rights = (boundary_attribution(),)
    def unit_abstract(unit: str) -> str:
        return (f"Incidents, killed, rates per 1,000 km² (raw and Empirical-Bayes), trend, diffusion, border "
                f"proximity, Gi* and emerging hotspots and the risk index (0–10, five classes) per {unit}, "
                f"over the period {first} to {last}.{note}")

    return {
        "districts_risk": LayerMetadata(
            "geo:districts_risk", f"District risk index, {first} to {last}{flag}",
            unit_abstract("district"), rights, keywords=(*KEYWORDS, "risk index"), period=period),
        "tehsils_risk": LayerMetadata(
            "geo:tehsils_risk", f"Tehsil risk index, {first} to {last}{flag}",
            unit_abstract("tehsil"), rights, keywords=(*KEYWORDS, "risk index"), period=period),
        "incidents": LayerMetadata(
            "geo:incidents", f"Incidents, all dates; in_period marks {first} to {last}{flag}",
            (f"Every accepted incident of the run, whatever its date. The risk layers cover only the period "
             f"{first} to {last}: those incidents have in_period true, the others are drawn grey.{note}"),
            rights, keywords=(*KEYWORDS, "incidents"), period=period),
        "border": LayerMetadata(
            "geo:border", "Pakistan–Afghanistan border",
            "The Pakistan–Afghanistan border of the boundary layers (boundaries/SOURCES.md).", boundary_rights,
            keywords=KEYWORDS),
        "border_bands": LayerMetadata(
            "geo:border_bands", "Distance bands from the Pakistan–Afghanistan border",
            "The study area within 0–10, 10–25, 25–50 and 50–100 km of the border (geodesic distances).",
            boundary_rights, keywords=KEYWORDS),
    }
