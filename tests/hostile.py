"""Helpers of the hostile-input tests (tests/test_hostile_text.py and
tests/test_pipeline_fuzz.py): planted payloads, incident CSV writers, a fast
settings file, and the checks of the CLI's output contract."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from collections.abc import Iterable
from pathlib import Path

from click.testing import Result

from geo import config as geo_config

# Columns of a plain incident CSV (README, "Canonical incident table"); the text
# columns are where payloads are planted.
HEADER = ["source", "source_id", "date", "date_precision", "lat", "lon", "geo_precision", "place", "source_admin1",
          "source_admin2", "event_type", "perpetrator", "target_category", "killed", "killed_civilians",
          "killed_security", "killed_militants", "injured", "notes"]
TEXT_COLUMNS = ["source", "source_id", "place", "source_admin1", "source_admin2", "event_type", "perpetrator",
                "target_category", "notes"]

# Points inside the study area, (lat, lon, district): the four districts of the fixtures.
BANNU = (32.99, 70.60, "Bannu")
NORTH_WAZIRISTAN = (33.00, 70.10, "North Waziristan")
KHYBER = (34.00, 71.20, "Khyber")
QUETTA = (30.20, 67.00, "Quetta")
PESHAWAR = (34.00, 71.50, "Peshawar")
INSIDE = [BANNU, NORTH_WAZIRISTAN, KHYBER, QUETTA, PESHAWAR, (33.0, 70.6, "Bannu"), (30.2, 67.0, "Quetta")]
OUTSIDE = {  # (lat, lon) outside KP and Balochistan, but valid coordinates
    "sindh_hyderabad": (25.40, 68.37),
    "punjab_lahore": (31.55, 74.35),
    "afghanistan_kabul": (34.53, 69.17),
    "arabian_sea": (23.50, 64.00),
    "islamabad": (33.69, 73.06),
}
ON_BORDER = [  # on or within metres of the Pakistan–Afghanistan border line
    (34.1336, 71.0906),  # Torkham crossing
    (30.9036, 66.4110),  # Chaman crossing
    (29.3850, 60.8740),  # Pakistan–Afghanistan–Iran tripoint area
]


def marker_payload(marker: Path) -> str:
    """Jinja server-side template injection that would create ``marker``."""
    return "{{ lipsum.__globals__['os'].system('touch " + str(marker) + "') }}"


# Every payload that must come out as the same literal text (see the brief of
# tests/test_hostile_text.py). None starts or ends with white space (text
# cells are stripped on reading).
PAYLOADS = [
    "{{ 7*7 }}",
    "{% raw %}",
    '{{"x"}}',
    "${7*7}",
    "$\\frac{1}{2}$",
    "$x^2$",
    "%s %(x)s {0}",
    "`${alert(1)}`",
    "<img src=x onerror=alert(1)>",
    "</script><script>window.__xss=1</script>",
    "'single' \"double\" \\backslash",
    "=HYPERLINK(\"http://example.invalid\",\"click\")",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1)",
]
# Fragments that show a payload was handed to a template engine (or evaluated).
TELLTALES = ["7*7", "lipsum", "{% raw", "\\frac", "x^2", "%(x)s", "__xss", "alert(1)", "HYPERLINK"]
HOSTILE_FILE_NAMES = ["{{7*7}}$x$%s.csv", "=cmd|calc!A0.csv"]


def csv_field(value: object) -> str:
    """One CSV field, quoted when it holds a comma, a quote or any line break
    (the csv module leaves a lone ``\\r`` unquoted when lines end in ``\\n``)."""
    text = "" if value is None else str(value)
    if any(char in text for char in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def write_incident_csv(path: Path, rows: Iterable[dict[str, object]], header: list[str] = HEADER,
                       encoding: str = "utf-8", lineterminator: str = "\r\n", errors: str = "strict") -> Path:
    """A plain incident CSV with ``header``; each row gives some columns, the rest stay empty.

    ``encoding`` is a Python codec name: ``utf-8-sig`` writes a BOM, ``utf-16``
    a UTF-16 file with its BOM, ``utf-16-le`` one without."""
    lines = [",".join(csv_field(column) for column in header)]
    lines += [",".join(csv_field(row.get(column, "")) for column in header) for row in rows]
    with open(path, "w", newline="", encoding=encoding, errors=errors) as handle:
        handle.write("".join(line + lineterminator for line in lines))
    return path


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    escaped = []
    for char in text:
        if char == '"':
            escaped.append('\\"')
        elif char == "\\":
            escaped.append("\\\\")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def has_setting(name: str) -> bool:
    return name in {field.name for field in dataclasses.fields(geo_config.Settings)}


def write_config(path: Path, *, source: str | None = None, extra: str = "") -> Path:
    """A settings TOML that makes runs fast (99 Gi* permutations) where the
    ``hotspot_permutations`` setting exists, keeps one event per row
    (``link = false``), with an ``[incidents] source``."""
    lines = []
    if has_setting("hotspot_permutations"):
        lines.append("hotspot_permutations = 99")
    if has_setting("link"):
        # the fixtures plant payloads at the same few points and days in several sources: linking
        # would (rightly) merge them into events, and these checks count one feature per row
        lines.append("link = false")
    if extra:
        lines.append(extra)
    if source is not None:
        lines += ["[incidents]", f"source = {toml_string(source)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- the output contract ----------------------------------------------------------------------

COMPLETE_OUTPUTS = ("run.json", "incidents.geojson", "rejected.csv", "map.html")
NO_INCIDENT_OUTPUTS = ("run.json", "incidents.geojson", "rejected.csv", "districts.geojson", "border.geojson")


def short(result: Result, limit: int = 3000) -> str:
    """The output of a run and the end of any traceback, for assertion messages."""
    text = result.output[-limit:]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        text += "\n" + "".join(traceback.format_exception(*result.exc_info))[-limit:]
    return text


def lines_of(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.strip()]


def assert_one_line_error(result: Result, *named: str, only_line: bool = True) -> str:
    """Exit 1 through SystemExit with one ``Error: …`` line and no traceback;
    the line names each of ``named``. Returns the line. With ``only_line``
    false, other lines (warnings) may come before it."""
    assert isinstance(result.exception, SystemExit), f"not a clean exit: {result.exception!r}\n{short(result)}"
    assert result.exit_code == 1, f"exit code {result.exit_code}\n{short(result)}"
    assert "Traceback" not in result.output, short(result)
    lines = lines_of(result)
    assert lines and lines[-1].startswith("Error: "), short(result)
    assert len(lines) == 1 or not only_line, f"more than one line:\n{result.output}"
    for thing in named:
        assert thing in lines[-1], f"the error does not name {thing!r}: {lines[-1]}"
    return lines[-1]


def run_record(out: Path) -> dict:
    return json.loads((out / "run.json").read_text(encoding="utf-8"))


def assert_accounted(record: dict) -> None:
    counts = record["counts"]
    assert counts["read"] == counts["accepted"] + counts["rejected"], counts
    assert sum(counts.get("rejected_by_reason", {}).values()) == counts["rejected"], counts
    for entry in record["inputs"]:
        assert entry["read"] == entry["accepted"] + entry["rejected"], entry


def assert_complete(result: Result, out: Path) -> dict:
    """Exit 0 with complete outputs: run.json says ``complete``, the rows add up."""
    assert result.exception is None, f"{result.exception!r}\n{short(result)}"
    assert result.exit_code == 0, short(result)
    missing = [name for name in COMPLETE_OUTPUTS if not (out / name).is_file()]
    assert not missing, f"missing outputs {missing}"
    record = run_record(out)
    assert record.get("complete") is True, "run.json does not say complete"
    assert_accounted(record)
    assert record["counts"]["accepted"] > 0, "exit 0 with no accepted incident"
    collection = json.loads((out / "incidents.geojson").read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == record["counts"]["accepted"]
    return record


def assert_no_incidents(result: Result, out: Path, only_line: bool = True) -> dict:
    """Zero accepted: boundary layers, empty but valid incident layers,
    rejected.csv and run.json written, then one error line with the top reasons."""
    line = assert_one_line_error(result, only_line=only_line)
    missing = [name for name in NO_INCIDENT_OUTPUTS if not (out / name).is_file()]
    assert not missing, f"zero accepted incidents but missing {missing}; error: {line}"
    record = run_record(out)
    assert_accounted(record)
    assert record["counts"]["accepted"] == 0
    collection = json.loads((out / "incidents.geojson").read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and collection["features"] == []
    with open(out / "rejected.csv", newline="", encoding="utf-8") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == record["counts"]["rejected"]
    reasons = record["counts"].get("rejected_by_reason", {})
    if reasons:
        top = max(reasons.items(), key=lambda item: (item[1], item[0]))[0]
        assert top in line or max(reasons.values()) == min(reasons.values()), \
            f"the error does not give the top reject reason {top}: {line}"
    return record


# --- spreadsheet safety (OWASP CSV injection) -------------------------------------------------

_NUMBER = re.compile(r"^-\s*(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^-(inf|nan)$", re.IGNORECASE)


def dangerous_cell(cell: str) -> bool:
    """Whether a spreadsheet would take ``cell`` for a formula (OWASP rule)."""
    if not cell:
        return False
    if cell[0] in "=+@\t\r":
        return True
    return cell[0] == "-" and not _NUMBER.match(cell)


def unsafe_cells(folder: Path) -> list[tuple[str, int, int, str]]:
    """Every cell of every CSV in ``folder`` that a spreadsheet would run:
    (file, row, column, cell)."""
    found = []
    for path in sorted(folder.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row_number, row in enumerate(csv.reader(handle)):
                found += [(path.name, row_number, column, cell) for column, cell in enumerate(row)
                          if dangerous_cell(cell)]
    return found


def spreadsheet_value(cell: str) -> str:
    """The cell as its writer meant it: without the ``'`` that neutralises a formula."""
    if cell.startswith("'") and len(cell) > 1 and (cell[1] in "=+-@\t\r"):
        return cell[1:]
    return cell
