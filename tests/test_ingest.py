"""Reading ACLED, UCDP GED, GTD and plain tables: mapping, rejects, accounting."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from geo.config import IncidentMapping, Settings
from geo.incidents import InputFileError
from geo.pipeline import ingest

from .incident_files import ACLED_HEADER, GTD_HEADER, UCDP_HEADER, acled_row, gtd_row, ucdp_row, write_rows


def _balanced(result) -> None:
    for account in result.files:
        assert account.read == account.accepted + account.rejected, account


def test_acled_rows_map_onto_the_canonical_table(tmp_path):
    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [
        acled_row("PAK1", event_date="28 February 2025", civilian_targeting="Civilian targeting",
                  location="Akora Khattak", admin2="Nowshera", latitude=34.00337, longitude=72.12561, fatalities=6),
        acled_row("PAK2", time_precision=3, inter2=7, geo_precision=2),
    ])
    result = ingest([path])
    _balanced(result)
    first, second = result.incidents.iloc[0], result.incidents.iloc[1]
    assert first["incident_id"] == "acled:PAK1" and first["date"] == "2025-02-28"
    assert (first["district"], first["province"], first["tehsil"]) == ("Nowshera", "Khyber Pakhtunkhwa", "Nowshera")
    assert first["killed"] == 6 and first["target_category"] == "civilians"
    assert pd.isna(first["killed_civilians"])  # ACLED does not split fatalities
    assert second["date_precision"] == "month" and second["geo_precision"] == 2
    assert first["geocode_method"] == "source_coordinates"
    assert not result.incidents["synthetic"].any()


def test_ucdp_with_hxl_row_multiline_cells_and_an_older_layout(tmp_path):
    older = [c for c in UCDP_HEADER if c not in ("iso3", "side_a_dset_id", "side_b_dset_id")]
    hxl = ",".join("#" + c for c in older)
    path = tmp_path / "ged.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(older) + "\n" + hxl + "\n")
        row = ucdp_row("1001", source_article='"Dawn, 2 June"\nsecond line of the article')
        handle.write(",".join(_quote(row.get(c, "")) for c in older) + "\n")
        row = ucdp_row("1002", type_of_violence=3, side_a="TTP", side_b="Civilians", deaths_a=0, deaths_b=4,
                       deaths_civilians=4, best=4, latitude="", longitude="", where_coordinates="Bannu",
                       adm_1="Khyber Pakhtunkhwa", adm_2="Bannu", where_prec=3)
        handle.write(",".join(_quote(row.get(c, "")) for c in older) + "\n")
    result = ingest([path])
    _balanced(result)
    assert result.counts_by_reason == {"hxl_tag_row": 1}
    state, one_sided = result.incidents.iloc[0], result.incidents.iloc[1]
    assert (state["killed"], state["killed_security"], state["killed_militants"], state["killed_civilians"]) == (9, 3, 5, 1)
    assert state["district"] == "North Waziristan" and state["line_no"] == 3
    assert one_sided["line_no"] == 5  # the multi-line cell above takes two lines
    assert one_sided["perpetrator"] == "TTP" and one_sided["target_category"] == "civilians"
    assert one_sided["sides"] == "TTP – Civilians"
    # a state-based clash has two sides and no perpetrator (UCDP names none)
    assert state["sides"] == "Government of Pakistan – TTP" and pd.isna(state["perpetrator"])
    assert one_sided["geocode_method"] == "gazetteer" and one_sided["district"] == "Bannu"


def _quote(value: object) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def test_gtd_unknown_month_and_day_and_victim_split(tmp_path):
    path = write_rows(tmp_path / "gtd.csv", GTD_HEADER, [
        gtd_row("201903050001"),
        gtd_row("201900000002", imonth=0, iday=0, targtype1_txt="Private Citizens & Property", nkill=3, nkillter=0),
        gtd_row("201906000003", imonth=6, iday=0, specificity=4),
    ])
    result = ingest([path])
    _balanced(result)
    police, citizens, vague = (result.incidents.iloc[i] for i in range(3))
    assert (police["killed"], police["killed_security"], police["killed_militants"], police["injured"]) == (4, 3, 1, 7)
    assert (citizens["date"], citizens["date_precision"], citizens["killed_civilians"]) == ("2019-01-01", "year", 3)
    assert (vague["date"], vague["date_precision"], vague["geo_precision"]) == ("2019-06-01", "month", 3)


def test_every_bad_row_is_rejected_with_its_line_and_reason(tmp_path):
    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [
        acled_row("A1"),
        acled_row("A2", event_date="31 Feb 2025"),
        acled_row("A3", latitude=0, longitude=0),
        acled_row("A4", latitude=132.0),
        acled_row("A5", fatalities="several"),
        acled_row("A6", fatalities=-1),
        acled_row("A1"),
        acled_row("A8", latitude="", longitude="", location="", admin2=""),
        acled_row("A9", latitude="", longitude="", location="Xyzzy Qqq", admin2=""),
        acled_row("A10", latitude="", longitude="", location="Dasht", admin1="", admin2=""),
        acled_row("A11", latitude=70.60403, longitude=32.98527),
    ], extra_lines=["", "PAK,only,three"])
    result = ingest([path])
    _balanced(result)
    reasons = dict(zip(result.rejects["line_no"], result.rejects["reason"], strict=True))
    assert reasons == {3: "unparseable_date", 4: "zero_coordinates", 5: "coordinates_out_of_range",
                       6: "bad_number", 7: "bad_number", 8: "duplicate_id", 9: "missing_location",
                       10: "unknown_place", 11: "ambiguous_place", 13: "empty_row", 14: "malformed_row"}
    ambiguous = result.rejects[result.rejects["reason"] == "ambiguous_place"]["detail"].iloc[0]
    assert "Kech" in ambiguous and "Mastung" in ambiguous
    original = json.loads(result.rejects[result.rejects["line_no"] == 6]["original"].iloc[0])
    assert original["fatalities"] == "several"
    details = dict(zip(result.rejects["line_no"], result.rejects["detail"], strict=True))
    assert details[3] == "event_date=31 Feb 2025" and details[6] == "fatalities=several"
    assert details[5] == "lat=132.0 lon=70.60403" and details[8] == "source_id=A1"
    swapped = result.incidents[result.incidents["source_id"] == "A11"].iloc[0]
    assert swapped["coordinates_fixed"] == "swapped" and swapped["district"] == "Bannu"


def test_cp1252_files_are_read_and_the_encoding_recorded(tmp_path):
    path = write_rows(tmp_path / "gtd.csv", GTD_HEADER, [gtd_row("1", summary="café attack – 2019")],
                      encoding="cp1252")
    result = ingest([path])
    assert result.files[0].encoding == "cp1252"
    assert result.incidents["notes"].iloc[0] == "café attack – 2019"


def test_duplicate_ids_across_files_and_formats_are_told_apart(tmp_path):
    first = write_rows(tmp_path / "a.csv", ACLED_HEADER, [acled_row("X1")])
    second = write_rows(tmp_path / "b.csv", ACLED_HEADER, [acled_row("X1"), acled_row("X2")])
    gtd = write_rows(tmp_path / "g.csv", GTD_HEADER, [gtd_row("X1")])
    result = ingest([first, second, gtd])
    _balanced(result)
    assert result.rejects[["input_file", "reason"]].values.tolist() == [["b.csv", "duplicate_id"]]
    assert set(result.incidents["incident_id"]) == {"acled:X1", "acled:X2", "gtd:X1"}


def test_plain_csv_with_a_mapping_and_geocoded_place_names(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Date,Location,Province,Killed,Wounded,Victims\n"
                    "2025-03-04,Bannu,Khyber Pakhtunkhwa,18,,security forces\n"
                    "2025-03-02,Miranshah,,4,2,security_forces\n"
                    "2025-03-03,D.I. Khan,KP,,,\n", encoding="utf-8")
    mapping = IncidentMapping(source="think tank", synthetic=False, columns=(
        ("date", "Date"), ("place", "Location"), ("source_admin1", "Province"), ("killed", "Killed"),
        ("injured", "Wounded"), ("target_category", "Victims")))
    result = ingest([path], settings=dataclasses.replace(Settings(), incidents=mapping))
    _balanced(result)
    frame = result.incidents
    assert list(frame["district"]) == ["Bannu", "North Waziristan", "Dera Ismail Khan"]
    assert list(frame["geocode_method"]) == ["gazetteer"] * 3
    assert list(frame["target_category"]) == ["security_forces", "security_forces", "unknown"]
    assert frame["distance_to_border_km"].iloc[0] == pytest.approx(45.86, abs=0.1)  # Bannu
    assert list(frame["border_band"]) == ["25-50", "10-25", ">100"]  # D.I. Khan is ~130 km away
    assert frame["incident_id"].tolist() == ["think-tank:report.csv:2", "think-tank:report.csv:3",
                                             "think-tank:report.csv:4"]


def test_geojson_points(tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"date": "2025-01-02", "killed": 1},
         "geometry": {"type": "Point", "coordinates": [66.59361, 29.02663]}},
        {"type": "Feature", "properties": {"date": "2025-01-03", "place": "Turbat"}, "geometry": None},
        {"type": "Feature", "properties": {"date": "2025-01-04"},
         "geometry": {"type": "LineString", "coordinates": [[66, 29], [67, 30]]}},
    ]}))
    result = ingest([path])
    _balanced(result)
    assert list(result.incidents["district"]) == ["Kalat", "Kech"]
    assert result.rejects["reason"].tolist() == ["malformed_row"]


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage\x81\x8d", b"only_a_header\n"])
def test_unreadable_files_are_one_clear_error_or_nothing_lost(tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    try:
        result = ingest([path])
    except InputFileError as exc:
        assert "bad.csv" in str(exc)
    else:
        _balanced(result)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputFileError, match="cannot read"):
        ingest([tmp_path / "nope.csv"])


def test_files_with_the_same_name_are_accounted_separately(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_rows(tmp_path / "a" / "x.csv", ACLED_HEADER, [acled_row("P1"), acled_row("P2", fatalities="?")])
    second = write_rows(tmp_path / "b" / "x.csv", ACLED_HEADER, [acled_row("Q1")])
    result = ingest([first, second])
    assert [(f.read, f.accepted, f.rejected) for f in result.files] == [(2, 1, 1), (1, 1, 0)]


def test_a_row_with_only_its_district_is_placed_there(tmp_path):
    """No coordinates, no place, only admin2: geocoded to the district, with no
    match score (a column the reader lacks is typed from the start; the
    gazetteer's missing score must still fit it)."""
    alone = [acled_row("D1", latitude="", longitude="", location="", admin2="Peshawar")]
    result = ingest([write_rows(tmp_path / "district.csv", ACLED_HEADER, alone)])
    assert len(result.incidents) == 1 and pd.isna(result.incidents["geocode_score"].iloc[0])
    rows = [*alone, acled_row("D2", latitude="", longitude="", admin2="", location="Peshawar"), acled_row("D3")]
    result = ingest([write_rows(tmp_path / "districts.csv", ACLED_HEADER, rows)])
    assert len(result.incidents) == 3 and len(result.rejects) == 0
    by_id = result.incidents.set_index("source_id")
    assert by_id.loc["D1", "district"] == "Peshawar" and pd.isna(by_id.loc["D1", "geocode_score"])
    assert by_id.loc["D2", "geocode_score"] == 100.0 and by_id.loc["D3", "geocode_method"] == "source_coordinates"
    assert result.incidents["geocode_score"].dtype == "float64"


def test_incident_ids_join_the_source_slug_to_the_id_or_to_file_and_line():
    from geo.pipeline.ingest_stages import _incident_ids

    frame = pd.DataFrame({
        "source": pd.array(["ACLED", "UCDP GED", "ACLED", "Think tank", None], dtype="string"),
        "source_id": pd.array(["A-1", None, "A-2", None, "X"], dtype="string"),
        "input_file": ["a.csv", "u.csv", "a.csv", "t.csv", "x.csv"], "line_no": [2, 7, 3, 4, 5]},
        index=[10, 11, 12, 13, 14])
    ids = _incident_ids(frame)
    assert ids.tolist() == ["acled:A-1", "ucdp-ged:u.csv:7", "acled:A-2", "think-tank:t.csv:4", pd.NA]
    assert ids.dtype == "string" and ids.index.tolist() == [10, 11, 12, 13, 14]
