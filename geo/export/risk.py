"""Risk layers per district and tehsil: summary, proximity, hotspots and the risk
index, written as styled GeoJSON, a styled GeoPackage and CSV tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import boundaries
from geo.boundaries.build import ATTRIBUTION
from geo.config import Settings
from geo.export.styles import add_layer_styles, styles, write_qml
from geo.export.tables import write_csv
from geo.export.vector import write_geojson, write_geopackage
from geo.metrics.emerging import emerging_hotspots
from geo.metrics.hotspots import Hotspots
from geo.metrics.proximity import BorderDistance, incidents_per_band, unit_proximity
from geo.metrics.risk import RiskIndex
from geo.metrics.units import default_period, diffusion, monthly_by_province, monthly_by_unit, unit_summary

LEVELS = (  # layer, id column, name columns, output base name
    ("districts", "district_id", ("district", "province"), "districts_risk"),
    ("tehsils", "tehsil_id", ("tehsil", "district", "province"), "tehsils_risk"),
)
MONTHLY_BY_PROVINCE = "monthly_killed_by_province.csv"
RISK_GPKG = "risk.gpkg"


def unit_layers(incidents: pd.DataFrame, settings: Settings, period: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                ) -> tuple[dict[str, gpd.GeoDataFrame], dict]:
    """One GeoDataFrame per level with every metric and risk component, and the
    parameters (period, weights, transforms) behind them. The period defaults
    to the last 12 months present in the data."""
    start, end = period or default_period(incidents["date"])
    border = boundaries.load("border", boundaries_dir=settings.boundaries_dir).geometry.iloc[0]
    distances = BorderDistance.build(border, settings.equal_area_crs)
    bands = boundaries.load("border_bands", boundaries_dir=settings.boundaries_dir)
    dates = pd.to_datetime(incidents["date"], errors="coerce")
    in_period = incidents[(dates >= start) & (dates <= end)]
    layers, parameters = {}, {"period": [start.date().isoformat(), end.date().isoformat()]}
    for layer, id_column, names, out_name in LEVELS:
        units = boundaries.load(layer, boundaries_dir=settings.boundaries_dir)
        summary = unit_summary(incidents, units, id_column, start, end).merge(
            unit_proximity(units, id_column, distances, bands), on=id_column)
        summary["diffusion_share"] = summary[id_column].map(
            diffusion(incidents, units, id_column, start, end, settings.equal_area_crs))
        summary = summary.merge(incidents_per_band(in_period, id_column, settings.border_band_edges_km),
                                on=id_column, how="left")
        band_columns = [c for c in summary.columns if "_band_" in c]
        summary[band_columns] = summary[band_columns].fillna(0).astype("int64")
        ordered = units[[id_column]].merge(summary, on=id_column, how="left")
        hotspots = Hotspots.compute(units, ordered["incidents"].to_numpy(dtype=float), id_column).table
        precise = (in_period["geo_precision"] == 1).groupby(in_period[id_column]).mean()
        risk = RiskIndex.compute(summary, hotspots, id_column, settings.risk_weights, precise)
        parameters[out_name] = risk.parameters
        emerging = emerging_hotspots(in_period, units, id_column, start, end)
        table = (units[[id_column, *names, "geometry"]]
                 .merge(summary, on=id_column)
                 .merge(hotspots.drop(columns=["neighbours"]), on=id_column)
                 .merge(emerging, on=id_column)
                 .merge(risk.table, on=id_column))
        table.insert(len(names) + 1, "period_start", start.date().isoformat())
        table.insert(len(names) + 2, "period_end", end.date().isoformat())
        table["synthetic_data"] = bool(incidents["synthetic"].fillna(False).any())
        layers[out_name] = gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326")
    return layers, parameters


def write_risk_outputs(incidents: pd.DataFrame, settings: Settings, out_dir: Path,
                       period: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> tuple[list[Path], dict]:
    """Write the risk layers (GeoJSON + .qml, GeoPackage with styles), the
    summary tables and the monthly tables; return the paths and parameters."""
    out_dir = Path(out_dir)
    layers, parameters = unit_layers(incidents, settings, period)
    start, end = (pd.Timestamp(p) for p in parameters["period"])
    metadata = {"attribution": ATTRIBUTION, "risk_parameters": parameters,
                "synthetic_data": bool(incidents["synthetic"].fillna(False).any())}
    event_types = incidents["event_type"].value_counts().sort_index(kind="stable").sort_values(
        ascending=False, kind="stable").index.astype(str).tolist()
    layer_styles = styles(event_types)
    written = []
    for name, layer in layers.items():
        written.append(write_geojson(layer, out_dir / f"{name}.geojson", {"name": name, **metadata},
                                     feature_ids=True))
        written.append(write_qml(layer_styles[name], out_dir / f"{name}.qml"))
        level = name.split("_")[0]
        written.append(write_csv(layer.drop(columns="geometry"), out_dir / f"summary_{level}.csv"))
        layer_name, id_column = next((lv[0], lv[1]) for lv in LEVELS if lv[3] == name)
        units = boundaries.load(layer_name, boundaries_dir=settings.boundaries_dir)
        written.append(write_csv(monthly_by_unit(incidents, units, id_column, start, end),
                                 out_dir / f"monthly_{level}.csv"))
    for name in ("incidents", "border", "border_bands"):
        written.append(write_qml(layer_styles[name], out_dir / f"{name}.qml"))
    written.append(write_csv(monthly_by_province(incidents), out_dir / MONTHLY_BY_PROVINCE))
    border = boundaries.load("border", boundaries_dir=settings.boundaries_dir)
    bands = boundaries.load("border_bands", boundaries_dir=settings.boundaries_dir)
    points = gpd.GeoDataFrame(incidents.drop(columns=["lon", "lat"]),
                              geometry=gpd.points_from_xy(incidents["lon"], incidents["lat"]), crs="EPSG:4326")
    gpkg_layers = {**layers, "incidents": points, "border": border, "border_bands": bands}
    gpkg = write_geopackage(gpkg_layers, out_dir / RISK_GPKG, {n: f"{n}: {ATTRIBUTION}" for n in gpkg_layers},
                            after_write=lambda path: add_layer_styles(path, {n: layer_styles[n] for n in gpkg_layers}))
    written.append(gpkg)
    return written, parameters
