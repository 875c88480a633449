"""Every metric of every district and tehsil over one period: counts and
rates, border proximity, diffusion, Gi* and emerging hotspots and the risk
index, assembled into one layer per level (:func:`unit_layers`).

The export stage writes these layers (:mod:`geo.export.risk`); nothing here
writes a file.
"""

from __future__ import annotations

import dataclasses
import time

import geopandas as gpd
import pandas as pd
import shapely

from geo import boundaries
from geo.boundaries.assign import STUDY_PROVINCES
from geo.boundaries.unit_metrics import read_unit_proximity
from geo.config import Settings
from geo.incidents.schema import has_synthetic
from geo.levels import LEVELS
from geo.metrics.emerging import MONTHLY_INFERENCE, emerging_hotspots
from geo.metrics.hotspots import Hotspots, method_parameters
from geo.metrics.proximity import incidents_per_band
from geo.metrics.risk import RiskIndex, period_years
from geo.metrics.units import (
    COUNT_COLUMNS,
    default_period,
    diffusion,
    in_period,
    monthly_by_province,
    monthly_by_unit,
    trend_months,
    unit_summary,
)
from geo.timings import Timings

# What the measures of :func:`unit_layers` read of each incident.
MEASURED_COLUMNS = frozenset({
    "date", "_date", "lon", "lat", "district_id", "tehsil_id", "province", "geo_precision", "border_band",
    "distance_to_border_km", "in_study_area", "in_period", "synthetic", *COUNT_COLUMNS,
})


@dataclasses.dataclass
class UnitLayers:
    """Per level (``districts_risk``, ``tehsils_risk``): the layer with every
    metric and risk component, and the unit's monthly series; the monthly
    incidents and killed of each study province (``provinces``: KP and
    Balochistan, every month of the period); and the parameters (period,
    weights, transforms) behind them."""

    layers: dict[str, gpd.GeoDataFrame]
    monthly: dict[str, pd.DataFrame]
    parameters: dict[str, object]
    provinces: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)


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
    # dates parsed once for every measure below, and only the columns they read
    # copied (not the texts of a million incidents)
    chosen = in_period(incidents[[c for c in incidents.columns if c in MEASURED_COLUMNS]], start, end)
    synthetic = has_synthetic(incidents)
    months = trend_months(start, end)
    result = UnitLayers({}, {}, {"period": [start.date().isoformat(), end.date().isoformat()]})
    for level in LEVELS:
        layer, id_column, names, out_name = level.layer, level.id_column, level.name_columns, level.output
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
    # the same rows as from every incident: those of the period
    result.provinces = monthly_by_province(chosen, start, end, STUDY_PROVINCES)
    # everything but the two Gi* stages
    timings.add("metrics_s", time.perf_counter() - started
                - (timings.total("hotspots_s", "emerging_hotspots_s") - gi_before))
    return result
