"""Output folders are replaced whole: never a mix of two runs, never a user's file lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.cli import cli
from geo.export.folder import OutputFolderError, seal, staged_folder

PLAIN_HEADER = "source,source_id,date,lat,lon,killed,notes\n"
# Forty incidents in four districts (Bannu, North Waziristan, Khyber, Quetta) over a year.
FORTY_ROWS = PLAIN_HEADER + "".join(
    f"test,{k},2024-{k % 12 + 1:02d}-{k % 27 + 1:02d},{lat},{lon},{k % 4},row {k}\n"
    for k, (lat, lon) in enumerate([(32.99, 70.60), (33.00, 70.10), (34.00, 71.20), (30.20, 67.00)] * 10))


def _fill(folder: Path, names: dict[str, str]) -> None:
    for name, text in names.items():
        (folder / name).write_text(text)


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_finished_stage_replaces_the_folder_whole_and_keeps_the_analysts_files(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        _fill(stage, {"a.csv": "old", "stale.csv": "old", "run.json": "{}"})
        seal(stage)
    (out / "project.qgz").write_text("analyst's project")
    (out / "notes").mkdir()
    (out / "notes" / "n.txt").write_text("kept")
    inode = (out / "project.qgz").stat().st_ino

    with staged_folder(out) as stage:
        _fill(stage, {"a.csv": "new", "run.json": "{}"})
        assert _entries(out) == {"a.csv", "stale.csv", "run.json", "project.qgz", "notes"}  # untouched meanwhile
        seal(stage)

    assert _entries(out) == {"a.csv", "run.json", "project.qgz", "notes"}  # stale output of the old run gone
    assert (out / "a.csv").read_text() == "new"
    assert (out / "project.qgz").stat().st_ino == inode  # the same file, linked, not copied
    assert (out / "notes" / "n.txt").read_text() == "kept"
    record = json.loads((out / "run.json").read_text())
    assert record["complete"] is True and record["outputs"] == ["a.csv", "run.json"]
    assert _entries(tmp_path) == {"out"}, "no staging folder left beside the output"


def test_a_failed_stage_leaves_the_previous_run_as_it_was(tmp_path):
    out = tmp_path / "out"
    with staged_folder(out) as stage:
        _fill(stage, {"a.csv": "old", "run.json": "{}"})
        seal(stage)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(ZeroDivisionError), staged_folder(out) as stage:
        _fill(stage, {"a.csv": "half"})
        1 / 0  # noqa: B018
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert _entries(tmp_path) == {"out"}


def test_a_folder_that_is_not_a_run_is_refused_not_replaced(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.docx").write_text("precious")
    with pytest.raises(OutputFolderError, match=r"holds files that are not a geo run's \(thesis.docx\)"):
        with staged_folder(home):
            pass
    assert (home / "thesis.docx").read_text() == "precious"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputFolderError, match="is a file, not a folder"):
        with staged_folder(a_file):
            pass


def test_staging_left_by_a_killed_run_is_removed_by_the_next(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".out.geo-staging-{int(dead.stdout)}-0123abcd"
    stale.mkdir()
    (stale / "half.gpkg").write_text("x")
    with staged_folder(tmp_path / "out") as stage:
        (stage / "run.json").write_text("{}")
    assert _entries(tmp_path) == {"out"}


@pytest.mark.parametrize(("args", "exit_code"), [
    (["--out", "{file}/sub"], 1),  # under a regular file
    (["--out", "{file}"], 2),  # a file: click's own check of the option, a usage error
])
def test_an_output_folder_that_cannot_be_made_is_one_error_line(tmp_path, args, exit_code):
    data = tmp_path / "in.csv"
    data.write_text(FORTY_ROWS)
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    result = CliRunner().invoke(cli, ["run", str(data), "-q", *[a.format(file=a_file) for a in args]])
    assert result.exit_code == exit_code, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("Error: ") and str(a_file) in lines[-1], result.output
    assert exit_code == 2 or len(lines) == 1
    assert exit_code == 2 or f"{a_file} is a file, not a folder" in lines[0]


def test_a_run_without_accepted_incidents_writes_its_record_and_says_why(tmp_path):
    data = tmp_path / "bad.csv"
    data.write_text(PLAIN_HEADER + "t,1,not a date,33.0,70.6,1,x\nt,2,2024-01-01,,,1,x\nt,3,2024-13-01,33,70,1,x\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(data), "--out", str(out), "-q"])
    assert result.exit_code == 1
    assert result.output.strip() == (f"Error: no incident accepted: read 3 = rejected 3 (unparseable_date 2, "
                                      f"missing_location 1); see {out / 'rejected.csv'}")
    record = json.loads((out / "run.json").read_text())
    assert record["complete"] is True and record["status"] == "no accepted incidents"
    assert record["counts"] == {"read": 3, "accepted": 0, "rejected": 3,
                                "rejected_by_reason": {"missing_location": 1, "unparseable_date": 2},
                                "events": 0, "linked_reports": 0, "reports_filtered_out": 0}
    assert {"districts.geojson", "border_bands.geojson", "boundaries.gpkg", "rejected.csv",
            "incidents.geojson", "incidents.parquet"} <= _entries(out)
    assert json.loads((out / "incidents.geojson").read_text())["features"] == []
    assert len((out / "rejected.csv").read_text().splitlines()) == 4


def _staging_files(parent: Path) -> int:
    return sum(len(list(p.iterdir())) for p in parent.glob(".out.geo-staging-*") if p.is_dir())


@pytest.mark.slow
def _processes_of(out: Path) -> list[int]:
    """The processes whose command line names ``out`` (a run's and its forked children's)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and str(out).encode() in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue  # ended meanwhile
    return found


def test_a_killed_run_leaves_the_previous_complete_run(tmp_path):
    """Kill `geo run` at several points of its writing: `--out` always holds
    the previous complete run, and the next run clears what the killed one left."""
    data = tmp_path / "forty.csv"
    data.write_text(FORTY_ROWS)
    config = tmp_path / "fast.toml"
    config.write_text("hotspot_permutations = 99\n")  # the folder, not the statistics, is under test
    out = tmp_path / "out"
    command = [sys.executable, "-m", "geo", "run", str(data), "--out", str(out), "-q", "--config", str(config)]
    subprocess.run(command, check=True, capture_output=True)
    previous = {p.name: p.read_bytes() for p in out.iterdir()}
    assert json.loads(previous["run.json"])["complete"] is True

    data.write_text(FORTY_ROWS.replace("row ", "second run "))  # a different run
    for files_written in (1, 12, 28):  # early, among the risk layers, at the maps
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if _staging_files(tmp_path) >= files_written:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.01)
        process.wait()
        assert process.returncode == -signal.SIGKILL, f"the run ended before {files_written} files were staged"
        assert {p.name: p.read_bytes() for p in out.iterdir()} == previous, f"killed at {files_written} files"
    # the killed runs' children (the brief, the density surfaces) end too, instead of waiting for ever
    deadline = time.monotonic() + 30
    while _processes_of(out) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_of(out) == [], "a killed run left processes behind"
    subprocess.run(command, check=True, capture_output=True)
    assert _entries(tmp_path) == {"forty.csv", "fast.toml", "out"}, "staging of the killed runs left behind"
    assert b"second run" in (out / "incidents.geojson").read_bytes()
    assert not [name for name in _entries(out) if name.startswith(".")]


def _full_disk(*args: object, **kwargs: object) -> None:
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_one_error_line_and_leaves_the_previous_run(tmp_path, monkeypatch):
    from tests.hostile import assert_one_line_error

    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["run", "--out", str(out), "-q"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr("geo.pipeline.shutil.copyfile", _full_disk)  # the boundary layers' copy, mid-run
    result = CliRunner().invoke(cli, ["run", "--out", str(out), "-q"])
    assert_one_line_error(result, str(out), "No space left on device", "left as it was")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left behind
    # geo report writes into a folder of its own: the same one line, naming it, and the folder's earlier
    # brief stays whole (its three files are put in place together, once all are written)
    brief = tmp_path / "brief"
    assert CliRunner().invoke(cli, ["report", str(out), "--out", str(brief), "--month", "2025-01", "-q"]).exit_code == 0
    earlier = {p.name: p.read_bytes() for p in brief.iterdir()}
    assert set(earlier) == {"report.html", "report.pdf", "tables.xlsx"}
    monkeypatch.setattr("geo.report.write_pdf", _full_disk)  # after tables.xlsx is written
    report = CliRunner().invoke(cli, ["report", str(out), "--out", str(brief), "-q"])
    assert_one_line_error(report, str(brief), "No space left on device")
    assert {p.name: p.read_bytes() for p in brief.iterdir()} == earlier  # no new file, nothing left aside


def test_only_disk_errors_become_an_error_line(tmp_path):
    import errno

    from geo.export.folder import disk_errors

    with pytest.raises(OutputFolderError, match="cannot write .*x.csv: No space left on device"):
        with disk_errors(tmp_path / "x.csv"):
            _full_disk()
    with pytest.raises(PermissionError):  # not the disk: a bug or a setting, with its traceback
        with disk_errors(tmp_path / "x.csv"):
            raise PermissionError(errno.EACCES, "Permission denied")
