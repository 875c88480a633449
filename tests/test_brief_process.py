"""The brief rendered in a forked child while `geo run` draws its maps."""

from __future__ import annotations

import pytest

from geo.config import default_settings
from geo.pipeline.brief_process import BriefProcess, can_fork
from geo.report import ReportInputError

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and two cores")


def test_an_error_in_the_child_is_raised_in_the_run(tmp_path):
    brief = BriefProcess(default_settings())
    try:
        brief.tables_written(tmp_path)  # but the folder holds nothing the brief reads
        with pytest.raises(ReportInputError, match="run.json"):
            brief.result()
    finally:
        brief.stop()
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_fails_first_ends_the_child(tmp_path):
    brief = BriefProcess(default_settings())
    brief.stop()  # before any message: the child ends, nothing is written
    brief.stop()  # and again (Run.write, then run, end it)
    assert not brief._process.is_alive() and list(tmp_path.iterdir()) == []


def test_ctrl_c_reaches_the_run_and_not_its_children(capfd):
    """Ctrl-C goes to the whole process group. A child waiting to hand back a
    large result (the density surfaces) must not die printing a traceback: it
    ignores SIGINT, and the run, which stops its children, reports it once."""
    import os
    import signal
    import time

    from geo.pipeline.forked import ForkedCall

    child = ForkedCall(lambda: b"x" * 5_000_000, "large result")  # blocks in send: the pipe holds 64 kB
    time.sleep(0.5)
    os.kill(child._process.pid, signal.SIGINT)
    time.sleep(0.3)
    assert child.result() == b"x" * 5_000_000
    assert "Traceback" not in capfd.readouterr().err


def test_a_write_refused_its_folder_still_ends_the_children_it_was_given(tmp_path):
    from geo import pipeline
    from geo._errors import GeoError
    from geo.pipeline.forked import ForkedCall

    run = pipeline.run()
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("not a run folder")
    brief, density = BriefProcess(default_settings()), ForkedCall(lambda: b"x" * 5_000_000, "density surfaces")
    with pytest.raises(GeoError):
        run.write(foreign, brief=brief, density=density)
    assert not brief._process.is_alive() and not density._process.is_alive()
    assert [p.name for p in foreign.iterdir()] == ["mine.txt"]


def test_messages_out_of_order_are_an_error():
    brief = BriefProcess(default_settings())
    try:
        brief.map_written()
        with pytest.raises(Exception, match="expected 'tables', got 'map'"):
            brief.result()
    finally:
        brief.stop()


def test_a_failed_brief_leaves_the_output_folder_as_it_was(tmp_path, monkeypatch):
    from geo import pipeline
    from geo._errors import GeoError
    from tests.incident_files import ACLED_HEADER, acled_row, write_rows

    path = write_rows(tmp_path / "acled.csv", ACLED_HEADER, [acled_row("A1"), acled_row("A2")])
    out = tmp_path / "out"

    def broken(*args: object, **kwargs: object) -> None:
        raise GeoError("the brief broke")

    monkeypatch.setattr("geo.report.write_report", broken)  # inherited by the forked child
    with pytest.raises(GeoError, match="^the brief broke$"):
        pipeline.run([path], out)
    assert not out.exists()


def _folder_bytes(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "timings.json"}


def test_risk_layers_written_by_a_child_are_the_same_files(tmp_path, monkeypatch):
    # From FORK_RISK_LAYERS_FROM incidents a child writes the risk layers while
    # the run writes the incident tables: the folder must be the same, byte for byte.
    import json

    from geo import pipeline

    run = pipeline.run()
    run.write(tmp_path / "serial")
    monkeypatch.setattr(pipeline, "FORK_RISK_LAYERS_FROM", 0)
    run.write(tmp_path / "forked")
    assert _folder_bytes(tmp_path / "forked") == _folder_bytes(tmp_path / "serial")
    forked = json.loads((tmp_path / "forked" / "timings.json").read_text())
    assert "risk_layers_wait_s" in forked and forked["risk_gpkg_s"] > 0  # the child's stages came back


def test_risk_layers_that_fail_in_the_child_leave_the_output_folder_as_it_was(tmp_path, monkeypatch):
    from geo import pipeline
    from geo._errors import GeoError

    run = pipeline.run()
    out = tmp_path / "out"

    def broken(*args: object, **kwargs: object) -> None:
        raise GeoError("the risk layers broke")

    monkeypatch.setattr(pipeline, "FORK_RISK_LAYERS_FROM", 0)
    monkeypatch.setattr("geo.export.risk.write_risk_geopackage", broken)  # inherited by the forked child
    with pytest.raises(GeoError, match="^the risk layers broke$"):
        run.write(out)
    assert not out.exists()


def test_a_run_sends_the_brief_its_inputs_before_it_waits_for_the_density_surfaces(tmp_path, monkeypatch):
    """The brief's child waits for its inputs, and the run's end waits for the brief: the surfaces
    (made beside the unit metrics) are collected only when they are written, after map.png."""
    from geo import pipeline
    from geo.pipeline.brief_process import BriefProcess
    from geo.pipeline.forked import ForkedCall

    order: list[str] = []
    tables_written, result = BriefProcess.tables_written, ForkedCall.result

    def on_tables(self, staging):
        order.append("brief inputs")
        return tables_written(self, staging)

    def on_result(self):
        order.append(self._name)
        return result(self)

    monkeypatch.setattr(BriefProcess, "tables_written", on_tables)
    monkeypatch.setattr(ForkedCall, "result", on_result)
    run = pipeline.run(None, tmp_path / "out")
    assert order == ["brief inputs", "density surfaces"]
    assert run.density is not None and run.density.points > 0
    assert (tmp_path / "out" / "density_incidents.tif").is_file()


def test_density_surfaces_made_in_a_child_are_those_made_in_the_run(tmp_path, monkeypatch):
    import numpy as np

    from geo import pipeline
    from geo._errors import GeoError

    inline = pipeline.run()  # no folder, no brief's child: the surfaces are made in this process
    forked = pipeline.run(None, tmp_path / "out")
    assert forked.density.points == inline.density.points > 0
    for name in ("incidents", "killed"):
        ours, theirs = getattr(forked.density, name), getattr(inline.density, name)
        assert np.array_equal(ours.values, theirs.values) and ours.transform == theirs.transform
        assert ours.crs == theirs.crs
    assert "density_s" in forked.timings_s

    def broken(*args: object, **kwargs: object) -> None:
        raise GeoError("the surfaces broke")

    monkeypatch.setattr("geo.metrics.density.period_density", broken)  # inherited by the forked child
    with pytest.raises(GeoError, match="^the surfaces broke$"):
        pipeline.run(None, tmp_path / "again")
    assert not (tmp_path / "again").exists()
