"""What each verb imports, and the stages timings.json accounts for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from geo.cli import cli
from tests.incident_files import ACLED_HEADER, acled_row, write_rows

# Statistics and drawing libraries: seconds of imports that only `geo run` and `geo map` use.
HEAVY = ("esda", "libpysal", "folium", "matplotlib", "pymannkendall")
INGEST_STAGES = {"read_normalise_s", "geocode_s", "join_s", "border_distance_s", "link_s"}
WRITER_STAGES = {"incidents_geojson_s", "incidents_parquet_s", "reports_parquet_s", "reports_csv_s",
                 "actor_groups_csv_s", "rejected_csv_s", "run_json_s"}
RUN_STAGES = INGEST_STAGES | WRITER_STAGES | {
    "imports_s", "sample_s", "metrics_s", "hotspots_s", "emerging_hotspots_s", "styles_s", "risk_geojson_s",
    "risk_csv_s", "risk_gpkg_s", "density_s", "density_cog_s", "boundary_layers_s", "maps_s", "brief_s", "total_s"}


def _imported_after(*args: str) -> set[str]:
    """The heavy modules a fresh python holds after running ``geo ARGS``."""
    code = ("import sys\nfrom geo.cli import cli\n"
            f"try:\n    cli({list(args)!r}, prog_name='geo')\nexcept SystemExit as exc:\n"
            "    assert exc.code in (0, None), exc.code\n"
            f"print('heavy:', *sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    last = done.stdout.splitlines()[-1].split()  # after the command's own output
    assert last[0] == "heavy:", done.stdout
    return set(last[1:])


def test_the_check_sees_a_heavy_import():
    assert _imported_after("map", "--help") == set()
    code = "import geo.maps.interactive, sys; print('folium' in sys.modules, 'matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == ["True", "True"]


def test_measuring_imports_neither_esda_libpysal_nor_scipy_stats():
    # about 1.5 s of imports in every run: Gi*, FDR, Empirical Bayes and Mann-Kendall are written out
    code = ("import sys, geo.metrics.layers, geo.metrics.density\n"
            "print(*sorted({'esda', 'libpysal', 'pymannkendall', 'scipy.stats', 'sklearn'} & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split() == []


def test_help_imports_no_statistics_or_map_library():
    assert _imported_after("--help") == set()


def test_ingest_imports_no_statistics_or_map_library(tmp_path):
    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("A1"), acled_row("A2")])
    out = tmp_path / "out"
    assert _imported_after("ingest", str(path), "--out", str(out), "-q") == set()
    assert json.loads((out / "run.json").read_text())["counts"]["accepted"] == 2


def test_ingest_timings_name_the_ingest_stages_and_each_output(tmp_path):
    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("A1")])
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["ingest", str(path), "--out", str(out), "-q"]).exit_code == 0
    timings = json.loads((out / "timings.json").read_text())
    assert set(timings) == INGEST_STAGES | WRITER_STAGES
    assert all(isinstance(v, float) and v >= 0 for v in timings.values())


def test_the_writers_stage_names_are_the_files_write_ingest_writes():
    from geo.export.incidents import BRIEF_INPUT_STAGES, INGEST_FILE_STAGES

    assert INGEST_FILE_STAGES == WRITER_STAGES and BRIEF_INPUT_STAGES < INGEST_FILE_STAGES


def test_run_timings_cover_every_stage(sample_run_dir):
    timings = json.loads((sample_run_dir / "timings.json").read_text())
    assert set(timings) == RUN_STAGES
    stages = sum(v for k, v in timings.items() if k != "total_s")
    # disjoint stages (none counted twice) that account for the run
    assert stages <= timings["total_s"] + 0.01 * len(timings)
    assert stages >= 0.8 * timings["total_s"]
    assert timings["maps_s"] > 0 and timings["hotspots_s"] > 0


@pytest.mark.parametrize("name", ["run.json", "incidents.parquet"])
def test_timings_stay_out_of_the_reproducible_outputs(sample_run_dir, name):
    assert b"total_s" not in (sample_run_dir / name).read_bytes()


def test_a_run_collects_garbage_seldom_and_restores_the_thresholds(monkeypatch):
    import gc

    from geo import pipeline
    from geo.pipeline.garbage import RUN_THRESHOLDS, seldom_collections

    seen = []
    real_ingest = pipeline.ingest

    def ingest(*args, **kwargs):
        seen.append(gc.get_threshold())
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(pipeline, "ingest", ingest)
    before = gc.get_threshold()
    assert before[0] < RUN_THRESHOLDS[0]
    run = pipeline.run(None, None)
    assert len(run.incidents) > 0 and seen == [RUN_THRESHOLDS]
    assert gc.get_threshold() == before
    with pytest.raises(ZeroDivisionError), seldom_collections():
        with seldom_collections():
            assert gc.get_threshold() == RUN_THRESHOLDS
        assert gc.get_threshold() == RUN_THRESHOLDS  # the inner block restored the outer's
        1 / 0  # noqa: B018
    assert gc.get_threshold() == before
