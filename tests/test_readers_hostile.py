"""Hostile and odd input files: every one is read, or stops with one clear error
line naming the file; no row is ever lost (read = accepted + rejected)."""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from geo.cli import cli
from geo.config import IncidentMapping, Settings, SettingsError, load_settings
from geo.incidents import InputFileError
from geo.incidents import normalise_table as _normalise
from geo.incidents import read_table as _read
from geo.pipeline import ingest
from geo.incidents.csvtable import read_csv_table
from geo.incidents.normalise import DateRules, parse_dates
from geo.incidents.schema import Rejects

from .incident_files import ACLED_HEADER, GTD_HEADER, acled_row, gtd_row, write_rows
from .real_data import UCDP_EXCERPT, real_export

BANNU = (32.98527, 70.60403)


def _balanced(result) -> None:
    for account in result.files:
        assert account.read == account.accepted + account.rejected, account


def _one_line_error(paths: list[Path], name: str, *words: str, **kwargs: object) -> str:
    """Ingest must stop with an InputFileError of one line naming the file (and ``words``)."""
    with pytest.raises(InputFileError) as caught:
        ingest(paths, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and name in message, message
    for word in words:
        assert word in message, message
    return message


def _plain_csv(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding=encoding)
    return path


# --- 1. encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(("codec", "bom", "expected"), [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8"),
    ("utf-16-le", b"\xff\xfe", "utf-16"),
    ("utf-16-be", b"\xfe\xff", "utf-16"),
    ("cp1252", b"", "cp1252"),
])
def test_encodings_are_detected_and_recorded(tmp_path, codec, bom, expected):
    rows = [gtd_row("7", summary="café attack – Peshawar")]
    text = write_rows(tmp_path / "utf8.csv", GTD_HEADER, rows).read_text(encoding="utf-8")
    path = tmp_path / f"gtd_{codec}.csv"
    path.write_bytes(bom + text.encode(codec))
    result = ingest([path])
    _balanced(result)
    assert result.files[0].encoding == expected
    assert result.files[0].accepted == 1
    assert result.incidents["notes"].iloc[0] == "café attack – Peshawar"


def test_excel_unicode_text_is_utf16_with_tabs(tmp_path):
    path = tmp_path / "report.txt"
    rows = ["date\tlat\tlon\tkilled\tnotes", f"2024-05-01\t{BANNU[0]}\t{BANNU[1]}\t3\tŞhamsi’s report"]
    path.write_bytes("\r\n".join(rows).encode("utf-16"))  # Python writes the BOM, as Excel does
    result = ingest([path])
    _balanced(result)
    assert (result.files[0].encoding, result.files[0].accepted) == ("utf-16", 1)
    assert result.incidents["notes"].iloc[0] == "Şhamsi’s report"


def _xlsx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return out.getvalue()


@pytest.mark.parametrize(("content", "words"), [
    (_xlsx_bytes(), ("zip",)),
    (b"date,place\n2024-01-01,Ban\x00nu\n", ("NUL",)),
    ("date,place\n2024-01-01,Bannu\n".encode("utf-16-le"), ("NUL",)),  # UTF-16 without a BOM
    (b"date,place\n2024-01-01,\x81\x8d\x8f\x90\n", ("cp1252",)),  # neither UTF-8 nor cp1252
    (b"\xff\xfe" + b"d\x00a\x00t", ("UTF-16",)),  # a BOM, then an odd number of bytes
    ("date,place\n2024-01-01,Bannu\n".encode("utf-32"), ("UTF-32",)),
])
def test_binary_or_undecodable_files_are_one_error_line(tmp_path, content, words):
    path = tmp_path / "weird.csv"
    path.write_bytes(content)
    _one_line_error([path], "weird.csv", *words)


def test_the_command_line_prints_one_line_for_a_workbook(tmp_path):
    path = tmp_path / "incidents.xlsx"
    path.write_bytes(_xlsx_bytes())
    result = CliRunner().invoke(cli, ["ingest", str(path), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "incidents.xlsx" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


# --- 2. fields of any length ----------------------------------------------------------------


def test_a_three_megabyte_note_is_read_and_lines_stay_physical(tmp_path):
    note = ("long report line\n" * 200_000)[:3_000_000]  # 3 MB with line breaks inside
    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [
        acled_row("L1"), acled_row("L2", notes=note), acled_row("L3"), acled_row("L4", fatalities="x"),
    ])
    result = ingest([path])
    _balanced(result)
    assert result.files[0].read == 4
    assert len(result.incidents["notes"].iloc[1]) == len(note)
    lines = dict(zip(result.incidents["source_id"], result.incidents["line_no"], strict=True))
    breaks = note.count("\n")
    assert lines == {"L1": 2, "L2": 3, "L3": 4 + breaks}
    assert result.rejects["line_no"].tolist() == [5 + breaks]


def test_a_three_megabyte_field_without_line_breaks(tmp_path):
    notes = ["x" * 5, "x" * 3_000_000, "x" * 5]  # one row longer than Arrow's 1 MB block
    path = _plain_csv(tmp_path / "big.csv", "date,lat,lon,notes",
                      [f"2024-01-0{k},{BANNU[0]},{BANNU[1]},{note}" for k, note in enumerate(notes, start=1)])
    raw = read_csv_table(path, Rejects())
    assert raw.rows_read == 3 and raw.frame["line_no"].tolist() == [2, 3, 4]
    assert raw.frame["notes"].str.len().tolist() == [5, 3_000_000, 5]


# --- 3. dates -------------------------------------------------------------------------------


def test_time_parts_are_read_as_their_day_and_implausible_dates_are_rejected(tmp_path):
    today = datetime.date.today()
    tomorrow = today + datetime.timedelta(days=1)
    dates = ["1990-10-04 00:00:00.000", "2024-01-05T10:00:00Z", "2024-01-05 10:00", "2300-01-01",
             "0001-01-01", tomorrow.isoformat(), "1899-12-31", today.isoformat(), "2024-02-30"]
    path = _plain_csv(tmp_path / "dates.csv", "date,lat,lon",
                      [f"{d},{BANNU[0]},{BANNU[1]}" for d in dates])
    result = ingest([path])
    _balanced(result)
    assert result.incidents["date"].tolist() == ["1990-10-04", "2024-01-05", "2024-01-05", today.isoformat()]
    reasons = dict(zip(result.rejects["line_no"], result.rejects["reason"], strict=True))
    assert reasons == {5: "implausible_date", 6: "implausible_date", 7: "implausible_date",
                       8: "implausible_date", 10: "unparseable_date"}
    details = dict(zip(result.rejects["line_no"], result.rejects["detail"], strict=True))
    assert details[5] == "date=2300-01-01" and details[6] == "date=0001-01-01"


def test_dates_of_a_column_in_several_arrow_chunks():
    # Columns of large files come from Arrow in chunks (here two).
    chunks = pa.chunked_array([["2024-01-05 10:00", "x"], ["28 February 2025", "2300-01-01"]])
    values = pd.Series(pd.array(chunks, dtype=pd.StringDtype("pyarrow")))
    dates, bad, implausible = parse_dates(values)
    assert dates.tolist() == ["2024-01-05", pd.NA, "2025-02-28", "2300-01-01"]
    assert bad.tolist() == [False, True, False, False] and implausible.tolist() == [False, False, False, True]


def test_gtd_dates_from_parts_out_of_range_are_implausible(tmp_path):
    year = datetime.date.today().year
    path = write_rows(tmp_path / "gtd.csv", GTD_HEADER, [
        gtd_row("1", iyear=2300), gtd_row("2", iyear=1850), gtd_row("3", iyear=0, imonth=0, iday=0),
        gtd_row("4", iyear=year, imonth=1, iday=1), gtd_row("5", iyear=2019, imonth=2, iday=30),
    ])
    result = ingest([path])
    _balanced(result)
    assert result.incidents["source_id"].tolist() == ["4"]
    assert result.rejects["reason"].tolist() == ["implausible_date"] * 3 + ["unparseable_date"]
    assert result.rejects["detail"].iloc[0] == "iyear=2300; imonth=3; iday=5"


def test_real_ucdp_export_dates_with_times(tmp_path):
    path = real_export(UCDP_EXCERPT, tmp_path)
    result = ingest([path])
    _balanced(result)
    account = result.files[0]
    assert (account.format, account.read) == ("ucdp", 589)  # 588 events + the HXL row
    reasons = result.counts_by_reason
    assert reasons.pop("hxl_tag_row") == 1
    assert "unparseable_date" not in reasons and "implausible_date" not in reasons
    assert account.accepted == 588  # measured: every event is accepted
    assert result.incidents["date"].between("1989-01-01", "2006-12-31").all()


def test_earliest_year_rejects_older_dates(tmp_path):
    path = real_export(UCDP_EXCERPT, tmp_path)
    rejects = Rejects()
    raw = _read(path, rejects)
    _, normalised = _normalise(raw, path, "auto", IncidentMapping(), DateRules(earliest_year=2000))
    implausible = normalised.problems["implausible_date"]
    years = raw.frame["date_start"].str.slice(0, 4).astype(int)
    assert implausible.tolist() == (years < 2000).tolist() and implausible.any() and not implausible.all()
    assert normalised.details["implausible_date"][implausible].str.startswith("date_start=19").all()


def test_earliest_year_setting(tmp_path):
    path = tmp_path / "geo.toml"
    path.write_text("earliest_year = 1990\n")
    assert load_settings(path).earliest_year == 1990
    assert Settings().earliest_year == 1900
    for bad in (True, 0, datetime.date.today().year + 1, "1990"):
        with pytest.raises(SettingsError, match="earliest_year"):
            Settings(earliest_year=bad)


def test_earliest_year_reaches_the_ingest(tmp_path):
    data = tmp_path / "old.csv"
    data.write_text("source,source_id,date,lat,lon,killed\nt,1,1950-01-01,33,70.6,1\nt,2,2024-01-01,33,70.6,1\n")
    result = ingest([data], settings=Settings(earliest_year=1990))
    assert result.counts_by_reason == {"implausible_date": 1}
    assert result.incidents["source_id"].tolist() == ["2"]
    assert ingest([data]).counts_by_reason == {}  # 1950 is plausible by default


# --- 4. mapped columns ----------------------------------------------------------------------


def test_a_mapped_column_missing_from_the_header_is_an_error(tmp_path):
    path = _plain_csv(tmp_path / "report.csv", "When,Location", ["2025-03-04,Bannu"])
    mapping = IncidentMapping(source="report", columns=(("date", "Date"), ("place", "Location")))
    settings = dataclasses.replace(Settings(), incidents=mapping)
    _one_line_error([path], "report.csv", "'Date'", "mapped to date", "When, Location", settings=settings)


def test_mapped_columns_match_ignoring_case_and_spaces(tmp_path):
    path = _plain_csv(tmp_path / "report.csv", " DATE ,location , Killed", ["2025-03-04,Bannu,3"])
    mapping = IncidentMapping(source="report",
                              columns=(("date", "Date"), ("killed", "killed"), ("place", "Location")))
    result = ingest([path], settings=dataclasses.replace(Settings(), incidents=mapping))
    _balanced(result)
    row = result.incidents.iloc[0]
    assert (row["date"], row["district"], row["killed"]) == ("2025-03-04", "Bannu", 3)


# --- 5. GeoJSON -----------------------------------------------------------------------------


def test_json_nested_too_deeply_is_one_error(tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000)
    _one_line_error([path], "deep.geojson", "too deeply nested")


@pytest.mark.parametrize("content", ['[{"type": "Feature"}]', '{"type": "Feature", "properties": {}}', "42"])
def test_json_that_is_not_a_feature_collection_is_one_error(tmp_path, content):
    path = tmp_path / "thing.geojson"
    path.write_text(content)
    _one_line_error([path], "thing.geojson", "FeatureCollection")


def test_odd_features_are_rejected_and_nested_properties_kept_as_json(tmp_path):
    point = {"type": "Point", "coordinates": [BANNU[1], BANNU[0]]}
    path = tmp_path / "odd.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        "not a feature",
        {"type": "Feature", "properties": ["date", "2025-01-02"], "geometry": point},
        {"type": "Feature", "properties": "2025-01-02", "geometry": point},
        {"type": "Feature", "properties": 7, "geometry": point},
        {"type": "Feature", "geometry": point,
         "properties": {"date": "2025-01-02", "notes": {"a": [1, 2]}, "event_type": ["x", "y"]}},
        None,
    ]}))
    result = ingest([path])
    _balanced(result)
    assert result.files[0].read == 6
    details = dict(zip(result.rejects["line_no"], result.rejects["detail"], strict=True))
    assert set(result.rejects["reason"]) == {"malformed_row"}
    assert details == {1: "feature is a string, not an object", 2: "properties is a list, not an object",
                       3: "properties is a string, not an object", 4: "properties is a number, not an object",
                       6: "feature is null, not an object"}
    row = result.incidents.iloc[0]
    assert (row["notes"], row["event_type"]) == ('{"a": [1, 2]}', '["x", "y"]')


# --- 6. settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ('border_band_edges_km = ["a"]', ("border_band_edges_km", "list of numbers", "['a']")),
    ("border_band_edges_km = [0, true]", ("border_band_edges_km", "list of numbers", "[0, True]")),
    ("border_band_edges_km = 10", ("border_band_edges_km", "list of numbers", "10")),
    ('map_max_incidents = "x"', ("map_max_incidents", "int", "'x'")),
    ("map_max_incidents = 2.5", ("map_max_incidents", "int", "2.5")),
    ("map_max_incidents = true", ("map_max_incidents", "int", "True")),
    ("kde_bandwidth_km = true", ("kde_bandwidth_km", "float", "True")),
    ("kde_bandwidth_km = nan", ("kde_bandwidth_km", "float", "nan")),
    ("boundaries_dir = 5", ("boundaries_dir", "str", "5")),
    ("kde_kernel = 1", ("kde_kernel", "str", "1")),
    ("earliest_year = 1950.0", ("earliest_year", "int", "1950.0")),
    ("[incidents]\nsource = 5", ("incidents.source", "str", "5")),
    ('[incidents]\nsynthetic = "yes"', ("incidents.synthetic", "bool", "'yes'")),
    ("[incidents.columns]\ndate = 3", ("incidents.columns.date", "str", "3")),
    ("incidents = 3", ("[incidents]", "table", "3")),
    ("[risk_weights]\ntrend = true", ("risk_weights.trend", "float", "True")),
])
def test_ill_typed_settings_name_key_type_and_value(tmp_path, text, words):
    path = tmp_path / "geo.toml"
    path.write_text(text + "\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message and "geo.toml" in message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(("text", "words"), [
    # found by a hostile sweep: each crashed with a traceback or exhausted memory
    ("kde_cell_km = 0.0001", ("kde_cell_km", "at least 0.5", "0.0001")),
    ("kde_bandwidth_km = 1e9", ("kde_bandwidth_km", "at most 100", "1000000000.0")),
    ("hotspot_permutations = 0", ("hotspot_permutations", "99 to 99,999", "0")),
    ("hotspot_permutations = -5", ("hotspot_permutations", "99 to 99,999", "-5")),
    ('equal_area_crs = "garbage"', ("equal_area_crs", "not a CRS", "'garbage'")),
    ('equal_area_crs = "EPSG:4326"', ("equal_area_crs", "projected CRS in metres", "'EPSG:4326'")),
])
def test_out_of_range_settings_are_one_line_through_the_cli(tmp_path, text, words):
    config = tmp_path / "geo.toml"
    config.write_text(text + "\n")
    data = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("PAK1")])
    result = CliRunner().invoke(cli, ["run", str(data), "--out", str(tmp_path / "out"), "-q",
                                      "--config", str(config)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert all(word in lines[0] for word in words), lines[0]
    assert not (tmp_path / "out").exists()


def test_a_quote_never_closed_is_one_error_not_lost_rows(tmp_path):
    """Arrow would read every line after the open quote into one note."""
    lines = ["source,source_id,date,lat,lon,place,killed,notes",
             *(f"t,{i},2024-03-0{1 + i},{BANNU[0]},{BANNU[1]},Bannu,1,ok" for i in range(6))]
    path = tmp_path / "open_quote.csv"
    path.write_text("\n".join([*lines[:4], 't,UQ,2024-03-03,32.99,70.6,Bannu,1,"never closed', *lines[4:]]) + "\n")
    with pytest.raises(InputFileError, match=r"open_quote\.csv: the quoted field that opens on line 5 is never closed"):
        ingest([path])
    closed = tmp_path / "closed.csv"  # a quoted note over two lines, and a stray quote in a field, are fine
    closed.write_text("\n".join([*lines[:4], 't,Q2,2024-03-03,32.99,70.6,Bannu,1,"two\nlines"',
                                  't,Q3,2024-03-04,32.99,70.6,Bannu,1,a "quoted" word', *lines[4:]]) + "\n")
    result = ingest([closed])
    assert (result.files[0].read, len(result.incidents)) == (8, 8)
    assert result.incidents.set_index("source_id").loc["Q2", "notes"] == "two\nlines"
    assert result.incidents["line_no"].tolist() == [2, 3, 4, 5, 7, 8, 9, 10]


def test_column_names_equal_but_for_case_are_refused(tmp_path):
    path = tmp_path / "two_dates.csv"
    path.write_text("Date,date,lat,lon\n2024-01-01,1999-01-01,32.99,70.6\n")
    with pytest.raises(InputFileError, match="repeated column names"):
        ingest([path])


# --- 7. paths that are not readable files ---------------------------------------------------


def test_a_directory_is_one_error(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    _one_line_error([folder], "folder.csv", "directory")


def test_a_missing_file_is_one_error(tmp_path):
    _one_line_error([tmp_path / "nope.geojson"], "nope.geojson", "cannot read")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_one_error(tmp_path):
    path = write_rows(tmp_path / "locked.csv", ACLED_HEADER, [acled_row("A1")])
    path.chmod(0)
    try:
        _one_line_error([path], "locked.csv", "cannot read")
    finally:
        path.chmod(0o644)


def test_a_permission_error_is_one_error(tmp_path, monkeypatch):
    # The same path as chmod 000, also when the tests run as root.
    path = write_rows(tmp_path / "locked.csv", ACLED_HEADER, [acled_row("A1")])

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    _one_line_error([path], "locked.csv", "cannot read", "Permission denied")


@pytest.mark.parametrize("content", [b"", b"  \r\n\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_files_are_one_error(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    _one_line_error([path], "empty.csv", "empty")


@pytest.mark.parametrize("content", [",".join(ACLED_HEADER), ",".join(ACLED_HEADER) + "\r\n", "date,place\n"])
def test_a_header_without_rows_reads_nothing(tmp_path, content):
    path = tmp_path / "header.csv"
    path.write_text(content)
    result = ingest([path])
    assert [(f.read, f.accepted, f.rejected) for f in result.files] == [(0, 0, 0)]
    assert result.incidents.empty and result.rejects.empty


@pytest.mark.parametrize("values", [
    ["2024-01-05", None, "2023-12-31", " 2024-02-29 ", "2100-01-01", "1850-06-30"],  # Arrow reads them all
    ["2024-01-05", ""], ["2023-02-29", "2024-01-01"], ["2024-1-5"], ["2024-01-05 10:00"],  # the patterns do
    [None, None], [],
])
def test_plain_iso_dates_read_as_the_patterns_read_them(values, monkeypatch):
    from geo.incidents import normalise

    text = pd.Series(values, dtype="string", index=range(3, 3 + len(values)))
    fast = normalise.parse_dates(text)
    monkeypatch.setattr(normalise, "_plain_iso_days", lambda column: None)  # the patterns alone
    slow = normalise.parse_dates(text)
    pd.testing.assert_series_equal(fast[0], slow[0])
    assert fast[1].tolist() == slow[1].tolist() and fast[2].tolist() == slow[2].tolist()
