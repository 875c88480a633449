"""Tehsil → district assignment on small hand-built geometry."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo._errors import BoundaryBuildError
from geo.boundaries.assign import assign_tehsils

KP = "Khyber Pakhtunkhwa"


def _tehsils(*specs: tuple[str, float, float]) -> gpd.GeoDataFrame:
    """Unit squares named and placed on a grid: (name, column, row)."""
    return gpd.GeoDataFrame(
        {"name": [s[0] for s in specs], "source_shape_id": [f"9618217B{i}" for i in range(len(specs))]},
        geometry=[shapely.box(70 + c, 33 + r, 71 + c, 34 + r) for _, c, r in specs],
        crs="EPSG:4326",
    )


ADMIN = pd.DataFrame(
    [(KP, "Bannu", "Bannu"), (KP, "Bannu", "Domel"), (KP, "Khyber", "Landi Kotal"),
     (KP, "Khyber", "Jamrud"), (KP, "Mohmand", "Ambar Utman Khel"), (KP, "Bajaur", "Utman Khel"),
     (KP, "Bajaur", "Khar Bajaur"), (KP, "Mohmand", "Safi"), (KP, "Shangla", "Wana")],
    columns=["province", "district", "tehsil"],
)
SUBDIVISIONS = pd.DataFrame(
    [
        {"subdivision_id": 1, "name": KP, "code": "PK.03", "level": 1, "parent": 0, "country": "Pakistan",
         "alternate_names": []},
        {"subdivision_id": 2, "name": "Bannu District", "code": "PK.03.1", "level": 2, "parent": 1,
         "country": "Pakistan", "alternate_names": ["Bannu"]},
        {"subdivision_id": 3, "name": "Khyber Agency", "code": "PK.03.2", "level": 2, "parent": 1,
         "country": "Pakistan", "alternate_names": ["Khyber", "ضلع خیبر"]},
        {"subdivision_id": 4, "name": "South Waziristan Agency", "code": "PK.03.3", "level": 2, "parent": 1,
         "country": "Pakistan", "alternate_names": ["South Waziristan"]},
        {"subdivision_id": 5, "name": "Bājaur Agency", "code": "PK.03.4", "level": 2, "parent": 1,
         "country": "Pakistan", "alternate_names": []},
    ]
).set_index("subdivision_id")
NO_OVERRIDES = pd.DataFrame(columns=["source_shape_id", "tehsil", "province", "district", "reason"])


def _places(*rows: tuple[str, float, float, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"name": n, "geonames_id": i, "country": "Pakistan", "adm1_id": 1, "adm2_id": adm2,
          "population": 1000, "lat": lat, "lon": lon} for i, (n, lon, lat, adm2) in enumerate(rows)]
    )


def test_name_confirmed_by_votes_and_by_adjacency():
    tehsils = _tehsils(("BANNU", 0, 0), ("DOMEL", 1, 0), ("LANDI KOTAL", 0, 2), ("JAMROD", 1, 2))
    places = _places(("Bannu", 70.5, 33.5, 2), ("Landi Kotal", 70.5, 35.5, 3))
    result = assign_tehsils(tehsils, ADMIN, SUBDIVISIONS, places, NO_OVERRIDES)
    assert list(result["district"]) == ["Bannu", "Bannu", "Khyber", "Khyber"]
    assert list(result["method"]) == ["name+geonames", "name+adjacency", "name+geonames", "name+adjacency"]


def test_names_contradicted_by_votes_need_an_override():
    # The census table puts Wana in Shangla; GeoNames puts the town in South Waziristan.
    tehsils = _tehsils(("BANNU", 0, 0), ("WANA", 1, 0))
    places = _places(("Bannu", 70.5, 33.5, 2), ("Wana", 71.5, 33.5, 4))
    with pytest.raises(BoundaryBuildError, match=r"WANA \(9618217B1\)"):
        assign_tehsils(tehsils, ADMIN, SUBDIVISIONS, places, NO_OVERRIDES)
    overrides = pd.DataFrame([{"source_shape_id": "9618217B1", "tehsil": "WANA", "province": KP,
                               "district": "South Waziristan", "reason": "GeoNames and position"}])
    result = assign_tehsils(tehsils, ADMIN, SUBDIVISIONS, places, overrides)
    assert result.loc[1, "district"] == "South Waziristan"
    assert result.loc[1, "method"] == "override"


def test_best_name_wins_over_a_weaker_name_next_door():
    # AMBAR UTMAN KHEL touches Bajaur, whose "Utman Khel" matches it less well
    # than Mohmand's "Ambar Utman Khel": it joins the Mohmand group, not Bajaur.
    tehsils = _tehsils(("KHAR", 0, 0), ("AMBAR UTMAN KHEL", 1, 0), ("SAFI", 2, 0))
    places = _places(("Khar", 70.5, 33.5, 5))
    result = assign_tehsils(tehsils, ADMIN, SUBDIVISIONS, places, NO_OVERRIDES)
    assert list(result["district"]) == ["Bajaur", "Mohmand", "Mohmand"]
    assert result.loc[1, "method"] == "name+province-adjacency"


def test_a_tehsil_without_any_evidence_fails_the_build():
    tehsils = _tehsils(("BANNU", 0, 0), ("NOWHERE", 1, 0))
    places = _places(("Bannu", 70.5, 33.5, 2))
    with pytest.raises(BoundaryBuildError, match=r"(?s)1 tehsil.*NOWHERE"):
        assign_tehsils(tehsils, ADMIN, SUBDIVISIONS, places, NO_OVERRIDES)


def test_override_of_an_unknown_tehsil_is_rejected():
    tehsils = _tehsils(("BANNU", 0, 0))
    places = _places(("Bannu", 70.5, 33.5, 2))
    overrides = pd.DataFrame([{"source_shape_id": "9618217B9", "tehsil": "GHOST", "province": KP,
                               "district": "Bannu", "reason": "typo"}])
    with pytest.raises(BoundaryBuildError, match="not a Pakistani tehsil"):
        assign_tehsils(tehsils, ADMIN, SUBDIVISIONS, places, overrides)
