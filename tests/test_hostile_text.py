"""No input text ever reaches a template engine (Jinja, string.Template,
matplotlib mathtext, str.format on user text), and every CSV a run writes is
safe to open in a spreadsheet.

One `geo run` (in-process, through the CLI) of two plain incident files whose
NAMES are hostile (``{{7*7}}$x$%s.csv`` and ``=cmd|calc!A0.csv``), with
payloads planted in every text column and in the settings file's
``[incidents] source``. Rows have valid coordinates in KP and Balochistan (one
is geocoded from its place name) and dates in every month of 2024; one row per
file has a bad date, so that rejected.csv carries the hostile file names and
texts. The same files with plain words in place of the payloads run cleanly.

While the run goes, Jinja's compiler, ``string.Template`` and matplotlib's
mathtext parser are watched: none may ever see a payload. What the page does
with the texts in a browser is tested in tests/test_map_browser.py.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import shutil
import string
from pathlib import Path

import jinja2
import matplotlib.mathtext
import pytest
from click.testing import CliRunner

from geo.cli import cli

from .hostile import (
    BANNU,
    HEADER,
    HOSTILE_FILE_NAMES,
    KHYBER,
    NORTH_WAZIRISTAN,
    PAYLOADS,
    QUETTA,
    TELLTALES,
    TEXT_COLUMNS,
    marker_payload,
    short,
    spreadsheet_value,
    unsafe_cells,
    write_config,
    write_incident_csv,
)

INCIDENTS_BLOCK = re.compile(r'<script type="application/json" id="geo-incidents">(.*?)</script>', re.S)
CONFIG_BLOCK = re.compile(r'<script type="application/json" id="geo-map-config">(.*?)</script>', re.S)
MAP_LISTS = {  # incident column → the map's list of its distinct texts
    "place": "place_names", "notes": "note_texts", "source": "source_names", "event_type": "event_type_names",
    "perpetrator": "perpetrator_names", "source_id": "source_id",
}
GEOJSON_TEXT = ["source", "source_id", "place", "source_admin1", "source_admin2", "event_type", "perpetrator",
                "notes", "input_file"]
POINTS = [BANNU, NORTH_WAZIRISTAN, KHYBER, QUETTA]


def _suffix(number: int) -> str:
    """A row tag without digits (so that no ``49`` can come from it)."""
    return "row-" + "".join("abcdefghij"[int(d)] for d in str(number))


@dataclasses.dataclass
class HostileRun:
    folder: Path
    out: Path
    marker: Path
    payloads: list[str]
    config_source: str
    files: list[Path]
    accepted: dict[str, list[dict[str, str]]]  # file name → rows that must be accepted
    rejected: dict[str, list[dict[str, str]]]  # file name → rows that must be rejected
    result: object
    jinja_sources: list[str]
    string_templates: list[str]
    mathtext: list[str]


def _rows(payloads: list[str], first: int, count: int, tag: str) -> list[dict[str, object]]:
    """``count`` rows at the four points, a month apart, every text column hostile."""
    rows = []
    for i in range(first, first + count):
        lat, lon, _ = POINTS[i % len(POINTS)]
        row: dict[str, object] = {
            "date": f"2024-{1 + (i // len(POINTS)) % 12:02d}-{1 + i % 27:02d}",
            "date_precision": payloads[i % len(payloads)],
            "lat": round(lat + 0.001 * (i % 7), 5), "lon": round(lon + 0.001 * (i % 5), 5), "geo_precision": 1,
            "killed": i % 5, "injured": i % 3,
        }
        for k, column in enumerate(TEXT_COLUMNS):
            row[column] = payloads[(i + k) % len(payloads)]
        row["source_id"] = f"{row['source_id']} {tag}{_suffix(i)}"
        rows.append(row)
    return rows


def build_inputs(folder: Path, payloads: list[str], config_source: str,
                 names: list[str] = HOSTILE_FILE_NAMES) -> tuple[list[Path], Path, dict, dict]:
    """The two input files and the settings file; the rows each file must accept and reject."""
    first_rows = _rows(payloads, 0, 48, "A ")  # 12 months × 4 districts
    first_rows.append({  # geocoded by its place name only
        "source": payloads[1], "source_id": f"{payloads[2]} geocoded", "date": "2024-07-10",
        "date_precision": "day", "place": "Bannu", "source_admin1": "Khyber Pakhtunkhwa", "source_admin2": "Bannu",
        "event_type": payloads[3], "perpetrator": payloads[4], "target_category": payloads[5], "killed": 2,
        "notes": payloads[0]})
    first_bad = {**_rows(payloads, 7, 1, "A-bad ")[0], "date": "2024-13-45", "notes": payloads[0]}
    second_header = [c for c in HEADER if c != "source"]  # its rows take the source of the settings file
    second_rows = _rows(payloads, 3, 8, "B ")
    for row in second_rows:
        row.pop("source")
    second_bad = {**_rows(payloads, 11, 1, "B-bad ")[0], "date": "not a date"}
    second_bad.pop("source")
    files = [write_incident_csv(folder / names[0], [*first_rows, first_bad]),
             write_incident_csv(folder / names[1], [*second_rows, second_bad], header=second_header)]
    config = write_config(folder / "settings.toml", source=config_source)
    for row in second_rows:
        row["source"] = config_source
    accepted = {names[0]: first_rows, names[1]: second_rows}
    rejected = {names[0]: [first_bad], names[1]: [second_bad]}
    return files, config, accepted, rejected


def _run_watched(files: list[Path], config: Path, out: Path) -> tuple[object, list[str], list[str], list[str]]:
    """`geo run` with Jinja's compiler, string.Template and mathtext watched."""
    jinja_sources: list[str] = []
    string_templates: list[str] = []
    mathtext: list[str] = []
    compile_jinja = jinja2.Environment.compile
    template_init = string.Template.__init__
    parse_math = matplotlib.mathtext.MathTextParser.parse

    def watched_compile(self, source, *args, **kwargs):
        jinja_sources.append(source if isinstance(source, str) else repr(source))
        return compile_jinja(self, source, *args, **kwargs)

    def watched_template(self, template):
        string_templates.append(str(template))
        template_init(self, template)

    def watched_math(self, text, *args, **kwargs):
        mathtext.append(str(text))
        return parse_math(self, text, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(jinja2.Environment, "compile", watched_compile)
        patch.setattr(string.Template, "__init__", watched_template)
        patch.setattr(matplotlib.mathtext.MathTextParser, "parse", watched_math)
        result = CliRunner().invoke(cli, ["run", *map(str, files), "--out", str(out), "-q", "--config", str(config)])
    return result, jinja_sources, string_templates, mathtext


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    folder = tmp_path_factory.mktemp("hostile_text")
    marker = folder / "MARKER"
    payloads = [marker_payload(marker), *PAYLOADS]
    config_source = (f"{marker_payload(marker)} {{{{ 7*7 }}}} ${{7*7}} $\\frac{{1}}{{2}}$ %s %(x)s {{0}} "
                     "</script><b>bold</b> 'single' \"double\"")
    files, config, accepted, rejected = build_inputs(folder, payloads, config_source)
    out = folder / "out"
    result, jinja_sources, templates, mathtext = _run_watched(files, config, out)
    return HostileRun(folder, out, marker, payloads, config_source, files, accepted, rejected, result,
                      jinja_sources, templates, mathtext)


def _output(run: HostileRun, name: str) -> Path:
    path = run.out / name
    if not path.is_file():
        pytest.fail(f"{name} was not written; the run ended with exit code {run.result.exit_code}:\n{short(run.result)}")
    return path


def _expected(run: HostileRun, column: str) -> set[str]:
    if column == "input_file":
        return {name for name, rows in run.accepted.items() if rows}
    return {str(row[column]) for rows in run.accepted.values() for row in rows if row.get(column) not in (None, "")}


def _incident_columns(run: HostileRun) -> dict:
    match = INCIDENTS_BLOCK.search(_output(run, "map.html").read_text(encoding="utf-8"))
    assert match, "map.html has no geo-incidents JSON block"
    return json.loads(match.group(1))


# --- the tests ---------------------------------------------------------------------------------


def test_the_run_completes_and_no_payload_runs(hostile):
    result = hostile.result
    assert result.exception is None, f"{result.exception!r}\n{short(result)}"
    assert result.exit_code == 0, short(result)
    assert not hostile.marker.exists(), "a planted Jinja payload ran: the marker file was created"
    record = json.loads(_output(hostile, "run.json").read_text(encoding="utf-8"))
    assert record["counts"]["accepted"] == sum(len(rows) for rows in hostile.accepted.values())
    assert record["counts"]["rejected"] == 2
    assert {entry["file"] for entry in record["inputs"]} == set(HOSTILE_FILE_NAMES)


def test_no_input_text_reaches_a_template_engine(hostile):
    assert not hostile.marker.exists()
    planted = [*TELLTALES, str(hostile.marker), *HOSTILE_FILE_NAMES]
    jinja = [s for s in hostile.jinja_sources if any(t in s for t in planted)]
    assert not jinja, f"input text compiled as a Jinja template: {jinja[0][:300]!r}"
    templates = [s for s in hostile.string_templates if any(t in s for t in planted)]
    assert not templates, f"input text used as a string.Template: {templates[0][:300]!r}"
    maths = [s for s in hostile.mathtext if any(t in s for t in [*planted, "$x$"])]
    assert not maths, f"input text parsed as matplotlib mathtext: {maths[0][:300]!r}"
    assert hostile.result.exit_code == 0, short(hostile.result)  # everything was drawn while watched


def test_map_data_blocks_carry_the_literal_texts(hostile):
    data = _incident_columns(hostile)
    for column, key in MAP_LISTS.items():
        missing = _expected(hostile, column) - set(data[key])
        assert not missing, f"{key} lacks the literal text(s) {sorted(missing)[:3]}"
    assert hostile.config_source in data["source_names"]
    for payload in hostile.payloads:
        assert payload in data["note_texts"] and payload in data["place_names"], payload
    texts = [t for key in MAP_LISTS.values() for t in data[key]]
    assert not [t for t in texts if "49" in t], "a {{ 7*7 }} was evaluated to 49"


def test_map_config_block_carries_the_settings_source_literally(hostile):
    match = CONFIG_BLOCK.search(_output(hostile, "map.html").read_text(encoding="utf-8"))
    assert match, "map.html has no geo-map-config JSON block"
    config = json.loads(match.group(1))
    assert hostile.config_source in config["attribution"]
    types = {name for name, _ in config["types"]}
    assert types <= _expected(hostile, "event_type"), "legend types differ from the literal event types"


def test_raw_markup_never_appears_unescaped_in_the_page(hostile):
    page = _output(hostile, "map.html").read_text(encoding="utf-8")
    for planted in ("</script><script>window.__xss", "<img src=x onerror", "</script><b>bold</b>"):
        assert planted not in page, f"{planted!r} is in map.html as markup"


def test_incidents_geojson_carries_the_literal_texts(hostile):
    collection = json.loads(_output(hostile, "incidents.geojson").read_text(encoding="utf-8"))
    properties = [feature["properties"] for feature in collection["features"]]
    assert len(properties) == sum(len(rows) for rows in hostile.accepted.values())
    for column in GEOJSON_TEXT:
        found = {p[column] for p in properties if p.get(column) not in (None, "")}
        assert found == _expected(hostile, column), (
            f"{column}: missing {sorted(_expected(hostile, column) - found)[:3]}, "
            f"unexpected {sorted(found - _expected(hostile, column))[:3]}")
    assert {p["target_category"] for p in properties} <= {"civilians", "security_forces", "militants", "mixed",
                                                          "unknown"}
    assert {p["date_precision"] for p in properties} <= {"day", "week", "month", "year"}
    assert not [v for p in properties for c in GEOJSON_TEXT if isinstance(v := p.get(c), str) and "49" in v]


def test_map_png_is_written(hostile):
    assert _output(hostile, "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_written_csv_is_safe_in_a_spreadsheet(hostile):
    _output(hostile, "rejected.csv")
    written = sorted(p.name for p in hostile.out.glob("*.csv"))
    assert "rejected.csv" in written and any(n.startswith("summary_") for n in written), written
    unsafe = unsafe_cells(hostile.out)
    assert not unsafe, f"{len(unsafe)} cell(s) a spreadsheet would run, e.g. {unsafe[:3]}"


def test_rejected_csv_keeps_the_hostile_names_and_texts(hostile):
    with open(_output(hostile, "rejected.csv"), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {spreadsheet_value(row["input_file"]) for row in rows} == set(HOSTILE_FILE_NAMES)
    assert {row["reason"] for row in rows} == {"unparseable_date"}
    originals = [json.loads(spreadsheet_value(row["original"])) for row in rows]
    planted = {str(value) for rows in hostile.rejected.values() for row in rows for value in row.values()}
    kept = {str(value) for original in originals for value in original.values()}
    assert planted - {""} <= kept, f"rejected.csv lost {sorted(planted - kept)[:3]}"


def test_a_source_name_that_is_broken_mathtext_still_draws_the_maps(hostile, tmp_path):
    """`geo map` on the run's outputs with a source named ``$\\notacommand{x}$``
    (what a run of such a file writes): matplotlib must draw it as text, not
    parse it (mathtext would fail on the unknown command)."""
    _output(hostile, "run.json")
    import pandas as pd

    broken = "$\\notacommand{x}$"
    out = tmp_path / "redraw"
    shutil.copytree(hostile.out, out)
    incidents = pd.read_parquet(out / "incidents.parquet")
    incidents["source"] = incidents["source"].mask(incidents.index % 2 == 0, broken)
    incidents.to_parquet(out / "incidents.parquet")
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    record["attribution"] = f"{record['attribution']}, {broken}"
    (out / "run.json").write_text(json.dumps(record), encoding="utf-8")
    (out / "map.png").unlink()
    result = CliRunner().invoke(cli, ["map", str(out), "-q"])
    assert result.exit_code == 0, short(result)
    assert (out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = _incident_columns(dataclasses.replace(hostile, out=out))
    assert broken in data["source_names"]
