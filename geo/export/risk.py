"""Risk layers per district and tehsil: summary, proximity, hotspots and the risk
index, written as styled GeoJSON, a styled GeoPackage and CSV tables."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import boundaries
from geo.boundaries.assign import STUDY_PROVINCES
from geo.boundaries.build import ATTRIBUTION
from geo.boundaries.unit_metrics import read_unit_proximity
from geo.config import Settings
from geo.export.geopackage import style_geopackage
from geo.export.incidents import incident_attribution
from geo.export.layer_metadata import KEYWORDS, LayerMetadata, write_qmd
from geo.export.styles import event_types_by_count, styles, write_qml
from geo.export.tables import write_csv
from geo.export.vector import geojson_field_types, write_geojson, write_geopackage
from geo.incidents.schema import has_synthetic
from geo.metrics.emerging import MONTHLY_INFERENCE, emerging_hotspots
from geo.metrics.hotspots import Hotspots, method_parameters
from geo.metrics.proximity import incidents_per_band
from geo.metrics.risk import RiskIndex, period_years
from geo.metrics.units import (
    default_period,
    diffusion,
    in_period,
    monthly_by_province,
    monthly_by_unit,
    period_flags,
    trend_months,
    unit_summary,
)
from geo.timings import Timings

LEVELS = (  # layer, id column, name columns, output base name
    ("districts", "district_id", ("district", "province"), "districts_risk"),
    ("tehsils", "tehsil_id", ("tehsil", "district", "province"), "tehsils_risk"),
)
MONTHLY_BY_PROVINCE = "monthly_killed_by_province.csv"
RISK_GPKG = "risk.gpkg"


@dataclasses.dataclass
class UnitLayers:
    """Per level (``districts_risk``, ``tehsils_risk``): the layer with every
    metric and risk component, and the unit's monthly series; plus the
    parameters (period, weights, transforms) behind them."""

    layers: dict[str, gpd.GeoDataFrame]
    monthly: dict[str, pd.DataFrame]
    parameters: dict[str, object]


def unit_layers(incidents: pd.DataFrame, settings: Settings, border: shapely.Geometry,
                bands: gpd.GeoDataFrame, period: tuple[pd.Timestamp, pd.Timestamp] | None = None, *,
                levels: tuple[str, ...] | None = None, timings: Timings | None = None) -> UnitLayers:
    """Measure every district and tehsil over ``period`` (default: the last 12
    months present in the data).

    ``levels`` limits the output to some of ``districts_risk`` and
    ``tehsils_risk`` (default: both).

    Sparse data gives results, not errors: with no incident (in the period, or
    inside the units) every unit has zero counts, ``"insufficient data"``
    hotspot and emerging classes and a risk index from its border proximity
    alone (README, "Sparse data").

    Parameters
    ----------
    timings
        Gains ``hotspots_s`` (Gi*), ``emerging_hotspots_s`` (monthly Gi* and
        trends) and ``metrics_s`` (the rest: counts, rates, proximity,
        diffusion, risk index), both levels together.

    Raises
    ------
    NoIncidentsError
        When ``period`` is None and no incident is dated.
    """
    timings = timings if timings is not None else Timings()
    started, gi_before = time.perf_counter(), timings.total("hotspots_s", "emerging_hotspots_s")
    start, end = period or default_period(incidents["date"])
    chosen = in_period(incidents, start, end)  # dates parsed once for every measure below
    synthetic = has_synthetic(incidents)
    months = trend_months(start, end)
    result = UnitLayers({}, {}, {"period": [start.date().isoformat(), end.date().isoformat()]})
    for layer, id_column, names, out_name in LEVELS:
        if levels is not None and out_name not in levels:
            continue
        units = boundaries.load(layer, boundaries_dir=settings.boundaries_dir,
                                district_vintage=settings.district_vintage)
        # measured once by `geo boundaries build` (boundaries/unit_geometry_metrics.csv)
        committed = boundaries.DISTRICT_LAYERS[settings.district_vintage] if layer == "districts" else layer
        proximity = read_unit_proximity(committed, units, id_column, border, bands, settings.equal_area_crs,
                                        settings.boundaries_dir)
        summary = unit_summary(chosen, units, id_column, start, end).merge(proximity, on=id_column)
        summary["diffusion_share"] = summary[id_column].map(
            diffusion(chosen, units, id_column, start, end, settings.equal_area_crs))
        summary = summary.merge(incidents_per_band(chosen, id_column, settings.border_band_edges_km),
                                on=id_column, how="left")
        band_columns = [c for c in summary.columns if "_band_" in c]
        summary[band_columns] = summary[band_columns].fillna(0).astype("int64")
        ordered = units[[id_column]].merge(summary, on=id_column, how="left")
        area = units["area_km2"].to_numpy(dtype=float)
        with timings.stage("hotspots_s"):
            hotspots = Hotspots.compute(units, ordered["incidents"].to_numpy(dtype=float), id_column,
                                        permutations=settings.hotspot_permutations, area_km2=area,
                                        inference=settings.hotspot_inference).table
        precise = (chosen["geo_precision"] == 1).groupby(chosen[id_column]).mean()
        risk = RiskIndex.compute(summary, hotspots, id_column, settings.risk_weights, precise, months,
                                 scale=settings.risk_scale, years=period_years(start, end))
        with timings.stage("emerging_hotspots_s"):
            emerging = emerging_hotspots(chosen, units, id_column, start, end, area_km2=area)
        result.parameters[out_name] = {
            **risk.parameters,
            "gi_star": method_parameters(settings.hotspot_inference, settings.hotspot_permutations,
                                         rates=True),
            "emerging_gi_star": method_parameters(MONTHLY_INFERENCE, None, rates=True)}
        table = (units[[id_column, *names, "geometry"]]
                 .merge(summary, on=id_column)
                 .merge(hotspots.drop(columns=["neighbours"]), on=id_column)
                 .merge(emerging, on=id_column)
                 .merge(risk.table, on=id_column))
        table.insert(len(names) + 1, "period_start", start.date().isoformat())
        table.insert(len(names) + 2, "period_end", end.date().isoformat())
        table["synthetic_data"] = synthetic
        result.layers[out_name] = gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")
        result.monthly[out_name] = monthly_by_unit(chosen, units, id_column, start, end)
    # everything but the two Gi* stages
    timings.add("metrics_s", time.perf_counter() - started
                - (timings.total("hotspots_s", "emerging_hotspots_s") - gi_before))
    return result


def write_risk_outputs(incidents: pd.DataFrame, settings: Settings, out_dir: Path,
                       period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                       *, timings: Timings | None = None) -> tuple[list[Path], dict]:
    """Write the risk layers (GeoJSON + .qml + .qmd, GeoPackage with styles and
    metadata), the summary tables and the monthly tables; return the paths and
    parameters.

    The incidents get an ``in_period`` column (unless they have one, as a
    `geo run`'s do) so that their GeoPackage layer and style can tell the
    incidents of the period from the rest.

    ``timings`` gains the stages of :func:`unit_layers` and one per output:
    ``styles_s`` (QGIS styles and metadata, .qml/.qmd), ``risk_geojson_s``,
    ``risk_csv_s`` (summary and monthly tables) and ``risk_gpkg_s``.
    """
    out_dir = Path(out_dir)
    timings = timings if timings is not None else Timings()
    with timings.stage("metrics_s"):
        border = boundaries.load("border", boundaries_dir=settings.boundaries_dir)
        bands = boundaries.load("border_bands", boundaries_dir=settings.boundaries_dir)
    units = unit_layers(incidents, settings, border.geometry.iloc[0], bands, period, timings=timings)
    first, last = units.parameters["period"]
    incidents = incidents.assign(in_period=period_flags(incidents, first, last))
    synthetic = has_synthetic(incidents)
    metadata = {"attribution": ATTRIBUTION, "district_vintage": settings.district_vintage,
                "risk_parameters": units.parameters, "synthetic_data": synthetic}
    points = gpd.GeoDataFrame(incidents.drop(columns=["lon", "lat"]),
                              geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]), crs="EPSG:4326")
    gpkg_layers = {**units.layers, "incidents": points, "border": border, "border_bands": bands}
    written = []
    with timings.stage("styles_s"):
        layer_styles = styles(
            {name: [c for c in frame.columns if c != frame.geometry.name] for name, frame in gpkg_layers.items()},
            event_types=event_types_by_count(incidents["event_type"]),
            bands=zip(bands["band_km_min"], bands["band_km_max"], strict=True), period=(first, last))
        about = layer_metadata(incidents, (first, last))
        for name in (*units.layers, "incidents", "border", "border_bands"):
            written += [write_qml(layer_styles[name], out_dir / f"{name}.qml"),
                        write_qmd(about[name], out_dir / f"{name}.qmd")]
    for name, layer in units.layers.items():
        level = name.split("_")[0]
        with timings.stage("risk_geojson_s"):
            written.append(write_geojson(layer, out_dir / f"{name}.geojson", {"name": name, **metadata},
                                         feature_ids=True))
        with timings.stage("risk_csv_s"):
            written += [
                write_csv(layer.drop(columns="geometry"), out_dir / f"summary_{level}.csv"),
                write_csv(units.monthly[name].assign(synthetic_data=synthetic), out_dir / f"monthly_{level}.csv"),
            ]
    with timings.stage("risk_csv_s"):
        province_table = monthly_by_province(incidents, pd.Timestamp(first), pd.Timestamp(last), STUDY_PROVINCES)
        written.append(write_csv(province_table.assign(synthetic_data=synthetic), out_dir / MONTHLY_BY_PROVINCE))
    label = " Includes SYNTHETIC data." if synthetic else ""
    with timings.stage("risk_gpkg_s"):
        written.append(write_geopackage(
            {name: geojson_field_types(frame) for name, frame in gpkg_layers.items()}, out_dir / RISK_GPKG,
            {n: f"{n}: {ATTRIBUTION}.{label}" for n in gpkg_layers},
            after_write=lambda path: style_geopackage(path, layer_styles, about)))
    return written, units.parameters


def layer_metadata(incidents: pd.DataFrame, period: tuple[str, str]) -> dict[str, LayerMetadata]:
    """What each risk output layer says about itself in QGIS: title, abstract,
    attribution and licence, keywords and the period measured."""
    first, last = period
    synthetic = has_synthetic(incidents)
    flag = " (includes SYNTHETIC data)" if synthetic else ""
    note = " Includes SYNTHETIC data." if synthetic else ""
    rights = (incident_attribution(incidents),)
    boundary_rights = (ATTRIBUTION,)
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
