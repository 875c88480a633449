"""Geocoding of the real UCDP GED excerpt without its coordinates: the aims of
issue 15 (README, "Geocoding, offline"), measured by bench/bench_geocode_real.py.

Data: UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program;
Sundberg & Melander 2013, Journal of Peace Research 50(4) (CC BY 4.0).
"""

from __future__ import annotations

import csv
import importlib.util

import pytest

from geo.config import PROJECT_ROOT

from .real_data import UCDP_EXCERPT, real_export

# Measured per distinct place string (README); a drop below these is a regression.
STRINGS_PLACE_LEVEL_FLOOR = 0.30


def _bench():
    path = PROJECT_ROOT / "bench" / "bench_geocode_real.py"
    spec = importlib.util.spec_from_file_location("bench_geocode_real", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    path = real_export(UCDP_EXCERPT, tmp_path_factory.mktemp("ucdp"))
    bench = _bench()
    return bench, bench.measure(path)


def test_exactly_located_events_resolve_at_place_level_and_near_ucdp(measured):
    bench, figures = measured
    assert figures["exact_events"] == 275
    assert figures["place_level_share"] >= bench.AIM_PLACE_LEVEL, figures
    assert figures["within_10_km_share"] >= bench.AIM_WITHIN_10_KM, figures
    assert figures["over_50_km_share"] <= bench.AIM_OVER_50_KM, figures


def test_distinct_place_strings_do_not_regress(measured):
    bench, figures = measured
    assert figures["strings_place_level_share"] >= STRINGS_PLACE_LEVEL_FLOOR, figures
    assert figures["strings_within_10_km_share"] >= bench.AIM_WITHIN_10_KM, figures
    assert figures["strings_over_50_km_share"] <= bench.AIM_OVER_50_KM, figures


def test_the_copy_without_coordinates_keeps_every_other_cell(tmp_path):
    bench = _bench()
    excerpt = real_export(UCDP_EXCERPT, tmp_path)
    copy = bench.without_coordinates(excerpt, tmp_path / "x.csv")
    original = excerpt.read_text(encoding="utf-8-sig").splitlines()
    blanked = copy.read_text(encoding="utf-8").splitlines()
    assert len(blanked) == len(original)
    assert blanked[1] == original[1]  # the HXL row as it was
    rows = list(csv.DictReader(copy.open(encoding="utf-8", newline="")))
    assert all(r["latitude"] == "" and r["longitude"] == "" for r in rows[1:])
    assert rows[5]["where_coordinates"] and rows[5]["adm_1"]
