"""The synthetic incident generator: seeded, labelled, realistic in size."""

from __future__ import annotations

import pandas as pd

from geo.incidents.synthetic import SYNTHETIC_TAG, generate, to_acled
from geo.join import JoinLayers, join_incidents


def test_same_seed_same_rows_and_every_row_is_labelled():
    first, second = generate(500, seed=7), generate(500, seed=7)
    pd.testing.assert_frame_equal(first, second)
    assert not generate(500, seed=8).equals(first)
    assert first["synthetic"].all()
    assert first["source"].str.contains("SYNTHETIC").all() and first["notes"].str.contains("SYNTHETIC").all()
    assert (to_acled(first)["tags"] == SYNTHETIC_TAG).all()


def test_pattern_and_totals_resemble_the_reported_ones():
    frame = generate(2000, seed=20250228)
    assert (frame[["killed_civilians", "killed_security", "killed_militants"]].sum(axis=1) == frame["killed"]).all()
    month = frame["date"].str[:7]
    assert frame.loc[frame["date"].str[:4] == "2024", "killed"].sum() > 1600
    assert frame.loc[month == "2025-02", "killed"].sum() > 100
    joined = join_incidents(frame, JoinLayers.load())
    assert joined["in_study_area"].all()
    assert (joined["district"] == joined["source_admin2"]).all()
    by_district = joined["district"].value_counts(normalize=True)
    hot = ["North Waziristan", "Upper South Waziristan", "Lower South Waziristan", "Khyber", "Bannu",
           "Lakki Marwat", "Dera Ismail Khan", "Quetta", "Kech", "Kurram", "Bajaur"]
    assert by_district[hot].sum() > 0.5
    assert by_district.get("Abbottabad", 0) < by_district["North Waziristan"] / 10


def test_acled_layout_reads_back_as_synthetic(tmp_path):
    from geo.pipeline import ingest

    path = tmp_path / "syn.csv"
    to_acled(generate(50, seed=3)).to_csv(path, index=False)
    result = ingest([path])
    assert len(result.incidents) == 50 and result.incidents["synthetic"].all()
