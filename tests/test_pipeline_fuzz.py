"""The whole pipeline under hostile input: `geo run` (in-process, through the
CLI) ends in complete outputs or in one error line, never in a traceback.

`test_whole_pipeline_fuzz`: Hypothesis writes small plain incident files (0–60
rows; dates with gaps, far-future and ancient values; points inside, outside,
on the border of and far from the study area; hostile strings in every text
column; UTF-8, UTF-8 with BOM, UTF-16 with BOM or cp1252) and runs each. Every
case ends either

* with exit 0 and complete outputs (run.json says ``complete``; incidents.geojson,
  rejected.csv and map.html are there; read = accepted + rejected), or
* with exit 1 through SystemExit and a last output line ``Error: …``, no
  traceback; when the run got as far as reading, zero accepted incidents still
  leave the boundary layers, empty incident layers, rejected.csv and run.json.

Runs use 99 Gi* permutations where the ``hotspot_permutations`` setting exists;
each unit level's distances to the border are read from the side table
``boundaries/unit_geometry_metrics.csv`` as in every run, and every stage runs
in full for every case.
Set GEO_FUZZ_EXAMPLES to change the number of generated cases (explicit
examples always run); shrinking is off to keep a failing run bounded.

The other tests pin the CLI's error contract: one line naming the thing that is
wrong, exit 1, no traceback.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

from geo.cli import cli

from .hostile import (
    BANNU,
    HEADER,
    INSIDE,
    KHYBER,
    NORTH_WAZIRISTAN,
    ON_BORDER,
    OUTSIDE,
    PAYLOADS,
    QUETTA,
    assert_complete,
    assert_no_incidents,
    assert_one_line_error,
    lines_of,
    marker_payload,
    short,
    write_config,
    write_incident_csv,
)

FUZZ_EXAMPLES = int(os.environ.get("GEO_FUZZ_EXAMPLES", "16"))  # ~60 s in all with the 7 explicit cases
MARKER = "<<marker>>"  # replaced by a Jinja payload that would create the test's marker file
# utf-8-sig: with a BOM; utf-16: with its BOM; utf-16-le: without (refused or read, never a traceback)
ENCODING_WEIGHTS = ["utf-8", "cp1252", "utf-8-sig", "utf-16", "utf-8", "cp1252", "utf-8-sig", "utf-16", "utf-16-le"]
HOSTILE = [*PAYLOADS, MARKER, "$\\notacommand{x}$", "{{ ''.__class__.__mro__ }}", "{x!r:>{y}}", "%(missing)d",
           "\u202eevil\u202c", "null", "NaN", "None", "#tag", "\ufeffbom", "a\nb", "a\r\nb", "\"", ",",
           "x" * 300]
ODD_DATES = ["2100-03-01", "2300-01-01", "0001-01-01", "9999-12-31", "1900-02-29", "2024-02-30", "1970-01-01",
             "2024-1-5", "5 March 2024", "05-Mar-24", "2024-06-15T10:00:00", "", "yesterday", "-2024-01-01"]
PLACES = ["Bannu", "Quetta", "Miranshah", "Peshawar", "Khyber", "Landi Kotal", "Xyzzy", "Karachi", "Kabul"]
HEADERS = [
    HEADER,
    [c for c in HEADER if c != "source"],
    ["date", "lat", "lon", "place", "killed", "notes"],
    ["source_id", "date", "place", "source_admin2", "killed"],  # place names only
]


# --- the generated files ------------------------------------------------------------------------
#
# Hypothesis draws a seed per case and the case is built from it, so that each
# of the few cases a bounded run affords differs in every respect (a nested
# strategy spends small budgets on near-copies of one case).

ALL_MONTHS = [(year, month) for year in (2023, 2024) for month in range(1, 13)]
WINDOWS = [None, None, None, None, ("2010-01-01", "2010-12-31"), ("2024-03-01", "2024-05-31"), ("2024-01-01", None),
           (None, "2024-06-30"), ("2023-07-01", "2024-06-30")]
TEXT_COLUMNS = ["source", "source_admin1", "source_admin2", "event_type", "perpetrator", "target_category", "notes"]
CODE_POINTS = [(0x20, 0x7E), (0x01, 0x1F), (0xA0, 0x2FF), (0x600, 0x6FF), (0x2000, 0x206F), (0x100, 0xD7FF),
               (0xE000, 0xFFFD), (0x10000, 0x10FFFF)]


def random_text(rnd: random.Random) -> str:
    """A short text of any code points but NUL and lone surrogates."""
    chars = []
    for _ in range(rnd.randint(1, 16)):
        low, high = rnd.choice(CODE_POINTS)
        chars.append(chr(rnd.randint(low, high)))
    return "".join(chars)


def text_cell(rnd: random.Random) -> str:
    kind = rnd.randrange(8)
    if kind < 2:
        return ""
    if kind < 5:
        return rnd.choice(HOSTILE)
    if kind < 7:
        return random_text(rnd)
    return rnd.choice(PLACES)


def location(rnd: random.Random) -> tuple[object, object, str]:
    """(lat, lon, place): inside, outside, on the border, degenerate, or a name only."""
    kind = rnd.choice(["inside"] * 6 + ["outside", "border", "zero", "range", "swapped", "name", "garbage"])
    if kind == "inside":
        lat, lon, district = rnd.choice(INSIDE)
        return (round(lat + rnd.uniform(-0.05, 0.05), 5), round(lon + rnd.uniform(-0.05, 0.05), 5),
                rnd.choice([district, ""]))
    if kind == "outside":
        return (*rnd.choice(sorted(OUTSIDE.values())), "")
    if kind == "border":
        return (*rnd.choice(ON_BORDER), "")
    if kind == "zero":
        return rnd.choice([(0, 0, ""), ("0.0", "0", ""), ("-0", "0.000", "")])
    if kind == "range":
        return rnd.choice([(95.0, 70.0, ""), (33.0, 200.0, ""), (-91.0, -181.0, ""), ("1e309", 70, "")])
    if kind == "swapped":
        lat, lon, _ = rnd.choice(INSIDE)
        return lon, lat, ""
    if kind == "name":
        return "", "", rnd.choice([*PLACES, *HOSTILE[:4]])
    return rnd.choice([("abc", "70", ""), ("nan", "inf", ""), ("33,5", "70,6", ""), ("", "70.6", "")])


def random_row(rnd: random.Random, months: list[tuple[int, int]], number: int) -> dict[str, object]:
    if rnd.randrange(10) == 0:
        date = rnd.choice(ODD_DATES)
    else:
        year, month = rnd.choice(months)
        date = f"{year:04d}-{month:02d}-{rnd.randint(1, 28):02d}"
    lat, lon, place = location(rnd)
    killed = rnd.choice([rnd.randint(0, 40), rnd.randint(0, 5), "", rnd.choice(["-1", "2.5", "many", "1e309"])])
    row: dict[str, object] = {
        "date": date, "lat": lat, "lon": lon, "place": place or text_cell(rnd), "killed": killed,
        "source_id": f"F{number}" if rnd.randrange(3) else text_cell(rnd),
        "date_precision": rnd.choice(["day", "week", "month", "year", "", text_cell(rnd)]),
        "geo_precision": rnd.choice(["", "1", "2", "3", "0", "7", "x"]),
        "injured": rnd.choice(["", rnd.randint(0, 9)]),
        "killed_civilians": rnd.choice(["", rnd.randint(0, 9)]),
    }
    for column in TEXT_COLUMNS:
        row[column] = text_cell(rnd)
    return row


def make_case(seed: int) -> dict[str, object]:
    """A case: rows, header, encoding, line ends and an optional --start/--end window."""
    rnd = random.Random(seed)
    months = rnd.sample(ALL_MONTHS, rnd.randint(1, len(ALL_MONTHS)))  # with gaps
    count = rnd.choice([0, 1, 2, rnd.randint(3, 20), rnd.randint(20, 60), rnd.randint(20, 60)])
    return {
        "name": f"seed {seed}",
        "rows": [random_row(rnd, months, number) for number in range(count)],
        "header": rnd.choice(HEADERS),
        "encoding": rnd.choice(ENCODING_WEIGHTS),
        "lineterminator": rnd.choice(["\r\n", "\n"]),
        "window": rnd.choice(WINDOWS),
        "expect": None,
    }


incident_files = st.integers(min_value=0, max_value=2**32 - 1).map(make_case)


def _case(name: str, case_rows: list[dict[str, object]], expect: str | None = None, **options: object) -> dict:
    return {"name": name, "rows": case_rows, "header": HEADER, "encoding": "utf-8", "lineterminator": "\r\n",
            "window": None, "expect": expect, **options}


def _row(number: int, point: tuple, date: str, killed: object = 1, **values: object) -> dict[str, object]:
    lat, lon = point[0], point[1]
    district = point[2] if len(point) > 2 else ""
    return {"source": "test feed", "source_id": f"X{number}", "date": date, "date_precision": "day", "lat": lat,
            "lon": lon, "geo_precision": 1, "place": district or "somewhere", "source_admin2": district,
            "event_type": ("IED attack", "armed clash", "targeted killing")[number % 3], "perpetrator": "unknown",
            "target_category": "civilians", "killed": killed, "notes": f"row {number}", **values}


FOUR_DISTRICTS = [BANNU, NORTH_WAZIRISTAN, KHYBER, QUETTA]
FORTY = [_row(n, FOUR_DISTRICTS[n % 4], f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}", killed=n % 5) for n in range(40)]
HEADER_ONLY = _case("header only", [], expect="no_incidents")
ONE_ROW = _case("one row", [_row(0, BANNU, "2024-06-15", killed=2)], expect="complete")
TWO_ROWS = _case("two rows", [_row(0, BANNU, "2024-03-02"), _row(1, QUETTA, "2024-09-20", killed=4)],
                 expect="complete")
FORTY_ROWS = _case("forty rows in four districts", FORTY, expect="complete")
ALL_OUTSIDE = _case("all points outside the study area",
                    [_row(n, point, f"2024-{1 + n:02d}-10") for n, point in enumerate(sorted(OUTSIDE.values()))])
MISTYPED_2100 = _case("one mistyped 2100-03-01 among many rows",
                      [*FORTY[:30], _row(99, KHYBER, "2100-03-01", killed=3)])
EMPTY_MONTH = _case("a period with an empty month", [r for r in FORTY if r["date"][5:7] != "06"], expect="complete")


# --- running and checking one case --------------------------------------------------------------


def _write_case(case: dict, folder: Path, marker: Path) -> Path:
    payload = marker_payload(marker)
    case_rows = [{k: str(v).replace(MARKER, payload) for k, v in row.items()} for row in case["rows"]]
    return write_incident_csv(folder / "incidents.csv", case_rows, header=list(case["header"]),
                              encoding=case["encoding"], lineterminator=case["lineterminator"],
                              errors="replace" if case["encoding"] == "cp1252" else "strict")


def _window_args(window: tuple[str | None, str | None] | None) -> list[str]:
    if window is None:
        return []
    start, end = window
    return [*(["--start", start] if start else []), *(["--end", end] if end else [])]


def run_case(case: dict, root: Path, marker: Path, config: Path, log: list[str] | None = None) -> str:
    """Run one case and check its outcome; returns ``complete``, ``no_incidents`` or ``error``."""
    folder = Path(tempfile.mkdtemp(dir=root))
    try:
        path = _write_case(case, folder, marker)
        out = folder / "out"
        result = CliRunner().invoke(cli, ["run", str(path), "--out", str(out), "-q", "--config", str(config),
                                          *_window_args(case["window"])])
        outcome = check_outcome(result, out, case)
        if log is not None:
            last = lines_of(result)[-1] if lines_of(result) else ""
            log.append(f"{case['name']}: {len(case['rows'])} rows, {case['encoding']}, window {case['window']}"
                       f" -> {outcome}{': ' + last[:160] if outcome != 'complete' else ''}")
        return outcome
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_outcome(result, out: Path, case: dict) -> str:
    label = f"case {case['name']!r} ({len(case['rows'])} rows, {case['encoding']}, window {case['window']})"
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{label}: an exception escaped the CLI: {result.exception!r}\n{short(result)}"
    if result.exit_code == 0:
        outcome = "complete"
        record = assert_complete(result, out)
    else:
        assert result.exit_code == 1, f"{label}: exit code {result.exit_code}\n{short(result)}"
        assert isinstance(result.exception, SystemExit), label
        assert "Traceback" not in result.output, f"{label}:\n{short(result)}"
        lines = lines_of(result)
        assert lines and lines[-1].startswith("Error: "), f"{label}: no error line\n{short(result)}"
        if (out / "run.json").exists():
            outcome = "no_incidents"
            record = assert_no_incidents(result, out, only_line=False)
        else:
            outcome, record = "error", None
    if record is not None:
        assert record["counts"]["read"] == len(case["rows"]), f"{label}: rows read {record['counts']}"
    if case["expect"] is not None:
        assert outcome == case["expect"], f"{label}: expected {case['expect']}, got {outcome}\n{short(result)}"
    return outcome


# --- the fuzz test -------------------------------------------------------------------------------


def test_whole_pipeline_fuzz(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    config = write_config(tmp_path / "fast.toml")
    outcomes: Counter[str] = Counter()
    log: list[str] = []

    @settings(derandomize=True, max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], print_blob=False)
    @given(case=incident_files)
    @example(case=HEADER_ONLY)
    @example(case=ONE_ROW)
    @example(case=TWO_ROWS)
    @example(case=FORTY_ROWS)
    @example(case=ALL_OUTSIDE)
    @example(case=MISTYPED_2100)
    @example(case=EMPTY_MONTH)
    def whole_pipeline(case: dict) -> None:
        outcomes["cases"] += 1
        outcomes[run_case(case, tmp_path, marker, config, log)] += 1
        assert not marker.exists(), "a planted Jinja payload ran"

    try:
        whole_pipeline()
    finally:
        print(f"\npipeline fuzz: {outcomes['cases']} cases ({FUZZ_EXAMPLES} generated + 7 explicit at most): "
              f"{outcomes['complete']} complete, {outcomes['no_incidents']} without incidents, "
              f"{outcomes['error']} one-line errors")
        print("\n".join(log))
    assert outcomes["cases"] >= 7


# --- explicit cases: --start/--end --------------------------------------------------------------


@pytest.fixture(scope="module")
def fast_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_config(tmp_path_factory.mktemp("config") / "fast.toml")


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    return write_incident_csv(tmp_path / "incidents.csv", FORTY)


def _run(*args: object) -> object:
    return CliRunner().invoke(cli, ["run", *map(str, args)])


def test_an_empty_window_ends_complete_or_in_one_error_line(tmp_path, valid_file, fast_config):
    out = tmp_path / "out"
    result = _run(valid_file, "--out", out, "-q", "--config", fast_config, "--start", "2010-01-01",
                  "--end", "2010-12-31")
    check_outcome(result, out, _case("empty window 2010 on 2024 data", FORTY))


# --- explicit cases: the CLI error contract -------------------------------------------------------


def test_out_under_a_regular_file_is_one_error_line(tmp_path, valid_file, fast_config):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    result = _run(valid_file, "--out", blocker / "out", "-q", "--config", fast_config)
    assert_one_line_error(result, "not-a-folder")


def test_out_that_is_a_regular_file_is_refused_without_a_traceback(tmp_path, valid_file, fast_config):
    """A usage error (exit 2, click's check of --out) or one error line (exit 1); the file is kept."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    result = _run(valid_file, "--out", blocker, "-q", "--config", fast_config)
    if result.exit_code == 2:
        assert "Traceback" not in result.output and "not-a-folder" in lines_of(result)[-1], short(result)
    else:
        assert_one_line_error(result, "not-a-folder")
    assert blocker.read_text() == "a file\n"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders")
def test_out_in_a_read_only_folder_is_one_error_line(tmp_path, valid_file, fast_config):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = _run(valid_file, "--out", locked / "out", "-q", "--config", fast_config)
    finally:
        locked.chmod(0o755)
    assert_one_line_error(result, "locked")


def test_a_wrong_typed_setting_is_one_error_line(tmp_path, valid_file):
    config = write_config(tmp_path / "bad.toml", extra='map_max_incidents = "x"')
    result = _run(valid_file, "--out", tmp_path / "out", "-q", "--config", config)
    assert_one_line_error(result, "map_max_incidents")


def test_a_mapped_column_missing_is_one_error_line(tmp_path, valid_file):
    config = write_config(tmp_path / "columns.toml", extra='[incidents.columns]\ndate = "Datum"')
    result = _run(valid_file, "--out", tmp_path / "out", "-q", "--config", config)
    assert_one_line_error(result, "Datum")


def test_a_geojson_nested_too_deep_is_one_error_line(tmp_path, fast_config):
    deep = tmp_path / "deep.geojson"
    depth = 100_000
    deep.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"notes": '
                    + "[" * depth + "]" * depth + '}, "geometry": {"type": "Point", "coordinates": [70.6, 33.0]}}]}',
                    encoding="utf-8")
    result = _run(deep, "--out", tmp_path / "out", "-q", "--config", fast_config)
    assert_one_line_error(result, "deep.geojson")


@pytest.mark.parametrize("document", [
    {"type": "Feature", "properties": {"date": "2024-01-01"}, "geometry": {"type": "Point", "coordinates": [70.6, 33]}},
    [{"type": "Feature"}],
    {"type": "FeatureCollection", "features": {"0": {}}},
    {"type": "Point", "coordinates": [70.6, 33.0]},
    42,
    None,
    "FeatureCollection",
], ids=["feature", "list", "features-not-a-list", "geometry", "number", "null", "string"])
def test_a_geojson_that_is_not_a_feature_collection_is_one_error_line(tmp_path, fast_config, document):
    path = tmp_path / "shapes.geojson"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = _run(path, "--out", tmp_path / "out", "-q", "--config", fast_config)
    assert_one_line_error(result, "shapes.geojson")


def test_a_utf16_file_without_byte_order_mark_is_one_error_line(tmp_path, fast_config):
    path = write_incident_csv(tmp_path / "wide.csv", FORTY, encoding="utf-16-le")
    result = _run(path, "--out", tmp_path / "out", "-q", "--config", fast_config)
    assert_one_line_error(result, "wide.csv")


def test_a_utf16_file_with_byte_order_mark_is_read_or_one_error_line(tmp_path, fast_config):
    """Excel's "Unicode text": read whole, or refused in one line naming the file."""
    path = write_incident_csv(tmp_path / "wide.csv", FORTY, encoding="utf-16")
    out = tmp_path / "out"
    result = _run(path, "--out", out, "-q", "--config", fast_config)
    if result.exit_code == 0:
        record = assert_complete(result, out)
        assert record["counts"]["accepted"] == len(FORTY)
    else:
        assert_one_line_error(result, "wide.csv")


def test_zero_accepted_incidents_still_write_the_run_record(tmp_path, fast_config):
    path = write_incident_csv(tmp_path / "bad.csv", [{**row, "date": "not a date"} for row in FORTY[:5]])
    out = tmp_path / "out"
    result = _run(path, "--out", out, "-q", "--config", fast_config)
    record = assert_no_incidents(result, out)
    assert record["counts"] == {"read": 5, "accepted": 0, "rejected": 5,
                                "rejected_by_reason": {"unparseable_date": 5},
                                "events": 0, "linked_reports": 0, "reports_filtered_out": 0}
    assert "unparseable_date" in lines_of(result)[-1]
