"""Record linkage: reports of the same event across sources become one event.

The measured test re-reports the real UCDP GED excerpt as a second source
(geo.linking.labelled, seed 13, a seed the score's weights were not fitted on)
and checks precision and recall of the links against the truth.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo.cli import cli
from geo.config import SettingsError, default_settings, load_settings
from geo.pipeline import ingest
from geo.incidents.synthetic import SYNTHETIC_SOURCE
from geo.linking import REPORT_FRONT, link_reports, may_link
from geo.linking import pairs as pairs_module
from geo.linking.labelled import score_links, write_labelled

from .incident_files import UCDP_HEADER, ucdp_row, write_rows
from .real_data import UCDP_EXCERPT, real_export

# The targets; measured on the labelled set of the README (seed 13): see README "Linking".
MIN_PRECISION = 0.95
MIN_RECALL = 0.90


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled")
    ucdp = real_export(UCDP_EXCERPT, folder)
    rereported, truth = write_labelled(ucdp, folder, seed=13)
    result = ingest([ucdp, rereported])
    return ucdp, rereported, truth, result


def test_links_on_the_labelled_ucdp_set_reach_the_measured_precision_and_recall(labelled):
    _, _, truth, result = labelled
    quality = score_links(result.reports, truth)
    assert quality["true"] == 353
    assert quality["precision"] >= MIN_PRECISION, quality
    assert quality["recall"] >= MIN_RECALL, quality


def test_every_report_is_kept_with_its_event_score_and_reasons(labelled):
    _, _, _, result = labelled
    reports, events = result.reports, result.incidents
    assert len(reports) == sum(f.accepted for f in result.files) == 1091
    assert list(reports.columns[: len(REPORT_FRONT)]) == list(REPORT_FRONT)
    assert set(reports["event_id"]) == set(events["event_id"])
    assert events["event_id"].is_unique and reports["incident_id"].is_unique
    sizes = reports["event_id"].value_counts()
    assert (events.set_index("event_id")["n_reports"] == sizes.reindex(events["event_id"]).to_numpy()).all()
    assert reports["link_reasons"].notna().all()
    linked = reports["link_score"].notna()
    assert (reports.loc[linked, "link_reasons"].str.startswith("score ")).all()
    # a linked report names a report of its own event
    event_of = reports.set_index("incident_id")["event_id"]
    assert (
        event_of.reindex(reports.loc[linked, "linked_to"]).to_numpy() == reports.loc[linked, "event_id"]
    ).all()
    # at most one report of each source per event (UCDP never links within itself)
    assert not reports.duplicated(["event_id", "source"]).any()
    assert events["sources"].str.contains("; ").sum() == int((events["n_reports"] > 1).sum())


def test_the_same_inputs_in_another_order_give_the_same_events(labelled):
    _, _, _, result = labelled
    reports = result.reports.drop(columns=list(REPORT_FRONT[4:]) + ["event_id"])
    shuffled = reports.sample(frac=1.0, random_state=3).reset_index(drop=True)
    again = link_reports(shuffled)
    mine = result.reports.set_index("incident_id")["event_id"].sort_index()
    theirs = again.reports.set_index("incident_id")["event_id"].sort_index()
    pd.testing.assert_series_equal(mine, theirs)
    assert set(again.events["event_id"]) == set(result.incidents["event_id"])


def test_no_link_keeps_one_event_per_report(labelled):
    ucdp, rereported, _, _ = labelled
    result = ingest([ucdp, rereported], settings=dataclasses.replace(default_settings(), link=False))
    assert len(result.incidents) == len(result.reports) == 1091
    assert (result.incidents["n_reports"] == 1).all()
    assert result.reports["link_score"].isna().all()


def _report(incident_id: str, source: str, **values) -> dict:
    row = {
        "incident_id": incident_id,
        "source": source,
        "source_id": incident_id.split(":")[-1],
        "date": "2024-06-01",
        "date_precision": "day",
        "lat": 33.00059,
        "lon": 70.07117,
        "geo_precision": 1,
        "place": "Miran Shah",
        "place_parsed": pd.NA,
        "source_admin1": pd.NA,
        "source_admin2": pd.NA,
        "event_type": "armed clash",
        "perpetrator": "TTP",
        "target_category": "security_forces",
        "killed": 9,
        "killed_civilians": pd.NA,
        "killed_security": pd.NA,
        "killed_militants": pd.NA,
        "injured": pd.NA,
        "notes": pd.NA,
        "geocode_method": "source_coordinates",
        "synthetic": False,
        "district_id": "PK-KP-north-waziristan",
        "actor_group": "Tehrik-i-Taliban Pakistan",
        "actor_family": "Tehrik-i-Taliban Pakistan and factions",
    }
    row.update(values)
    return row


def _table(rows: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    for column in ("killed", "killed_civilians", "killed_security", "killed_militants", "injured"):
        table[column] = table[column].astype("Int32")
    table["geo_precision"] = table["geo_precision"].astype("Int8")
    return table


def test_event_fields_follow_the_documented_precedence():
    rows = _table(
        [
            _report(
                "a:1",
                "A",
                geo_precision=2,
                lat=32.9,
                lon=70.2,
                date="2024-06-01",
                date_precision="week",
                killed=12,
                geocode_method="admin_centroid",
                perpetrator="Unknown",
                actor_group="unidentified",
                actor_family="unidentified",
            ),
            _report("b:1", "B", date="2024-06-02", killed=7, place="Miranshah town"),
            _report("c:1", "C", lat=33.01, lon=70.08, date="2024-06-03", killed=9, place="Miran Shah bazaar"),
        ]
    )
    for rule, killed, source in (("median", 9, "c:1"), ("max", 12, "a:1"), ("min", 7, "b:1")):
        linked = link_reports(rows, casualties=rule)
        assert len(linked.events) == 1, linked.reports["link_reasons"].tolist()
        event = linked.events.iloc[0]
        assert event["n_reports"] == 3 and event["sources"] == "A; B; C"
        assert event["killed"] == killed and event["killed_from"] == source
    # location: geo_precision 1 beats 2; between B and C (both 1, source coordinates) the source name decides
    assert event["location_from"] == "b:1" and event["lat"] == 33.00059
    # date: day precision beats week; then the source by name
    assert event["date_from"] == "b:1" and event["date"] == "2024-06-02"
    assert event["actor_group"] == "Tehrik-i-Taliban Pakistan" and event["actor_from"] == "b:1"
    assert event["event_id"].startswith("ev-") and len(event["event_id"]) == 19


def test_an_event_holds_one_report_per_source_and_far_or_late_reports_stay_apart():
    rows = _table(
        [
            _report("a:1", "A"),
            _report("b:1", "B", killed=9),
            _report("b:2", "B", killed=2, date="2024-06-02"),  # a second B report: not the same event as b:1
            _report("c:1", "C", lat=34.0, lon=71.5),  # ~170 km away
            _report("d:1", "D", date="2024-06-10"),  # 9 days later
        ]
    )
    linked = link_reports(rows, margin=0.0)
    event_of = linked.reports.set_index("incident_id")["event_id"]
    assert event_of["a:1"] == event_of["b:1"] != event_of["b:2"]
    assert len({event_of["a:1"], event_of["c:1"], event_of["d:1"]}) == 3
    reasons = linked.reports.set_index("incident_id")["link_reasons"]
    assert reasons["c:1"] == reasons["d:1"] == "no report it may link to within the date and distance windows"


def _brute_force_pairs(p, link_days: int, may_link) -> set[tuple[int, int, int, float]]:
    """Every pair by the windows' definition, one by one (what the sweep must give)."""
    found = set()
    for a in range(len(p.lo)):
        for b in range(a + 1, len(p.lo)):
            if not may_link(p.source[a], p.source[b]):
                continue
            i, j = (a, b) if (p.lo[a], a) <= (p.lo[b], b) else (b, a)
            gap = max(0, p.lo[j] - p.hi[i])
            if gap > link_days:
                continue
            km = float(pairs_module._haversine_km(p, np.array([i]), np.array([j]))[0])
            same_district = (p.broad[i] or p.broad[j]) and p.district[i] == p.district[j] != ""
            if km <= max(p.radius_km[i], p.radius_km[j]) or same_district:
                found.add((i, j, int(gap), round(km, 9)))
    return found


@pytest.mark.parametrize("rule", ["every pair", "the linking rules"])
def test_candidate_pairs_are_exactly_the_pairs_within_the_windows_of_sources_that_may_link(rule):
    rng = np.random.default_rng(5)
    n = 240
    sources = rng.choice(["UCDP", "ACLED", "monthly list", SYNTHETIC_SOURCE], n)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    rows = _table([
        _report(f"r:{k}", str(sources[k]), date=day.date().isoformat(),
                date_precision=str(rng.choice(["day", "day", "week", "month"])),
                lat=float(33 + rng.normal(0, 0.5)), lon=float(70 + rng.normal(0, 0.5)),
                geo_precision=int(rng.choice([1, 1, 2, 3])),
                district_id=str(rng.choice(["PK-KP-bannu", "PK-KP-north-waziristan", ""])))
        for k, day in enumerate(days)
    ])
    p = pairs_module.prepare(rows)
    assert (p.lo >= 19_723).all()  # every date read (days since 1970: 2024-01-01 on)
    may = (lambda a, b: True) if rule == "every pair" else may_link
    i, j, gap, km = pairs_module.candidate_pairs(p, 2, may)
    got = {(int(a), int(b), int(g), round(float(k), 9)) for a, b, g, k in zip(i, j, gap, km, strict=True)}
    assert len(got) == len(i) and 0 < len(i) < n * (n - 1) // 4  # each pair once; windows that select
    assert got == _brute_force_pairs(p, 2, may)
    rank = np.lexsort((np.arange(n), p.lo)).argsort()
    assert (np.diff(rank[i] * n + rank[j]) > 0).all()  # in date order of i, then of j
    if rule == "the linking rules":  # no pair of one curated source, none of generated with real records
        assert not any(p.source[a] == p.source[b] == "UCDP" for a, b in zip(i, j, strict=True))
        assert not any((p.source[a] == SYNTHETIC_SOURCE) != (p.source[b] == SYNTHETIC_SOURCE)
                       for a, b in zip(i, j, strict=True))


def test_near_duplicates_link_within_a_table_but_never_within_ucdp(tmp_path):
    rows = _table(
        [
            _report("monthly-list:1", "monthly list"),
            _report("monthly-list:2", "monthly list"),
            _report("ucdp:1", "UCDP", date="2023-01-01"),
            _report("ucdp:2", "UCDP", date="2023-01-01"),
        ]
    )
    event_of = link_reports(rows).reports.set_index("incident_id")["event_id"]
    assert event_of["monthly-list:1"] == event_of["monthly-list:2"]
    assert event_of["ucdp:1"] != event_of["ucdp:2"]


def test_geo_ingest_writes_events_and_reports_and_no_link_restores_one_row_per_report(labelled, tmp_path):
    ucdp, rereported, _, result = labelled
    runner = CliRunner()
    out = tmp_path / "linked"
    done = runner.invoke(cli, ["ingest", str(ucdp), str(rereported), "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    assert f"accepted 1091 + rejected 1 (hxl_tag_row 1); {len(result.incidents)} events" in done.output
    record = json.loads((out / "run.json").read_text())
    assert record["counts"]["accepted"] == 1091 and record["counts"]["events"] == len(result.incidents)
    assert record["settings"]["link"]["enabled"] is True
    incidents = pd.read_parquet(out / "incidents.parquet")
    reports = pd.read_parquet(out / "reports.parquet")
    assert len(incidents) == len(result.incidents) < len(reports) == 1091
    assert {"event_id", "n_reports", "sources", "actor_group", "actor_family"} <= set(incidents.columns)
    csv = pd.read_csv(out / "reports.csv", dtype=str, keep_default_na=False)
    assert len(csv) == 1091 and not csv["link_reasons"].str.match(r"^[=+\-@]").any()
    geojson = json.loads((out / "incidents.geojson").read_text())
    assert len(geojson["features"]) == len(incidents)
    plain = tmp_path / "plain"
    done = runner.invoke(cli, ["ingest", str(ucdp), str(rereported), "--out", str(plain), "-q", "--no-link"])
    assert done.exit_code == 0, done.output
    assert len(pd.read_parquet(plain / "incidents.parquet")) == 1091
    assert json.loads((plain / "run.json").read_text())["settings"]["link"]["enabled"] is False


def test_identical_inputs_give_identical_files(labelled, tmp_path):
    ucdp, rereported, _, _ = labelled
    runner = CliRunner()
    for name in ("one", "two"):
        assert (
            runner.invoke(
                cli, ["ingest", str(ucdp), str(rereported), "--out", str(tmp_path / name), "-q"]
            ).exit_code
            == 0
        )
    for name in (
        "incidents.parquet",
        "reports.parquet",
        "reports.csv",
        "monthly_actor_groups.csv",
        "run.json",
    ):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_two_ucdp_files_of_the_same_rows_are_duplicates_not_links(tmp_path):
    first = write_rows(tmp_path / "a.csv", UCDP_HEADER, [ucdp_row("1"), ucdp_row("2", best=3)])
    result = ingest([first])
    assert len(result.incidents) == 2 and result.incidents["n_reports"].eq(1).all()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("link_threshold", 1.5, "link_threshold must be a number between 0 and 1"),
        ("link_margin", -1.0, "link_margin must be a number from 0 to 10"),
        ("link_days", 90, "link_days must be a whole number from 0 to 30"),
        ("link_casualties", "mean", "link_casualties must be one of median, max, min"),
    ],
)
def test_link_settings_are_checked(tmp_path, key, value, message):
    path = tmp_path / "settings.toml"
    path.write_text(f"{key} = {json.dumps(value)}\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(path)


def test_scores_are_calibrated_on_the_labelled_set(labelled):
    """Of the candidate pairs across sources, those scored ≥ 0.9 are mostly
    true and those scored < 0.1 mostly not (the score is a probability)."""
    _, _, truth, result = labelled
    reports = result.reports.drop(columns=list(REPORT_FRONT[4:]) + ["event_id"])
    pairs = link_reports(reports).pairs
    pairs = pairs[pairs["source_i"] != pairs["source_j"]]
    truth_sorted = {tuple(sorted(p)) for p in truth}
    true = np.array([tuple(sorted(p)) in truth_sorted for p in zip(pairs["report_i"], pairs["report_j"])])
    high, low = pairs["score"].to_numpy() >= 0.9, pairs["score"].to_numpy() < 0.1
    assert true[high].mean() >= 0.8 and true[low].mean() <= 0.1


def test_the_generators_synthetic_records_never_link_to_another_sources():
    from geo.incidents.synthetic import SYNTHETIC_SOURCE

    rows = _table(
        [
            _report("editorial:1", "editorial sample"),
            _report("synthetic:1", SYNTHETIC_SOURCE),
            _report("acled:1", "ACLED"),
        ]
    )
    event_of = link_reports(rows).reports.set_index("incident_id")["event_id"]
    assert event_of["editorial:1"] == event_of["acled:1"] != event_of["synthetic:1"]


@pytest.mark.parametrize("linked_share", [0.0, 0.3, 1.0])
def test_events_of_one_report_are_what_the_precedence_rules_give(linked_share):
    from geo.linking.events import _events_by_precedence, build_events

    rng = np.random.default_rng(8)
    n = 120
    rows = _table([
        _report(f"s{k % 3}:{k}", f"source {k % 3}", killed=int(rng.integers(0, 5)) if k % 4 else pd.NA,
                actor_group="unidentified" if k % 5 == 0 else "Tehrik-i-Taliban Pakistan",
                synthetic=bool(k % 7 == 0), geo_precision=int(rng.choice([1, 2, 3])))
        for k in range(n)
    ])
    labels = np.arange(n)
    pairs_of = rng.permutation(n)[: int(n * linked_share)]
    labels[pairs_of[1::2]] = pairs_of[: len(pairs_of[1::2])]  # some events of two reports
    rows.insert(0, "event_id", [f"ev-{k:04d}" for k in labels])
    for table in (rows, rows.assign(_pos=rng.permutation(n))):
        pd.testing.assert_frame_equal(build_events(table, "median"), _events_by_precedence(table, "median"))


def test_event_ids_hash_the_sorted_report_ids_whatever_the_row_order():
    import hashlib

    from geo.linking.events import event_ids

    ids = ["b:2", "a:10", "a:9", "c:1", "é:1", "a:1"]
    labels = np.array([0, 1, 0, 2, 1, 0])  # events {b:2, a:9, a:1}, {a:10, é:1}, {c:1}

    def expected(members: list[str]) -> str:
        return "ev-" + hashlib.sha256("\n".join(sorted(members)).encode("utf-8")).hexdigest()[:16]

    want = [expected(["b:2", "a:9", "a:1"]), expected(["a:10", "é:1"]), expected(["b:2", "a:9", "a:1"]),
            expected(["c:1"]), expected(["a:10", "é:1"]), expected(["b:2", "a:9", "a:1"])]
    assert event_ids(pd.Series(ids, dtype="string"), labels).tolist() == want
    rng = np.random.default_rng(5)
    for _ in range(5):
        order = rng.permutation(len(ids))
        got = event_ids(pd.Series(np.array(ids, dtype=object)[order], dtype="string"), labels[order])
        assert got.tolist() == [want[k] for k in order]
    assert event_ids(pd.Series([], dtype="string"), np.array([], dtype=np.int64)).tolist() == []
