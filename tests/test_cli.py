"""The command line: registration, exit codes, outputs of `geo run`."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from geo.cli import cli


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_every_command_is_registered():
    assert set(cli.commands) == {"boundaries", "ingest", "run", "map", "synthetic", "report", "compare"}
    assert set(cli.commands["boundaries"].commands) == {"build", "check", "info"}


def test_help_and_version(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0 and "geo boundaries build" in result.output
    assert runner.invoke(cli, ["--version"]).output.startswith("geo, version ")


def test_boundaries_info_reports_the_layers(runner):
    result = runner.invoke(cli, ["boundaries", "info"])
    assert result.exit_code == 0, result.output
    assert re.search(r"districts\s+72 features", result.output)
    assert re.search(r"districts_pre2022\s+69 features", result.output)
    assert "loading all layers took" in result.output


def test_run_writes_layers_and_maps(sample_run_dir):
    names = {p.name for p in sample_run_dir.iterdir()}
    assert {"districts.geojson", "border_bands.geojson", "boundaries.gpkg", "map.html", "map.png",
            "report.html", "tables.xlsx"} <= names  # and report.pdf where Pango is (tests/test_report.py)
    assert not [n for n in names if n.startswith(".")], "temporary files left behind"


def test_bad_config_is_a_one_line_error(runner, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("no_such_setting = 1\n")
    result = runner.invoke(cli, ["run", "--out", str(tmp_path / "o"), "--config", str(config)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: unknown setting(s) no_such_setting")
    assert "Traceback" not in result.output


def test_missing_layer_file_is_a_one_line_error(runner, tmp_path):
    config = tmp_path / "geo.toml"
    config.write_text(f'boundaries_dir = "{tmp_path / "empty"}"\n')
    result = runner.invoke(cli, ["boundaries", "info", "--config", str(config)])
    assert result.exit_code == 1
    assert "run `make boundaries`" in result.output


def test_usage_errors_exit_2(runner):
    assert runner.invoke(cli, ["run", "--nope"]).exit_code == 2


def test_a_period_that_ends_before_it_starts_is_the_same_usage_error_in_run_and_report(runner, sample_run_dir,
                                                                                       tmp_path):
    reversed_period = ["--start", "2024-05-01", "--end", "2024-01-01"]
    for arguments in (["run", "--out", str(tmp_path / "run"), "-q"], ["report", str(sample_run_dir),
                                                                       "--out", str(tmp_path / "brief"), "-q"]):
        result = runner.invoke(cli, [*arguments, *reversed_period])
        assert result.exit_code == 2, result.output
        assert "--start 2024-05-01 is after --end 2024-01-01" in result.output
    assert not (tmp_path / "run").exists() and not (tmp_path / "brief").exists()


def test_python_dash_m_geo_runs_the_cli():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "geo", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "geo boundaries build" in result.stdout


def test_the_console_script_ends_without_teardown_and_keeps_its_output_and_exit_code(tmp_path):
    """``main`` ends the process with os._exit (no interpreter teardown, so no atexit
    handler runs) once its output is flushed: what it printed into pipes still arrives,
    with the command's exit code, and the outputs are complete."""
    import subprocess
    import sys

    from .incident_files import ACLED_HEADER, acled_row, write_rows

    marker = "interpreter teardown ran"
    console = (f"import atexit; atexit.register(print, {marker!r}, flush=True); "
               "from geo.cli import main; main()")

    def geo(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", console, *arguments], capture_output=True, text=True,
                              check=False)

    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("A1"), acled_row("A2", event_date="x")])
    done = geo("ingest", str(path), "--out", str(tmp_path / "out"))  # a command with a progress bar
    assert done.returncode == 0, done.stderr
    assert "read 2 = accepted 1 + rejected 1 (unparseable_date 1)" in done.stderr
    assert json.loads((tmp_path / "out" / "run.json").read_text())["complete"] is True
    unreadable = tmp_path / "columns.csv"
    unreadable.write_text("a,b\n1,2\n")
    failed = geo("ingest", str(unreadable), "--out", str(tmp_path / "none"), "-q")
    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.startswith("Error: no incident accepted: read 1 = rejected 1")
    usage = geo("run", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr
    version = geo("--version")
    assert version.returncode == 0 and version.stdout.startswith("geo, version")
    for result in (done, failed, usage, version):
        assert marker not in result.stdout
    # the normal exit, when something still runs, is kept: the marker shows that it was taken
    busy = console.replace("main()", "import threading, time; threading.Thread(target=time.sleep, args=(0.5,))"
                                     ".start(); main()")
    kept = subprocess.run([sys.executable, "-c", busy, "--version"], capture_output=True, text=True, check=False)
    assert kept.returncode == 0 and marker in kept.stdout and "geo, version" in kept.stdout


def test_ingest_writes_the_incident_table_and_the_account(runner, tmp_path):
    from .incident_files import ACLED_HEADER, acled_row, write_rows

    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("A1"), acled_row("A2", event_date="x")])
    out = tmp_path / "out"
    result = runner.invoke(cli, ["ingest", str(path), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "read 2 = accepted 1 + rejected 1 (unparseable_date 1)" in result.output
    assert {p.name for p in out.iterdir()} == {"incidents.geojson", "incidents.parquet", "rejected.csv",
                                               "reports.parquet", "reports.csv", "monthly_actor_groups.csv",
                                               "run.json", "timings.json"}
    first = (out / "run.json").read_bytes()
    assert runner.invoke(cli, ["ingest", str(path), "--out", str(out), "-q"]).exit_code == 0
    assert (out / "run.json").read_bytes() == first
    for name in ("incidents.geojson", "incidents.parquet", "rejected.csv"):
        assert (out / name).stat().st_size > 0


def test_ingest_of_an_unreadable_file_is_one_line(runner, tmp_path):
    result = runner.invoke(cli, ["ingest", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: cannot read")
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_run_period_outside_1900_2100_is_one_line(tmp_path):
    from tests.hostile import assert_one_line_error

    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", "--out", str(out), "-q", "--start", "0001-01-01", "--end", "9999-12-31"])
    assert_one_line_error(result, "--start 0001-01-01", "1900-2100")
    assert not out.exists()
