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
