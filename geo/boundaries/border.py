"""The Pakistan–Afghanistan border, its distance bands and the Afghan context layer.

Decision (documented in ``boundaries/SOURCES.md``): the border is the stretch of
the cleaned geoBoundaries Pakistan outline that faces Afghanistan. Pakistani
tehsils therefore end exactly on it, and Afghan districts are clipped to it
(Pakistani territory is cut out of them), so no polygon of one country
overlaps one of the other.
"""

from __future__ import annotations

import math
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer

WGS84 = Geod(ellps="WGS84")
# Largest error allowed, in metres, where a geodesic buffer is approximated.
BAND_TOLERANCE_M = 5.0


def extract_border(
    pakistan: shapely.Geometry, afghanistan: shapely.Geometry, match_km: float, projected_crs: str
) -> shapely.LineString:
    """The stretch of Pakistan's outline that faces Afghanistan.

    Vertices of Pakistan's outer ring within ``match_km`` of Afghanistan mark
    the border; the largest stretch of the ring *without* such vertices is the
    rest of Pakistan's outline, so the border is everything else. The line is
    made of Pakistan's own vertices, so it coincides with the tehsil edges.
    """
    mainland = max(shapely.get_parts(pakistan), key=lambda part: part.area)
    ring = np.asarray(mainland.exterior.coords)[:-1]
    to_projected = Transformer.from_crs("EPSG:4326", projected_crs, always_xy=True)
    x, y = to_projected.transform(ring[:, 0], ring[:, 1])
    afghan_projected = shapely.transform(afghanistan, lambda c: np.column_stack(
        to_projected.transform(c[:, 0], c[:, 1])))
    distance_m = shapely.distance(shapely.points(x, y), afghan_projected)
    near = np.flatnonzero(distance_m <= match_km * 1000.0)
    if near.size < 2:
        msg = "Pakistan's outline does not come near Afghanistan's: wrong source layers?"
        raise ValueError(msg)
    step = np.hypot(np.diff(x, append=x[0]), np.diff(y, append=y[0]))
    position = np.concatenate([[0.0], np.cumsum(step)])[:-1]
    perimeter = step.sum()
    # Gaps between consecutive near vertices around the ring; the largest is not border.
    gaps = np.diff(np.concatenate([position[near], [position[near[0]] + perimeter]]))
    largest = int(np.argmax(gaps))
    start = near[(largest + 1) % near.size]
    end = near[largest]
    indices = np.arange(start, end + 1) if start <= end else np.concatenate(
        [np.arange(start, len(ring)), np.arange(0, end + 1)])
    return shapely.LineString(ring[indices])


def geodesic_length_km(line: shapely.Geometry) -> float:
    """Length on the WGS84 ellipsoid."""
    return WGS84.geometry_length(line) / 1000.0


def geodesic_area_km2(geometry: shapely.Geometry) -> float:
    """Area on the WGS84 ellipsoid."""
    area, _ = WGS84.geometry_area_perimeter(geometry)
    return abs(area) / 1e6


def densify_geodesic(line: shapely.LineString, step_km: float) -> np.ndarray:
    """Points along ``line`` at most ``step_km`` apart, following geodesics."""
    coords = np.asarray(line.coords)
    out = [coords[0]]
    for (lon1, lat1), (lon2, lat2) in zip(coords[:-1], coords[1:], strict=True):
        _, _, dist = WGS84.inv(lon1, lat1, lon2, lat2)
        n_inner = int(math.ceil(dist / (step_km * 1000.0))) - 1
        if n_inner > 0:
            out.extend(WGS84.npts(lon1, lat1, lon2, lat2, n_inner))
        out.append((lon2, lat2))
    return np.asarray(out, dtype=float)


def geodesic_buffer(line: shapely.LineString, radius_km: float) -> shapely.Geometry:
    """Everything within ``radius_km`` of ``line`` on the WGS84 ellipsoid.

    The union of geodesic circles around points along the line. Spacing and
    circle vertices are chosen so that the boundary is within
    ``BAND_TOLERANCE_M`` of the true geodesic buffer: points ``s`` apart leave at
    most s²/(8r) uncovered between two circles, and an n-gon inscribed in a
    circle of radius r falls at most r(1 − cos(π/n)) short of it.
    """
    radius_m = radius_km * 1000.0
    tolerance = BAND_TOLERANCE_M
    spacing_km = math.sqrt(8.0 * radius_m * tolerance) / 1000.0
    n_vertices = max(16, math.ceil(math.pi / math.acos(1.0 - tolerance / radius_m)))
    points = densify_geodesic(line, spacing_km)
    azimuths = np.linspace(0.0, 360.0, n_vertices, endpoint=False)
    lon = np.repeat(points[:, 0], n_vertices)
    lat = np.repeat(points[:, 1], n_vertices)
    az = np.tile(azimuths, len(points))
    end_lon, end_lat, _ = WGS84.fwd(lon, lat, az, np.full(az.shape, radius_m))
    rings = np.stack([end_lon, end_lat], axis=1).reshape(len(points), n_vertices, 2)
    circles = shapely.polygons(rings)
    return shapely.union_all(circles)


def border_bands(
    border: shapely.LineString, territory: shapely.Geometry, edges_km: tuple[float, ...]
) -> gpd.GeoDataFrame:
    """Parts of ``territory`` within successive geodesic distances of the border."""
    rows = []
    inner = shapely.Polygon()
    for low, high in zip(edges_km[:-1], edges_km[1:], strict=True):
        outer = geodesic_buffer(border, high)
        band = shapely.intersection(shapely.difference(outer, inner), territory)
        rows.append({"band_km_min": float(low), "band_km_max": float(high), "geometry": band})
        inner = outer
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def afghan_context(
    districts: gpd.GeoDataFrame,
    pakistan: shapely.Geometry,
    border: shapely.LineString,
    places: pd.DataFrame,
    subdivisions: pd.DataFrame,
    within_km: float,
    gap_km: float,
    projected_crs: str,
) -> gpd.GeoDataFrame:
    """Afghan districts touching or within ``within_km`` of the border, clipped to it.

    Pakistani territory is cut out of the Afghan districts, and the gaps the two
    sources leave between them along the border (up to ``gap_km`` wide) are
    given to the Afghan district sharing the longest edge with them, so that the
    Afghan side also reaches the border.

    Province names come from GeoNames: the places inside a district vote with
    their first-level subdivision; a district without places takes the province
    of the nearest GeoNames place.

    Returns
    -------
    Every Afghan district, clipped, with ``distance_to_border_km``, ``province``,
    ``gap_filled_km2`` (area added from gaps along the border) and
    ``near_border`` (touching or within ``within_km``).
    """
    clipped = districts.copy()
    clipped["geometry"] = shapely.difference(clipped.geometry.values, pakistan)
    clipped = clipped[~clipped.geometry.is_empty].reset_index(drop=True)
    clipped["geometry"], added = _fill_gaps(clipped.geometry.values, pakistan, border, gap_km, projected_crs)
    clipped["gap_filled_km2"] = np.round(
        gpd.GeoSeries(added, crs="EPSG:4326").to_crs(projected_crs).area.to_numpy() / 1e6, 3)
    projected = clipped.to_crs(projected_crs)
    border_projected = gpd.GeoSeries([border], crs="EPSG:4326").to_crs(projected_crs).iloc[0]
    distance_km = projected.distance(border_projected) / 1000.0
    clipped["distance_to_border_km"] = distance_km.round(3).to_numpy()
    clipped["province"] = _afghan_provinces(clipped, places, subdivisions)
    clipped["near_border"] = clipped["distance_to_border_km"] <= within_km
    return clipped


def _fill_gaps(
    afghan: np.ndarray, pakistan: shapely.Geometry, border: shapely.LineString, width_km: float,
    projected_crs: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Extend the Afghan districts to the border.

    Gaps between the two sources are the holes enclosed by Pakistan and the
    Afghan districts, and the parts of a ``width_km`` strip along the border
    (flat-ended, so nothing beyond the tripoints) that neither covers. Each gap
    that shares an edge with Afghan districts goes to the one sharing the
    longest. Returns the new geometries and what each gained.
    """
    covered = shapely.union_all([pakistan, *afghan])
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(covered) for ring in part.interiors]
    to_projected = Transformer.from_crs("EPSG:4326", projected_crs, always_xy=True)
    to_geographic = Transformer.from_crs(projected_crs, "EPSG:4326", always_xy=True)
    strip = shapely.buffer(shapely.transform(border, lambda c: np.column_stack(to_projected.transform(*c.T))),
                           width_km * 1000.0, cap_style="flat")
    strip = shapely.transform(shapely.segmentize(strip, 1000.0),
                              lambda c: np.column_stack(to_geographic.transform(*c.T)))
    solid = shapely.union_all([covered, *holes])
    open_gaps = [g for g in shapely.get_parts(shapely.difference(strip, solid)) if g.distance(border) < 1e-7]
    gained: list[list[shapely.Geometry]] = [[] for _ in afghan]
    tree = shapely.STRtree(afghan)
    for gap in [*holes, *open_gaps]:
        touching = tree.query(gap, predicate="intersects")
        shared = [shapely.intersection(gap.boundary, afghan[i].boundary).length for i in touching]
        if shared and max(shared) > 0:
            # Overlay of near-coincident edges can leave slivers reaching into
            # Pakistan in a gap's outline: the border decides, so cut them off.
            gained[int(touching[int(np.argmax(shared))])].append(shapely.difference(gap, pakistan))
    added = np.array([shapely.union_all(parts) for parts in gained], dtype=object)
    filled = np.array([shapely.union_all([g, *parts]) if parts else g
                       for g, parts in zip(afghan, gained, strict=True)], dtype=object)
    return filled, added


def _afghan_provinces(
    districts: gpd.GeoDataFrame, places: pd.DataFrame, subdivisions: pd.DataFrame
) -> list[str]:
    afghan = places[(places["country"] == "Afghanistan") & (places["adm1_id"] > 0)].reset_index(drop=True)
    names = subdivisions["name"].to_dict()
    province_of_place = afghan["adm1_id"].map(names).fillna("")
    points = shapely.points(afghan["lon"].to_numpy(), afghan["lat"].to_numpy())
    tree = shapely.STRtree(points)
    result = []
    for geometry in districts.geometry.values:
        inside = tree.query(geometry, predicate="contains")
        votes = Counter(province_of_place.iloc[i] for i in inside if province_of_place.iloc[i])
        if votes:
            result.append(max(votes.items(), key=lambda kv: (kv[1], kv[0]))[0])
        else:
            nearest = tree.nearest(shapely.point_on_surface(geometry))
            result.append(province_of_place.iloc[int(nearest)])
    return result
