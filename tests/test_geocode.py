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


# --- place strings as real sources write them (geo.placenames before lookup) ---------------

@pytest.mark.parametrize(("written", "expected", "precision"), [
    ("Peshawar town", "Peshawar", 1), ("Miranshah town", "Miran Shah", 1), ("Bannu Cantonment", "Bannu", 1),
    ("Landi Kotal bazaar", "Landi Kotal", 1), ("Jamrud Fort", "Jamrud", 1), ("QUETTA CITY", "Quetta", 1),
    ("village Wana", "Wana", 1), ("outskirts of Quetta", "Quetta", 1),
    # a valley, an area or "near" is not the spot itself
    ("near Kalat", "Kalat", 2), ("Wana area", "Wana", 2),
])
def test_feature_words_and_phrases_are_parsed_before_lookup(gazetteer, places, written, expected, precision):
    match = gazetteer.match(written)
    assert (match.method, match.precision) == ("gazetteer", precision), match
    target = places[(places["country"] == "Pakistan") & (places["name"] == expected)].iloc[0]
    _, _, metres = GEOD.inv(match.lon, match.lat, target["lon"], target["lat"])
    assert metres < 1000, (written, metres)


def test_a_string_naming_a_unit_resolves_to_the_unit(gazetteer):
    for written, unit in [("Bajaur agency", "Bajaur (district)"), ("Swat valley", "Swat (district)"),
                          ("Tank district", "Tank (district)"), ("Khyber Agency", "Khyber (district)")]:
        match = gazetteer.match(written)
        assert (match.method, match.precision, match.detail) == ("gazetteer", 2, unit), written
    # the town of the same name when no feature word says "unit"
    assert gazetteer.match("Tank").detail == "Tank (place)"


def test_units_named_by_the_phrase_are_district_hints(gazetteer):
    kech = gazetteer.match("Dasht, Kech district")
    mastung = gazetteer.match("Dasht area of Mastung")
    assert kech.lon == pytest.approx(62.6, abs=0.1) and mastung.lon == pytest.approx(67.0, abs=0.1)
    assert gazetteer.match("Dasht (Kech)").lon == pytest.approx(62.6, abs=0.1)
    assert "unit: Kech (district)" in kech.parsed


def test_the_parsed_name_first_then_the_string_as_written(gazetteer):
    # "Fort Abbas" is a name, not a fort: "fort" is only a feature at the end
    assert gazetteer.match("Fort Abbas town").detail == "Fort Abbas (place)"
    # another name in brackets is tried after the first
    assert gazetteer.match("Xyzzy (Parachinar)").detail == "Parachinar (place)"
    # ... unless it names a unit: then it is a hint
    assert gazetteer.match("Xyzzy (Peshawar)").detail.startswith("centroid of Peshawar district")
    # "A near B": B only when A is unknown, and then not as the spot itself
    landmark = gazetteer.match("Xyzzy village near Wana")
    assert (landmark.detail, landmark.precision) == ("Wana (place)", 2)
    assert landmark.parsed == "name: Xyzzy; feature: village; near: Wana (used)"


def test_alternate_names_and_urdu_script(gazetteer):
    assert gazetteer.match("Banu").detail == "Bannu (place, as Banu)"
    assert gazetteer.match("پشاور").detail.startswith("Peshawar (place")
    assert gazetteer.match("پشاور شہر").detail.startswith("Peshawar (place")
    # a primary name beats another place's alternate name, unless the hints rule it out
    assert gazetteer.match("Mirpur").detail == "Mirpur Sub (tehsil)"
    ajk = gazetteer.match("Mirpur", province_hint="Azad Jammu & Kashmir")
    assert ajk.detail == "New Mirpur City (place, as Mirpur)"


def test_a_name_with_letters_added_at_one_end_is_not_a_fuzzy_match(gazetteer):
    assert gazetteer.match("Mirpura", province_hint="Azad Jammu & Kashmir").reason == "unknown_place"
    assert gazetteer.match("Peshawer").detail == "Peshawar (place)"  # a spelling still is


# --- admin-centroid fallback ----------------------------------------------------------------

def test_a_tehsil_in_the_phrase_gives_its_centroid(gazetteer):
    match = gazetteer.match("Xyzzy village, Landi Kotal tehsil")
    assert (match.method, match.precision) == ("admin_centroid", 2)
    assert match.detail.startswith("centroid of Landi Kotal tehsil (Khyber)")
    assert gazetteer.match("Xyzzy village of Tehsil Landi Kotal").method == "admin_centroid"


def test_a_tehsil_in_the_row_gives_its_centroid(gazetteer):
    match = gazetteer.match("Xyzzy", district_hint="Landi Kotal")
    assert match.method == "admin_centroid" and "Landi Kotal tehsil" in match.detail
    frontier = gazetteer.match("Xyzzy town", district_hint="FR Tank - Jandola")
    assert frontier.method == "admin_centroid"
    assert frontier.detail.startswith("centroid of FR Tank tehsil (Tank)")


def test_a_district_in_the_phrase_gives_its_centroid(gazetteer):
    for written in ("Xyzzy area of Bannu", "Xyzzy, Bannu district", "Xyzzy (Bannu)",
                    "Xyzzy in District Bannu"):
        match = gazetteer.match(written)
        assert (match.method, match.precision) == ("admin_centroid", 2), written
        assert match.detail.startswith("centroid of Bannu district"), written


def test_the_centroid_is_never_a_guess(gazetteer):
    # two tehsils are called Dasht: without a district, neither is chosen
    assert gazetteer.match("Xyzzy", district_hint="Dasht").reason == "unknown_place"
    kech = gazetteer.match("Xyzzy", district_hint="Kech - Dasht")
    assert kech.detail.startswith("centroid of Dasht tehsil (Kech)")
    # a province alone places nothing
    province = gazetteer.match("Balochistan province")
    assert province.reason == "unknown_place" and "names a province only" in province.detail
    assert gazetteer.match("between Bannu and Kohat").reason == "unknown_place"
    assert gazetteer.match("Xyzzy, Springfield district").reason == "unknown_place"


def test_place_parsed_is_a_canonical_column(tmp_path):
    from geo.pipeline import ingest
    from geo.incidents.schema import INCIDENT_COLUMNS

    assert "place_parsed" in INCIDENT_COLUMNS
    path = tmp_path / "events.csv"
    path.write_text("source_id,date,place,source_admin2,lat,lon\n"
                    "1,2024-01-05,Mir Ali area of North Waziristan,,,\n"
                    "2,2024-01-06,Peshawar town,,,\n"
                    "3,2024-01-07,Bannu Cantonment,,32.98527,70.60403\n"
                    "4,2024-01-08,Xyzzy village,Bannu,,\n", encoding="utf-8")
    incidents = ingest([path]).incidents.set_index("source_id")
    assert incidents.loc["1", "place_parsed"] == "name: Mir Ali; feature: area; unit: North Waziristan"
    assert incidents.loc["1", "district"] == "North Waziristan" and incidents.loc["1", "geo_precision"] == 2
    assert incidents.loc["2", "place_parsed"] == "name: Peshawar; feature: town"
    # own coordinates: parsed all the same
    assert incidents.loc["3", "place_parsed"] == "name: Bannu; feature: cantonment"
    assert incidents.loc["3", "geocode_method"] == "source_coordinates"
    assert incidents.loc["4", "geocode_method"] == "admin_centroid"
    assert incidents.loc["4", "district"] == "Bannu"


def test_unit_hints(gazetteer):
    assert gazetteer.unit_hint("Khyber agency").name == "Khyber"
    assert gazetteer.unit_hint("FR Kohat").kind == "tehsil" and gazetteer.unit_hint("FR Kohat").district == "Kohat"
    assert gazetteer.unit_hint("Bannu").kind == "district"  # a district before the tehsil of the same name
    assert gazetteer.unit_hint("Bannu", kind="tehsil").kind == "tehsil"
    assert gazetteer.unit_hint("Tehsil Dasht") is None  # two of them
    assert gazetteer.unit_hint("Dasht", within="Kech").district == "Kech"
    assert gazetteer.unit_hint("Springfield") is None and gazetteer.unit_hint(None) is None
