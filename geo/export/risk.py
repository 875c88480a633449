"""Risk layers per district and tehsil: summary, proximity, hotspots and the risk
index, written as styled GeoJSON, a styled GeoPackage and CSV tables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo import boundaries
from geo.boundaries.build import ATTRIBUTION
from geo.config import Settings
from geo.export.styles import add_layer_styles, event_types_by_count, styles, write_qml
from geo.export.tables import write_csv
from geo.export.vector import write_geojson, write_geopackage
from geo.incidents.schema import has_synthetic
from geo.metrics.emerging import MONTHLY_PERMUTATIONS, emerging_hotspots
from geo.metrics.hotspots import Hotspots
from geo.metrics.proximity import BorderDistance, incidents_per_band, unit_proximity
from geo.metrics.risk import RiskIndex
from geo.metrics.units import (
    default_period,
    diffusion,
    in_period,
    monthly_by_province,
    monthly_by_unit,
    trend_months,
    unit_summary,
)

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
                bands: gpd.GeoDataFrame, period: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> UnitLayers:
    """Measure every district and tehsil over ``period`` (default: the last 12
    months present in the data).

    Sparse data gives results, not errors: with no incident (in the period, or
    inside the units) every unit has zero counts, ``"insufficient data"``
    hotspot and emerging classes and a risk index from its border proximity
    alone (README, "Sparse data").

    Raises
    ------
    NoIncidentsError
        When ``period`` is None and no incident is dated.
    """
    start, end = period or default_period(incidents["date"])
    distances = BorderDistance.build(border, settings.equal_area_crs)
    chosen = in_period(incidents, start, end)  # dates parsed once for every measure below
    synthetic = has_synthetic(incidents)
    months = trend_months(start, end)
    result = UnitLayers({}, {}, {"period": [start.date().isoformat(), end.date().isoformat()]})
    for layer, id_column, names, out_name in LEVELS:
        units = boundaries.load(layer, boundaries_dir=settings.boundaries_dir,
                                district_vintage=settings.district_vintage)
        summary = unit_summary(chosen, units, id_column, start, end).merge(
            unit_proximity(units, id_column, distances, bands), on=id_column)
        summary["diffusion_share"] = summary[id_column].map(
            diffusion(chosen, units, id_column, start, end, settings.equal_area_crs))
        summary = summary.merge(incidents_per_band(chosen, id_column, settings.border_band_edges_km),
                                on=id_column, how="left")
        band_columns = [c for c in summary.columns if "_band_" in c]
        summary[band_columns] = summary[band_columns].fillna(0).astype("int64")
        ordered = units[[id_column]].merge(summary, on=id_column, how="left")
        hotspots = Hotspots.compute(units, ordered["incidents"].to_numpy(dtype=float), id_column,
                                    permutations=settings.hotspot_permutations).table
        precise = (chosen["geo_precision"] == 1).groupby(chosen[id_column]).mean()
        risk = RiskIndex.compute(summary, hotspots, id_column, settings.risk_weights, precise, months)
        result.parameters[out_name] = risk.parameters
        emerging = emerging_hotspots(chosen, units, id_column, start, end,
                                     permutations=min(MONTHLY_PERMUTATIONS, settings.hotspot_permutations))
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
    return result


def write_risk_outputs(incidents: pd.DataFrame, settings: Settings, out_dir: Path,
                       period: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> tuple[list[Path], dict]:
    """Write the risk layers (GeoJSON + .qml, GeoPackage with styles), the
    summary tables and the monthly tables; return the paths and parameters."""
    out_dir = Path(out_dir)
    border = boundaries.load("border", boundaries_dir=settings.boundaries_dir)
    bands = boundaries.load("border_bands", boundaries_dir=settings.boundaries_dir)
    units = unit_layers(incidents, settings, border.geometry.iloc[0], bands, period)
    synthetic = has_synthetic(incidents)
    metadata = {"attribution": ATTRIBUTION, "district_vintage": settings.district_vintage,
                "risk_parameters": units.parameters, "synthetic_data": synthetic}
    layer_styles = styles(event_types_by_count(incidents["event_type"]))
    written = []
    for name, layer in units.layers.items():
        level = name.split("_")[0]
        written += [
            write_geojson(layer, out_dir / f"{name}.geojson", {"name": name, **metadata}, feature_ids=True),
            write_qml(layer_styles[name], out_dir / f"{name}.qml"),
            write_csv(layer.drop(columns="geometry"), out_dir / f"summary_{level}.csv"),
            write_csv(units.monthly[name].assign(synthetic_data=synthetic), out_dir / f"monthly_{level}.csv"),
        ]
    for name in ("incidents", "border", "border_bands"):
        written.append(write_qml(layer_styles[name], out_dir / f"{name}.qml"))
    written.append(write_csv(monthly_by_province(incidents).assign(synthetic_data=synthetic),
                             out_dir / MONTHLY_BY_PROVINCE))
    points = gpd.GeoDataFrame(incidents.drop(columns=["lon", "lat"]),
                              geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]), crs="EPSG:4326")
    gpkg_layers = {**units.layers, "incidents": points, "border": border, "border_bands": bands}
    label = " Includes SYNTHETIC data." if synthetic else ""
    written.append(write_geopackage(
        gpkg_layers, out_dir / RISK_GPKG, {n: f"{n}: {ATTRIBUTION}.{label}" for n in gpkg_layers},
        after_write=lambda path: add_layer_styles(path, {n: layer_styles[n] for n in gpkg_layers})))
    return written, units.parameters
