"""Filters: --event-type, --actor-group, --source, --min-precision and [filters] in the TOML."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from geo.cli import cli
from geo.config import load_settings
from geo.filters import FilterError, Filters

from .incident_files import UCDP_HEADER, ucdp_row, write_rows
from .real_data import UCDP_EXCERPT, real_export


@pytest.fixture(scope="module")
def ucdp(tmp_path_factory):
    return real_export(UCDP_EXCERPT, tmp_path_factory.mktemp("filters"))


def _ingest(tmp_path, inputs, *options):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["ingest", *map(str, inputs), "--out", str(out), "-q", *options])
    assert result.exit_code == 0, result.output
    return (
        pd.read_parquet(out / "incidents.parquet"),
        pd.read_parquet(out / "reports.parquet"),
        json.loads((out / "run.json").read_text()),
    )


def test_actor_group_and_family_filters_keep_their_events_and_record_the_filters(ucdp, tmp_path):
    incidents, reports, record = _ingest(
        tmp_path, [ucdp], "--actor-group", "Baloch armed groups", "--actor-group", "Lashkar-e-Jhangvi"
    )
    raw = pd.read_csv(ucdp, skiprows=[1], dtype=str)
    actor = raw["side_b"].where(raw["side_a"].str.startswith("Government of"), raw["side_a"])
    expected = int(actor.isin(["BLA", "Baloch Ittehad", "LeJ"]).sum())
    assert expected > 0 and len(incidents) == expected
    assert set(incidents["actor_family"]) == {"Baloch armed groups", "Lashkar-e-Jhangvi"}
    assert len(reports) == 588 and int(reports["in_filters"].sum()) == expected
    assert record["settings"]["filters"] == {
        "event_types": [],
        "actor_groups": ["Baloch armed groups", "Lashkar-e-Jhangvi"],
        "sources": [],
        "min_precision": 0,
    }
    assert record["counts"]["reports_filtered_out"] == 588 - expected
    assert record["counts"]["read"] == record["counts"]["accepted"] + record["counts"]["rejected"]


def test_event_type_by_source_text_or_class_and_min_precision(ucdp, tmp_path):
    incidents, _, _ = _ingest(tmp_path, [ucdp], "--event-type", "One-sided violence", "--min-precision", "1")
    assert len(incidents) > 0
    assert set(incidents["event_type"]) == {"one-sided violence"} and (incidents["geo_precision"] == 1).all()
    raw = pd.read_csv(ucdp, skiprows=[1], dtype=str)
    expected = ((raw["type_of_violence"] == "3") & raw["where_prec"].isin(["1", "2"])).sum()
    assert len(incidents) == expected
    classes = Filters(event_types=("explosion",)).mask(
        pd.DataFrame({"event_type": ["Bombing/Explosion", "Armed Assault", None]})
    )
    assert classes.tolist() == [True, False, False]


def test_source_filter_keeps_events_any_of_whose_reports_came_from_it(ucdp, tmp_path):
    table = write_rows(tmp_path / "other.csv", UCDP_HEADER, [ucdp_row("9")])
    incidents, _, _ = _ingest(tmp_path, [table], "--source", "ucdp")
    assert len(incidents) == 1
    events = pd.DataFrame({"sources": ["UCDP; monthly list", "ACLED", None]})
    assert Filters(sources=("Monthly List",)).mask(events).tolist() == [True, False, False]


def test_filters_in_the_toml_and_the_cli_replacing_them(ucdp, tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text(
        '[filters]\nactor_groups = ["Balochistan Liberation Army"]\nmin_precision = 3\n', encoding="utf-8"
    )
    assert load_settings(config).filters == Filters(
        actor_groups=("Balochistan Liberation Army",), min_precision=3
    )
    incidents, _, record = _ingest(tmp_path, [ucdp], "--config", str(config))
    raw = pd.read_csv(ucdp, skiprows=[1], dtype=str)
    actor = raw["side_b"].where(raw["side_a"].str.startswith("Government of"), raw["side_a"])
    assert set(incidents["actor_group"]) == {"Balochistan Liberation Army"}
    assert len(incidents) == int((actor == "BLA").sum()) > 0
    incidents, _, record = _ingest(tmp_path, [ucdp], "--config", str(config), "--actor-group", "al-Qaida")
    assert set(incidents["actor_group"]) == {"al-Qaida"}
    assert record["settings"]["filters"]["min_precision"] == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--actor-group", "No Such Group"], "unknown actor group"),
        (["--min-precision", "5"], "1<=x<=3"),
    ],
)
def test_bad_filters_are_usage_errors(ucdp, tmp_path, options, message):
    result = CliRunner().invoke(cli, ["ingest", str(ucdp), "--out", str(tmp_path / "o"), *options])
    assert result.exit_code == 2 and message in result.output


def test_bad_filter_tables_name_the_key(tmp_path):
    config = tmp_path / "settings.toml"
    config.write_text('[filters]\nactors = ["x"]\n', encoding="utf-8")
    with pytest.raises(FilterError, match="unknown key.*actors.*in \\[filters\\]"):
        load_settings(config)
    config.write_text('[filters]\nsources = "UCDP"\n', encoding="utf-8")
    with pytest.raises(FilterError, match="sources .* must be a list of strings"):
        load_settings(config)


def test_geo_run_keeps_the_filtered_events_and_records_the_filters(ucdp, tmp_path):
    from .hostile import write_config

    config = write_config(tmp_path / "fast.toml")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            str(ucdp),
            "--out",
            str(out),
            "-q",
            "--config",
            str(config),
            "--actor-group",
            "Balochistan Liberation Army",
            "--min-precision",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads((out / "run.json").read_text())
    assert record["settings"]["filters"] == {
        "event_types": [],
        "actor_groups": ["Balochistan Liberation Army"],
        "sources": [],
        "min_precision": 2,
    }
    incidents = pd.read_parquet(out / "incidents.parquet")
    assert len(incidents) == record["counts"]["events"] > 0
    assert (
        set(incidents["actor_group"]) == {"Balochistan Liberation Army"}
        and (incidents["geo_precision"] <= 2).all()
    )
    monthly = pd.read_csv(out / "monthly_actor_groups.csv")
    assert set(monthly["actor_group"]) == {"Balochistan Liberation Army"}
    assert monthly["events"].sum() == int(incidents["in_period"].sum()) > 0  # the period only


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_filters_that_keep_nothing_say_so_in_one_line(ucdp, tmp_path, command):
    from .hostile import assert_one_line_error

    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, [command, str(ucdp), "--out", str(out), "-q", "--event-type", "no such type", "--no-link"]
    )
    line = assert_one_line_error(result, "no event passes the filters", "--event-type", "reports.csv")
    assert "left out all 588 accepted reports" in line and "no data rows" not in line
    record = json.loads((out / "run.json").read_text())
    assert record["counts"]["events"] == 0 and record["counts"]["reports_filtered_out"] > 0
