"""The command line: registration, exit codes, outputs of `geo run`."""

from __future__ import annotations

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


def test_the_console_script_flushes_its_piped_output_and_keeps_its_exit_code(tmp_path):
    """``main`` ends the process without the interpreter's teardown (os._exit):
    what it printed into pipes still arrives, with the command's exit code."""
    import subprocess
    import sys

    from .incident_files import ACLED_HEADER, acled_row, write_rows

    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("A1"), acled_row("A2", event_date="x")])
    command = [sys.executable, "-c", "from geo.cli import main; main()", "ingest", str(path)]
    done = subprocess.run([*command, "--out", str(tmp_path / "out")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "read 2 = accepted 1 + rejected 1 (unparseable_date 1)" in done.stderr
    assert (tmp_path / "out" / "run.json").is_file()
    unreadable = tmp_path / "columns.csv"
    unreadable.write_text("a,b\n1,2\n")
    failed = subprocess.run([*command[:-1], str(unreadable), "--out", str(tmp_path / "none"), "-q"],
                            capture_output=True, text=True, check=False)
    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.startswith("Error: no incident accepted: read 1 = rejected 1")


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
