"""The brief rendered in a forked child while `geo run` draws its maps."""

from __future__ import annotations

import pytest

from geo.config import default_settings
from geo.pipeline.brief_process import MAP, TABLES, BriefProcess, can_fork
from geo.report import ReportInputError

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and two cores")


def test_an_error_in_the_child_is_raised_in_the_run(tmp_path):
    brief = BriefProcess(tmp_path, default_settings())
    try:
        brief.send(TABLES)  # but the folder holds nothing the brief reads
        with pytest.raises(ReportInputError, match="run.json"):
            brief.result()
    finally:
        brief.stop()
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_fails_first_ends_the_child(tmp_path):
    brief = BriefProcess(tmp_path, default_settings())
    brief.stop()  # before any message: the child ends, nothing is written
    assert not brief._process.is_alive() and list(tmp_path.iterdir()) == []


def test_messages_out_of_order_are_an_error(tmp_path):
    brief = BriefProcess(tmp_path, default_settings())
    try:
        brief.send(MAP)
        with pytest.raises(Exception, match="expected 'tables'"):
            brief.result()
    finally:
        brief.stop()
