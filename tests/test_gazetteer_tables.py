"""The committed gazetteer tables: GeoNames alternate names and entries per district."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.boundaries.gazetteer_tables import alternate_names, usable_alternate
from geo.filenames import GAZETTEER_COVERAGE_CSV, GEONAMES_ALTERNATES_CSV
from geo.placenames import name_key

from .conftest import BOUNDARIES_DIR


@pytest.fixture(scope="module")
def alternates() -> pd.DataFrame:
    return pd.read_csv(BOUNDARIES_DIR / GEONAMES_ALTERNATES_CSV, keep_default_na=False)


@pytest.fixture(scope="module")
def coverage() -> pd.DataFrame:
    return pd.read_csv(BOUNDARIES_DIR / GAZETTEER_COVERAGE_CSV, keep_default_na=False)


def test_alternates_belong_to_places_and_add_new_keys(alternates, places):
    own = dict(zip(places["geonames_id"], places["name"], strict=True))
    assert alternates["geonames_id"].isin(own).all()
    keys = [name_key(n) for n in alternates["name"]]
    assert all(keys)
    assert not any(k == name_key(own[i]) for k, i in zip(keys, alternates["geonames_id"], strict=True))
    assert not pd.Series(list(zip(alternates["geonames_id"], keys))).duplicated().any()
    assert all(usable_alternate(n) for n in alternates["name"])


@pytest.mark.parametrize(("name", "usable"), [
    ("Miramshah", True), ("Mīrān Shāh", True), ("میران شاہ", True),
    ("PEW", False), ("KHI", False),  # airport codes
    ("kalachi", False), ("pes war", False),  # machine transliterations (lower case)
    ("Chak 205", False), ("Ab", False), ("Пешавар", False), ("白沙瓦", False),
])
def test_which_alternate_names_are_kept(name, usable):
    assert usable_alternate(name) is usable


def test_alternate_names_are_derived_from_the_source_rows():
    places = pd.DataFrame({"geonames_id": [1, 2], "name": ["Miran Shah", "Karachi"]})
    source = pd.DataFrame({"geonames_id": [1, 1, 1, 1, 2, 3], "name": [
        "Miranshah", "MIRAN SHAH", "Miramshah", "Miram Shah", "KHI", "Elsewhere"]})
    table = alternate_names(places, source)
    # same key as the name dropped; one spelling per key (the first in sorted order); unknown ids dropped
    assert table.to_dict("records") == [{"geonames_id": 1, "name": "Miram Shah"}]


def test_coverage_counts_every_district_and_every_place(coverage, layers, places, alternates):
    districts = layers["districts"]
    inside = coverage[coverage["district_id"] != ""]
    assert sorted(inside["district_id"]) == sorted(districts["district_id"])
    tehsils = layers["tehsils"].groupby("district_id").size()
    assert (inside.set_index("district_id")["tehsils"] == tehsils.reindex(inside["district_id"])).all()
    pakistan = places[places["country"] == "Pakistan"]
    assert coverage["geonames_places"].sum() == len(pakistan)
    assert coverage["alternate_names"].sum() == alternates["geonames_id"].isin(pakistan["geonames_id"]).sum()
