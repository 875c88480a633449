"""Offline geocoding by place name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from geo.geocode import Gazetteer

GEOD = Geod(ellps="WGS84")

# (name as written in reports, GeoNames name it must resolve to)
VARIANTS = [
    ("Miran Shah", "Miran Shah"), ("Miranshah", "Miran Shah"), ("Miramshah", "Miran Shah"),
    ("MIRAN SHAH", "Miran Shah"), ("D.I. Khan", "Dera Ismail Khan"), ("DI Khan", "Dera Ismail Khan"),
    ("Dera Ismail Khan", "Dera Ismail Khan"), ("Killa Saifullah", "Qila Saifullah"),
    ("Qila Saifullah", "Qila Saifullah"), ("Qilla Abdullah", "Qila Abdullah"), ("Killa Abdullah", "Qila Abdullah"),
    ("Akora Khattak", "Akora Khattak"), ("Akora Khatak", "Akora Khattak"), ("Landi Kotal", "Landi Kotal"),
    ("Landikotal", "Landi Kotal"), ("Bannu", "Bannu"), ("Banu", "Bannu"), ("Kalat", "Kalat"),
    ("Quetta", "Quetta"), ("Queta", "Quetta"), ("Turbat", "Turbat"), ("Zhob", "Zhob"), ("Peshawar", "Peshawar"),
    ("Peshawer", "Peshawar"), ("Parachinar", "Parachinar"), ("Para Chinar", "Parachinar"), ("Wana", "Wana"),
    ("Khar", "Khar"), ("Timergara", "Timargara"), ("Mingora", "Mingora"), ("Chaman", "Chaman"),
    ("Gwadar", "Gwadar"), ("Khuzdar", "Khuzdar"), ("Mastung", "Mastung"), ("Kohat", "Kohat"),
    ("Hangu", "Hangu"), ("Tank", "Tank"), ("Lakki", None), ("Jamrud", "Jamrud"), ("Kot Addu", "Kot Addu"),
    ("Kote Addu", "Kot Addu"),
]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer()


def test_names_and_their_variants_resolve_near_the_geonames_point(gazetteer, places):
    pakistan = places[places["country"] == "Pakistan"].set_index("name")
    hits = 0
    for written, expected in VARIANTS:
        match = gazetteer.match(written)
        if expected is None:
            continue
        assert match.reason == "", (written, match)
        target = pakistan.loc[expected]
        _, _, metres = GEOD.inv(match.lon, match.lat, target["lon"], target["lat"])
        assert metres < 5000, (written, metres)
        hits += 1
    assert hits >= 30


def test_namesakes_are_told_apart_by_the_province_hint(gazetteer):
    assert gazetteer.match("Noorabad").reason == "ambiguous_place"
    kp = gazetteer.match("Noorabad", province_hint="Khyber Pakhtunkhwa")
    sindh = gazetteer.match("Noorabad", province_hint="Sindh")
    assert kp.lat == pytest.approx(34.25195) and sindh.lat == pytest.approx(27.8484)
    assert gazetteer.match("Dasht").reason == "ambiguous_place"
    assert gazetteer.match("Dasht", district_hint="Kech").lon == pytest.approx(62.6, abs=0.1)
    assert gazetteer.match("Dasht", province_hint="Balochistan", district_hint="Mastung").lon == pytest.approx(
        67.0, abs=0.1)


@pytest.mark.parametrize("nonsense", ["Xyzzy Qqq", "asdfghjkl", "Springfield", "12345", ""])
def test_nonsense_is_rejected_not_guessed(gazetteer, nonsense):
    match = gazetteer.match(nonsense)
    assert match.reason == "unknown_place" and match.lat is None


def test_district_hint_gives_an_admin_centroid_and_says_so(gazetteer):
    match = gazetteer.match("Torkham", district_hint="Khyber agency")
    assert match.method == "admin_centroid" and match.precision == 2
    assert "Khyber" in match.detail
    assert gazetteer.match("Torkham").reason == "unknown_place"


def test_a_name_outside_the_hinted_province_is_not_placed(gazetteer):
    match = gazetteer.match("Kot Addu", province_hint="Balochistan")
    assert match.reason == "unknown_place" and "only elsewhere" in match.detail


def test_repeated_names_are_resolved_once(gazetteer, monkeypatch):
    from geo import geocode as module

    calls = []
    original = gazetteer.match

    def counting(*args):
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(gazetteer, "match", counting)
    frame = pd.DataFrame({"place": ["Bannu", "Quetta"] * 500, "source_admin1": [None] * 1000,
                          "source_admin2": [None] * 1000})
    result = module.geocode(frame, gazetteer)
    assert len(calls) == 2
    assert np.isfinite(result["lat"].astype(float)).all()
