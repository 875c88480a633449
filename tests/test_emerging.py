"""Emerging hotspot classes on constructed monthly patterns."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.metrics.emerging import EMERGING_CLASSES, classify, emerging_hotspots, mann_kendall


def _grid(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"unit_id": [f"u{k:03d}" for k in range(n * n)]},
                            geometry=[shapely.box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)],
                            crs="EPSG:3857")


def test_classes_follow_the_monthly_flags():
    hot = lambda *flags: np.array(flags, dtype=bool)  # noqa: E731
    none = np.zeros(8, dtype=bool)
    assert classify(hot(0, 0, 0, 0, 0, 0, 0, 1), none, "no trend") == "new hot spot"
    assert classify(hot(1, 1, 1, 1, 1, 1, 1, 1), none, "increasing") == "intensifying hot spot"
    assert classify(hot(1, 1, 1, 1, 1, 1, 1, 1), none, "no trend") == "persistent hot spot"
    assert classify(hot(1, 1, 1, 1, 1, 1, 1, 1), none, "decreasing") == "diminishing hot spot"
    assert classify(hot(0, 0, 0, 0, 0, 1, 1, 1), none, "no trend") == "consecutive hot spot"
    assert classify(hot(1, 0, 1, 0, 0, 1, 0, 1), none, "no trend") == "sporadic hot spot"
    cold = np.array([0, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    assert classify(hot(1, 0, 0, 0, 1, 0, 0, 1), cold, "no trend") == "oscillating hot spot"
    assert classify(hot(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0), np.zeros(12, bool), "no trend") == "historical hot spot"
    assert classify(none, none, "no trend") == "no pattern detected"


def test_a_block_that_flares_up_in_the_last_month_is_new():
    n = 10
    units = gpd.GeoDataFrame({"unit_id": [f"u{k:03d}" for k in range(n * n)]},
                             geometry=[shapely.box(c, r, c + 1, r + 1) for r in range(n) for c in range(n)],
                             crs="EPSG:3857")
    rng = np.random.default_rng(0)
    rows = []
    months = pd.period_range("2024-04", "2025-03", freq="M")
    for month in months:
        for unit in units["unit_id"]:
            rows += [(unit, f"{month}-15")] * int(rng.poisson(1.0))
    block = [f"u{r * n + c:03d}" for r in (4, 5, 6) for c in (4, 5, 6)]
    rows += [(unit, "2025-03-10") for unit in block for _ in range(12)]
    incidents = pd.DataFrame(rows, columns=["unit_id", "date"])
    table = emerging_hotspots(incidents, units, "unit_id", pd.Timestamp("2024-04-01"),
                              pd.Timestamp("2025-03-31")).set_index("unit_id")
    assert table.loc["u055", "emerging_class"] == "new hot spot"
    # the centre and the four cells sharing its edges hold most of the flare in
    # their neighbourhood; a corner has only 4 of its 9 cells in the block
    assert (table.loc[["u045", "u054", "u055", "u056", "u065"], "hot_months"] >= 1).all()
    assert (table.loc[block, "hot_months"] >= 1).sum() >= 7
    assert (table["emerging_class"] != "no pattern detected").sum() <= 15
    assert set(table["emerging_class"]) <= set(EMERGING_CLASSES)


def test_months_without_variance_count_as_not_hot():
    units = _grid(6)
    months = pd.period_range("2024-04", "2025-03", freq="M")
    # busy months only in the last three; the nine before have no incident at all
    block = ["u014", "u015", "u020", "u021"]
    rows = [(unit, f"{month}-10") for month in months[-3:] for unit in block for _ in range(5)]
    rows += [("u000", f"{month}-10") for month in months[-3:]]
    incidents = pd.DataFrame(rows, columns=["unit_id", "date"])
    table = emerging_hotspots(incidents, units, "unit_id", pd.Timestamp("2024-04-01"),
                              pd.Timestamp("2025-03-31")).set_index("unit_id")
    assert table.loc[block, "hot_months"].le(3).all()
    assert (table.loc[block, "emerging_class"] == "consecutive hot spot").all()
    assert table.loc["u035", "emerging_class"] == "no pattern detected"


def test_too_few_months_or_incidents():
    units = _grid(4)
    incidents = pd.DataFrame({"unit_id": ["u000", "u001", "u005"] * 4, "date": "2024-06-10"})
    short = emerging_hotspots(incidents, units, "unit_id", pd.Timestamp("2024-04-01"), pd.Timestamp("2024-08-31"))
    assert (short["emerging_class"] == "not enough months").all()
    # 12 incidents over 12 months, never 10 in one month: no month can be tested
    spread = pd.DataFrame({"unit_id": ["u000", "u001", "u005"] * 4,
                           "date": [f"{m}-10" for m in pd.period_range("2024-04", "2025-03", freq="M")]})
    table = emerging_hotspots(spread, units, "unit_id", pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    assert (table["emerging_class"] == "insufficient data").all()
    assert (table["mk_trend"] == "no trend").all() and table["mk_p"].isna().all() and (table["hot_months"] == 0).all()
    empty = emerging_hotspots(spread.iloc[:0], units, "unit_id", pd.Timestamp("2024-04-01"),
                              pd.Timestamp("2025-03-31"))
    assert (empty["emerging_class"] == "insufficient data").all()


def test_mann_kendall_is_pymannkendalls_original_test():
    import pymannkendall  # the oracle: geo itself no longer imports it (scipy.stats, ~0.7 s)

    rng = np.random.default_rng(7)
    series = [
        np.arange(12, dtype=float),                          # monotone up
        np.arange(12, dtype=float)[::-1],                    # monotone down
        rng.normal(size=12),                                 # no ties
        np.round(rng.normal(size=24), 1),                    # some ties
        np.array([0, 0, 0, 1.5, 0, 0, 2.1, 2.1, 0, 3, 3, 3]),  # many ties (untested months are 0)
        np.array([1.0, 0, 1, 0, 1, 0]),                      # oscillating, tied, n = 6
        np.array([0, 0, 0, 0, 0, 0.4]),                      # one move
        rng.normal(size=6) + np.arange(6),
        np.array([2.5, 2.5, 1.0, 1.0, 3.0, 3.0, 0.0, 0.0]),
    ]
    for x in series:
        for alpha in (0.05, 0.1):
            expected = pymannkendall.original_test(x, alpha=alpha)
            trend, p = mann_kendall(x, alpha)
            assert (trend, p) == (expected.trend, float(expected.p)), x
