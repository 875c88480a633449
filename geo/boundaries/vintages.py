"""District vintages: today's districts and the set before the 2022 changes,
both dissolved from the same tehsils.

The build assigns every tehsil to one district from its sources (census name
table, GeoNames, ``overrides.csv``). The committed table
``boundaries/district_vintages.csv`` lists the tehsils whose district differs
between vintages, with the notification each change comes from; every other
tehsil has the same district in every vintage. Because both vintages are made
of whole tehsils, the crosswalk between them is exact: each old district is the
union of the parts it shares with the new ones.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo._errors import BoundaryBuildError
from geo.boundaries import district_columns
from geo.boundaries.border import geodesic_area_km2
from geo.config import DISTRICT_VINTAGES
from geo.filenames import DISTRICT_VINTAGES_CSV
CURRENT, OLD = DISTRICT_VINTAGES
TABLE_COLUMNS = ["tehsil_id", "tehsil", f"district_{OLD}", f"district_{CURRENT}", "source", "note"]
SHARE_DECIMALS = 6


def read_vintage_table(path: Path) -> pd.DataFrame:
    """The committed table of tehsils whose district changed, one row per tehsil.

    Raises
    ------
    BoundaryBuildError
        If the file cannot be read or lacks the expected columns.
    """
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        msg = f"cannot read the district vintage table {path}: {exc}"
        raise BoundaryBuildError(msg) from exc
    if list(table.columns) != TABLE_COLUMNS:
        msg = f"{path} must have the columns {', '.join(TABLE_COLUMNS)}; it has {', '.join(table.columns)}"
        raise BoundaryBuildError(msg)
    return table


def district_names_by_vintage(
    tehsil_ids: list[str], tehsils: list[str], assigned: list[str], table: pd.DataFrame
) -> dict[str, list[str]]:
    """The district name of every tehsil in every vintage.

    Parameters
    ----------
    tehsil_ids, tehsils
        Id and display name of each tehsil.
    assigned
        The district the build assigned from its sources (kept wherever the
        table has no row).
    table
        :func:`read_vintage_table`.

    Raises
    ------
    BoundaryBuildError
        If a row names a tehsil that does not exist (or by another name), a
        tehsil has two rows, a row lacks its source or a district, or the
        district the build assigned is none of the row's: the table no longer
        fits the sources and must be checked.
    """
    position = {t: i for i, t in enumerate(tehsil_ids)}
    repeated = set(table.loc[table["tehsil_id"].duplicated(), "tehsil_id"])
    out = {v: list(assigned) for v in DISTRICT_VINTAGES}
    problems = []
    for row in table.to_dict("records"):
        i = position.get(row["tehsil_id"])
        districts = {v: row[f"district_{v}"].strip() for v in DISTRICT_VINTAGES}
        if i is None:
            problems.append(f"{row['tehsil_id']} is not a tehsil of the build")
        elif tehsils[i] != row["tehsil"]:
            problems.append(f"{row['tehsil_id']} is named {tehsils[i]!r}, not {row['tehsil']!r}")
        elif row["tehsil_id"] in repeated:
            problems.append(f"{row['tehsil_id']} has more than one row")
        elif not row["source"].strip() or not all(districts.values()):
            problems.append(f"{row['tehsil_id']} lacks its source or a district")
        elif assigned[i] not in districts.values():
            problems.append(f"{row['tehsil_id']}: the build assigns it to {assigned[i]}, "
                            f"which is none of {', '.join(sorted(set(districts.values())))}")
        else:
            for vintage, district in districts.items():
                out[vintage][i] = district
    if problems:
        msg = f"boundaries/{DISTRICT_VINTAGES_CSV} does not fit the build:\n  " + "\n  ".join(sorted(set(problems)))
        raise BoundaryBuildError(msg)
    return out


def district_crosswalk(tehsils: gpd.GeoDataFrame) -> pd.DataFrame:
    """Every pair of an older and a current district that share tehsils.

    One row per pair (unchanged districts map to themselves with shares of 1):
    the ids and names in both vintages, the province, the shared tehsils and
    their geodesic area, and that area as a share of the older and of the
    current district.
    """
    old_id, old_name = district_columns(OLD)
    new_id, new_name = district_columns(CURRENT)
    area = {column: {key: _area_km2(group) for key, group in tehsils.groupby(column, sort=True)}
            for column in (old_id, new_id)}
    rows = []
    for (old, new), group in tehsils.groupby([old_id, new_id], sort=True):
        shared = _area_km2(group)
        rows.append({
            f"district_id_{OLD}": old, f"district_{OLD}": group[old_name].iloc[0],
            f"district_id_{CURRENT}": new, f"district_{CURRENT}": group[new_name].iloc[0],
            "province": group["province"].iloc[0], "n_tehsils": len(group),
            "tehsil_ids": ";".join(sorted(group["tehsil_id"])),
            "area_km2": round(shared, 3),
            f"share_of_{OLD}": round(shared / area[old_id][old], SHARE_DECIMALS),
            f"share_of_{CURRENT}": round(shared / area[new_id][new], SHARE_DECIMALS),
        })
    return pd.DataFrame(rows)


def _area_km2(tehsils: gpd.GeoDataFrame) -> float:
    # The same dissolve as the district layers, so shares add up to their areas.
    return geodesic_area_km2(shapely.coverage_union_all(tehsils.geometry.values))
