"""Files as real people download or share them (../shared/DATA_SOURCES.md,
"Real exports"): the real UCDP GED excerpt as exported, ACLED saved through
Excel with text interaction labels, GTD subsets without ids, think-tank tables
with day-first dates and spreadsheet headers. Each is read with no row lost."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geo.cli import cli
from geo.config import IncidentMapping, Settings, SettingsError, load_settings
from geo.incidents import InputFileError
from geo.pipeline import ingest

from .incident_files import ACLED_HEADER, acled_row, write_rows
from .real_data import UCDP_EXCERPT, real_export

BANNU = (32.98527, 70.60403)
QUETTA = (30.18414, 67.00141)
# The 25 columns of a GTD subset as researchers pass it on (no eventid,
# country_txt, specificity or summary), saved by pandas: counts read 6.0.
GTD_SUBSET_HEADER = (
    "iyear imonth iday provstate city latitude longitude vicinity crit1 crit2 crit3 doubtterr success "
    "suicide attacktype1_txt targtype1_txt targsubtype1_txt target1 natlty1_txt gname weaptype1_txt nkill "
    "nkillter nwound property"
).split()


def _balanced(result) -> None:
    for account in result.files:
        assert account.read == account.accepted + account.rejected, account


def _write(path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, lineterminator="\r\n")  # as Excel writes
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_the_real_ucdp_excerpt_is_read_whole(tmp_path):
    """588 events exactly as exported (CRLF, HXL row, ``1990-10-04 00:00:00.000``)."""
    path = real_export(UCDP_EXCERPT, tmp_path)
    result = CliRunner().invoke(cli, ["ingest", str(path), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text(encoding="utf-8"))
    assert record["counts"] == {"read": 589, "accepted": 588, "rejected": 1,
                                "rejected_by_reason": {"hxl_tag_row": 1}, "events": 588, "linked_reports": 0,
                                "reports_filtered_out": 0}
    assert record["inputs"][0]["format"] == "ucdp"
    # CC BY 4.0: the credit UCDP asks for travels with the data
    assert "UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program" in record["attribution"]
    incidents = pd.read_parquet(tmp_path / "out" / "incidents.parquet")
    raw = pd.read_csv(path, skiprows=[1], dtype=str, keep_default_na=False)
    assert incidents["date"].tolist() == raw["date_start"].str.slice(0, 10).tolist()
    assert incidents["source_id"].tolist() == raw["id"].tolist()
    assert incidents["killed"].sum() == raw["best"].astype(int).sum()


def test_acled_saved_through_excel_with_text_interaction_labels(tmp_path):
    rows = [
        acled_row("PAK1", event_date="06 September 2024", inter1="Rebel group", inter2="Civilians"),
        acled_row("PAK2", event_date="6-Sep-24", inter1="State forces", inter2="Rebel group"),
        acled_row("PAK3", event_date="2024-09-06", inter2="State forces",
                  notes='Militants attacked a post, "at night", killing 2; tags: a, b'),
        acled_row("PAK4", event_date="6 Sept 2024", inter2="External/Other forces"),
        acled_row("PAK5", event_date="2024-09-06", inter2=7),  # an older export's code
    ]
    result = ingest([write_rows(tmp_path / "acled.csv", ACLED_HEADER, rows, encoding="utf-8-sig")])
    _balanced(result)
    incidents = result.incidents.set_index("source_id")
    assert (incidents["date"] == "2024-09-06").all()
    assert incidents["target_category"].to_dict() == {
        "PAK1": "civilians", "PAK2": "militants", "PAK3": "security_forces", "PAK4": "security_forces",
        "PAK5": "civilians"}
    assert incidents.loc["PAK3", "notes"] == 'Militants attacked a post, "at night", killing 2; tags: a, b'


def test_a_gtd_subset_without_eventid_is_still_gtd(tmp_path):
    rows = [
        [2014, 12, 16, "Khyber Pakhtunkhwa", "Peshawar", 34.0080, 71.5785, 0, 1, 1, 1, 0, 1, 1,
         "Armed Assault", "Educational Institution", "School/University", "Army Public School", "Pakistan",
         "Tehrik-i-Taliban Pakistan (TTP)", "Firearms", "156.0", "6.0", "1,234.0", ""],
        [2019, 3, 0, "Balochistan", "Quetta", *QUETTA, 0, 1, 1, 1, 0, 1, 0,
         "Bombing/Explosion", "Police", "Police Security Forces/Officers", "police", "Pakistan", "Unknown",
         "Explosives", "4.0", "", "7.0", ""],
        [2019, 0, 0, "Balochistan", "Quetta", *QUETTA, 0, 1, 1, 1, 0, 1, 0,
         "Bombing/Explosion", "Police", "", "", "", "Unknown", "Explosives", "", "", "", ""],
        [2019, 5, 2, "Balochistan", "Quetta", *QUETTA, 0, 1, 1, 1, 0, 1, 0,
         "Bombing/Explosion", "Police", "", "", "", "Unknown", "Explosives", "2.5", "", "", ""],
    ]
    path = _write(tmp_path / "gtd_pakistan_subset.csv", GTD_SUBSET_HEADER, rows)
    result = ingest([path])
    _balanced(result)
    assert result.files[0].format == "gtd"
    assert len(result.incidents) == 3 and result.counts_by_reason == {"bad_number": 1}
    first, second, third = (result.incidents.iloc[i] for i in range(3))
    # no eventid: the id is the file and line (documented)
    assert first["incident_id"] == "gtd:gtd_pakistan_subset.csv:2" and pd.isna(first["source_id"])
    assert (first["date"], first["killed"], first["killed_militants"], first["injured"]) == ("2014-12-16", 156, 6, 1234)
    assert first["killed_civilians"] == 150 and first["district"] == "Peshawar"
    assert (second["date"], second["date_precision"]) == ("2019-03-01", "month")
    assert pd.isna(second["killed_militants"]) and second["killed_security"] == 4 and second["injured"] == 7
    assert (third["date"], third["date_precision"]) == ("2019-01-01", "year") and pd.isna(third["killed"])
    assert "nkill=2.5" in result.rejects["detail"].iloc[0]


def _think_tank_rows(dates: list[str]) -> list[list[object]]:
    return [[date, "Bannu" if i % 2 else "Quetta", "Bannu" if i % 2 else "Quetta",
             "Khyber Pakhtunkhwa" if i % 2 else "Balochistan", i, 1, "" if i == 2 else 3, f"report {i}"]
            for i, date in enumerate(dates)]


THINK_TANK_HEADER = ["Date", "Location", "District", "Province", "Killed (Civ)", "Killed (SF)", "Injured",
                     "Details"]
THINK_TANK_CONFIG = """
[incidents]
source = "monthly security report"
[incidents.columns]
place = "location"
source_admin2 = " DISTRICT "
source_admin1 = "province"
killed_civilians = "Killed (Civ)"
killed_security = "killed (sf)"
notes = "details"
"""


def _think_tank(tmp_path: Path, dates: list[str], extra: str = "") -> tuple[Path, Settings]:
    path = _write(tmp_path / "security_report.csv", THINK_TANK_HEADER, _think_tank_rows(dates), encoding="utf-8-sig")
    config = tmp_path / "settings.toml"
    config.write_text(THINK_TANK_CONFIG.replace("[incidents.columns]", extra + "[incidents.columns]"),
                      encoding="utf-8")
    return path, load_settings(config)


def test_a_think_tank_table_with_day_first_dates_and_spreadsheet_headers(tmp_path):
    path, settings = _think_tank(tmp_path, ["03/04/2025", "13/04/2025", "30/04/2025", "1/5/2025"])
    result = ingest([path], settings=settings)
    _balanced(result)
    incidents = result.incidents
    assert incidents["date"].tolist() == ["2025-04-03", "2025-04-13", "2025-04-30", "2025-05-01"]
    assert incidents["source"].unique().tolist() == ["monthly security report"]
    assert incidents["killed_civilians"].tolist() == [0, 1, 2, 3] and incidents["killed_security"].eq(1).all()
    assert incidents["district"].tolist() == ["Quetta", "Bannu", "Quetta", "Bannu"]
    assert incidents["geocode_method"].eq("gazetteer").all()  # no coordinates: geocoded from the place
    assert incidents["notes"].tolist() == [f"report {i}" for i in range(4)]


def test_month_first_dates_are_told_by_the_values(tmp_path):
    path, settings = _think_tank(tmp_path, ["04/03/2025", "04/13/2025", "12/31/2024"])
    result = ingest([path], settings=settings)
    assert result.incidents["date"].tolist() == ["2025-04-03", "2025-04-13", "2024-12-31"]


@pytest.mark.parametrize(("dates", "words"), [
    (["03/04/2025", "05/06/2025"], ["'Date'", "03/04/2025", "--date-format", "%d/%m/%Y", "%m/%d/%Y"]),
    (["13/04/2025", "04/13/2025"], ["'Date'", "mixes", "13/04/2025", "04/13/2025", "--date-format"]),
])
def test_ambiguous_or_mixed_numeric_dates_stop_with_one_line(tmp_path, dates, words):
    path, _ = _think_tank(tmp_path, dates)
    config = tmp_path / "settings.toml"
    result = CliRunner().invoke(cli, ["ingest", str(path), "--out", str(tmp_path / "out"), "-q",
                                      "--config", str(config)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(path) in lines[0], result.output
    assert all(w in lines[0] for w in words), lines[0]
    assert not (tmp_path / "out").exists()


def test_date_format_from_the_command_line_or_the_settings(tmp_path):
    path, _ = _think_tank(tmp_path, ["03/04/2025", "05/06/2025"])
    config = tmp_path / "settings.toml"
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["ingest", str(path), "--out", str(out), "-q", "--config", str(config),
                                      "--date-format", "%m/%d/%Y"])
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(out / "incidents.parquet")["date"].tolist() == ["2025-03-04", "2025-05-06"]
    _, settings = _think_tank(tmp_path, ["03/04/2025", "05/06/2025"], extra='date_format = "%d/%m/%Y"\n')
    assert settings.incidents.date_format == "%d/%m/%Y"
    assert ingest([path], settings=settings).incidents["date"].tolist() == ["2025-04-03", "2025-06-05"]
    bad = CliRunner().invoke(cli, ["ingest", str(path), "--out", str(out), "-q", "--date-format", "%d/%q/%Y"])
    assert bad.exit_code == 1 and "--date-format" in bad.output and "%q" in bad.output, bad.output


def test_a_date_mapped_from_year_month_and_day_columns(tmp_path):
    path = _write(tmp_path / "by_parts.csv", ["Year", "Month", "Day", "lat", "lon", "Killed"], [
        [2024, 7, 9, *BANNU, "3.0"], [2024, 7, 0, *BANNU, ""], [2024, 13, 1, *BANNU, 1], [1850, 1, 1, *BANNU, 1],
    ])
    config = tmp_path / "settings.toml"
    config.write_text('[incidents.columns]\ndate = ["Year", "Month", "Day"]\nkilled = "killed"\n', encoding="utf-8")
    settings = load_settings(config)
    assert settings.incidents.as_dict()["date"] == ("Year", "Month", "Day")
    result = ingest([path], settings=settings)
    _balanced(result)
    assert result.incidents["date"].tolist() == ["2024-07-09", "2024-07-01"]
    assert result.incidents["date_precision"].tolist() == ["day", "month"]
    assert result.incidents["killed"].tolist()[0] == 3 and pd.isna(result.incidents["killed"].iloc[1])
    assert result.counts_by_reason == {"unparseable_date": 1, "implausible_date": 1}
    config.write_text('[incidents.columns]\ndate = ["Year", "Month"]\n', encoding="utf-8")
    with pytest.raises(SettingsError, match=r"incidents\.columns\.date .*three column names"):
        load_settings(config)
    missing = IncidentMapping(columns=(("date", ("Year", "Month", "Dag")),))
    with pytest.raises(InputFileError, match=r"'Dag' \(mapped to date"):
        ingest([path], settings=Settings(incidents=missing))


def test_headers_match_ignoring_case_spaces_and_underscores(tmp_path):
    header = [" Event Date", "EVENT_ID_CNTY", "Fatalities ", "Latitude", "longitude", "Sub Event Type", "Inter2"]
    path = _write(tmp_path / "acled_renamed.csv", header, [
        ["2024-03-01", "PAK9", 2, *BANNU, "Suicide bomb", "State forces"]])
    result = ingest([path])
    assert result.files[0].format == "acled"
    row = result.incidents.iloc[0]
    assert (row["source_id"], row["killed"], row["event_type"], row["target_category"]) == (
        "PAK9", 2, "Suicide bomb", "security_forces")


@pytest.mark.parametrize(("header", "row", "fmt"), [
    # ACLED subset without ids or coordinates: geocoded from location/admin2
    (["event_date", "fatalities", "admin1", "admin2", "location"],
     ["2024-03-01", 1, "Khyber Pakhtunkhwa", "Bannu", "Bannu"], "acled"),
    # UCDP subset without id, where_prec or coordinates
    (["date_start", "best", "where_coordinates", "adm_1", "adm_2"],
     ["2004-03-01 00:00:00.000", 3, "Quetta", "Balochistan province", "Quetta district"], "ucdp"),
])
def test_subsets_of_a_format_are_told_by_their_columns(tmp_path, header, row, fmt):
    result = ingest([_write(tmp_path / "subset.csv", header, [row])])
    assert result.files[0].format == fmt and len(result.incidents) == 1, result.counts_by_reason
    assert result.incidents["geocode_method"].iloc[0] == "gazetteer"


def test_a_forced_format_names_its_missing_core_columns(tmp_path):
    path = _write(tmp_path / "plain.csv", ["date", "lat", "lon"], [["2024-01-01", *BANNU]])
    with pytest.raises(InputFileError, match=r"not a gtd file, missing the column\(s\) iday, imonth, iyear"):
        ingest([path], fmt="gtd")


def test_ingest_with_no_row_accepted_writes_its_record_then_one_error_line(tmp_path):
    """As a real export misread would: every row rejected is not a success."""
    path = _write(tmp_path / "dates.csv", ["date", "lat", "lon"], [["someday", *BANNU], ["", *QUETTA]])
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["ingest", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == (f"Error: no incident accepted: read 2 = rejected 2 (unparseable_date 2); "
                                     f"see {out / 'rejected.csv'}")
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "no accepted incidents" and record["complete"] is True
    assert len(pd.read_csv(out / "rejected.csv")) == 2
