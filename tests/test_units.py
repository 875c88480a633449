"""Per-unit counts, rates and trends; the monthly table by province."""

from __future__ import annotations

import pandas as pd
import pytest

from geo._errors import GeoError, NoIncidentsError
from geo.metrics.units import default_period, monthly_by_province, resolve_period, trend_months, unit_summary

UNITS = pd.DataFrame({"district_id": ["A", "B", "C"], "area_km2": [2000.0, 500.0, 100.0]})


def _incidents(rows: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["district_id", "province", "date", "killed", "killed_civilians"])
    for column in ("killed_security", "killed_militants", "injured"):
        frame[column] = pd.array([pd.NA] * len(frame), dtype="Int32")
    frame["killed"] = frame["killed"].astype("Int32")
    return frame


def test_default_period_is_the_last_twelve_months():
    start, end = default_period(pd.Series(["2024-01-05", "2025-03-17", "2024-11-30"]))
    assert (start, end) == (pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))


def test_counts_rates_trend_and_empty_units():
    incidents = _incidents([
        ("A", "KP", "2025-03-02", 2, 1), ("A", "KP", "2025-02-10", 1, 0), ("A", "KP", "2024-06-01", 4, 4),
        ("B", "KP", "2024-05-01", 3, 0), ("A", "KP", "2023-12-31", 9, 9),  # the last is outside the period
    ])
    table = unit_summary(incidents, UNITS, "district_id", pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    a, b, c = (table.set_index("district_id").loc[k] for k in "ABC")
    assert (a["incidents"], a["killed"], a["killed_civilians"]) == (3, 7, 5)
    assert a["incidents_per_1000_km2"] == pytest.approx(1.5) and a["killed_per_1000_km2"] == pytest.approx(3.5)
    assert (a["incidents_last_3m"], a["incidents_prev_9m"]) == (2, 1)
    assert a["trend_ratio"] == pytest.approx((2 / 3) / (1 / 9))
    assert b["incidents_last_3m"] == 0 and b["trend_ratio"] == 0.0
    assert c["incidents"] == 0 and pd.isna(c["trend_ratio"])


def test_monthly_table_covers_the_period_and_the_study_provinces_only():
    incidents = _incidents([("A", "KP", "2025-01-03", 2, 1), ("A", "KP", "2025-03-09", 1, 1),
                            ("B", "Balochistan", "2025-02-01", 4, 0), ("B", "KP", "2024-12-31", 5, 5),
                            ("", "Khost", "2025-02-11", 7, 7)])
    table = monthly_by_province(incidents, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-04-30"),
                                ("KP", "Balochistan"))
    assert len(table) == 8 and set(table["province"]) == {"KP", "Balochistan"}  # Khost left out
    assert table["month"].unique().tolist() == ["2025-01", "2025-02", "2025-03", "2025-04"]
    kp = table[table["province"] == "KP"].set_index("month")
    assert kp.loc["2025-02", "killed"] == 0 and kp.loc["2025-03", "killed_civilians"] == 1
    assert kp.loc["2025-01", "killed"] == 2  # December 2024 is before the period
    assert table["killed"].sum() == 7


def test_empirical_bayes_pulls_small_units_towards_the_overall_rate():
    incidents = _incidents([("A", "KP", "2025-03-02", 1, 0)] * 2 + [("C", "KP", "2025-03-02", 1, 0)])
    table = unit_summary(incidents, UNITS, "district_id", pd.Timestamp("2024-04-01"),
                         pd.Timestamp("2025-03-31")).set_index("district_id")
    # C: 1 incident on 100 km² is a raw rate of 10 per 1,000 km²; the evidence is thin.
    assert table.loc["C", "incidents_per_1000_km2"] == pytest.approx(10.0)
    overall = 3 / 2600 * 1000
    assert overall < table.loc["C", "eb_incidents_per_1000_km2"] < 10.0
    assert table.loc["B", "eb_incidents_per_1000_km2"] > 0.0  # no incident, but not a certain zero


def test_diffusion_counts_busy_ten_km_cells():
    import geopandas as gpd
    import shapely

    from geo.config import Settings
    from geo.metrics.units import diffusion

    crs = Settings().equal_area_crs
    # a 40 km × 20 km unit (8 cells) in projected metres, then to lon/lat
    box = gpd.GeoSeries([shapely.box(200_000, 300_000, 240_000, 320_000)], crs=crs).to_crs("EPSG:4326")
    units = gpd.GeoDataFrame({"district_id": ["A"]}, geometry=box.values, crs="EPSG:4326")
    point = gpd.GeoSeries([shapely.Point(205_000, 305_000)], crs=crs).to_crs("EPSG:4326").iloc[0]
    incidents = pd.DataFrame({"date": ["2024-06-01"] * 12, "lon": point.x, "lat": point.y})
    share = diffusion(incidents, units, "district_id", pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"), crs)
    assert share["A"] == pytest.approx(1 / 8)
    few = diffusion(incidents.iloc[:9], units, "district_id", pd.Timestamp("2024-04-01"),
                    pd.Timestamp("2025-03-31"), crs)
    assert few["A"] == 0.0


def test_no_dated_incident_is_a_clear_error():
    with pytest.raises(NoIncidentsError, match="no dated incidents"):
        default_period(pd.Series([None, "not a date"], dtype="string"))
    with pytest.raises(NoIncidentsError):
        resolve_period(pd.Series([], dtype="string"))
    assert issubclass(NoIncidentsError, GeoError) and issubclass(NoIncidentsError, ValueError)
    # both ends given: nothing to derive from the data
    assert resolve_period(pd.Series([], dtype="string"), pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31")) == (
        pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-31"))
    with pytest.raises(NoIncidentsError, match="on or after --start 2030-01-01"):
        resolve_period(pd.Series(["2024-05-05"]), pd.Timestamp("2030-01-01"))


def test_trend_uses_the_months_before_the_last_three():
    assert trend_months(pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31")) == (3, 9)
    assert trend_months(pd.Timestamp("2024-07-01"), pd.Timestamp("2025-02-28")) == (3, 5)
    assert trend_months(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-31")) == (1, 0)
    incidents = _incidents([("A", "KP", "2025-02-02", 1, 0), ("A", "KP", "2024-08-01", 1, 0)])
    eight = unit_summary(incidents, UNITS, "district_id", pd.Timestamp("2024-07-01"),
                         pd.Timestamp("2025-02-28")).set_index("district_id")
    assert eight.loc["A", "trend_ratio"] == pytest.approx((1 / 3) / (1 / 5), abs=1e-3)  # not (1/3) / (1/9)
    # 24 months: the last 3 against the 21 before, as monthly rates (not against 9)
    assert trend_months(pd.Timestamp("2023-03-01"), pd.Timestamp("2025-02-28")) == (3, 21)
    two_years = unit_summary(incidents, UNITS, "district_id", pd.Timestamp("2023-03-01"),
                             pd.Timestamp("2025-02-28")).set_index("district_id")
    assert two_years.loc["A", "incidents_prev_9m"] == 1
    assert two_years.loc["A", "trend_ratio"] == pytest.approx((1 / 3) / (1 / 21), abs=1e-3)
    short = unit_summary(incidents, UNITS, "district_id", pd.Timestamp("2024-12-01"),
                         pd.Timestamp("2025-02-28")).set_index("district_id")
    assert short.loc["A", "incidents_last_3m"] == 1 and short["trend_ratio"].isna().all()


def test_empty_input_gives_zeros():
    empty = _incidents([])
    table = unit_summary(empty, UNITS, "district_id", pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"))
    assert len(table) == 3 and (table["incidents"] == 0).all() and (table["killed"] == 0).all()
    assert (table["eb_incidents_per_1000_km2"] == 0.0).all() and (table["eb_killed_per_1000_km2"] == 0.0).all()
    assert table["trend_ratio"].isna().all()
    province = monthly_by_province(empty, pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31"), ("KP", "B"))
    assert len(province) == 24 and (province["killed"] == 0).all()
    assert list(province.columns[:3]) == ["province", "month", "incidents"]


def test_in_period_of_chosen_incidents_reuses_their_parsed_dates():
    from geo.metrics.units import in_period

    frame = pd.DataFrame({"date": pd.array(["2024-03-31", "2024-04-01", None, "2025-03-31", "2025-04-01"],
                                           dtype="string"), "killed": [1, 2, 3, 4, 5]})
    start, end = pd.Timestamp("2024-04-01"), pd.Timestamp("2025-03-31")
    once = in_period(frame, start, end)
    assert once["killed"].tolist() == [2, 4]
    pd.testing.assert_frame_equal(in_period(once, start, end), once)
    narrower = in_period(once, start, pd.Timestamp("2024-12-31"))
    assert narrower["killed"].tolist() == [2]


@pytest.mark.parametrize("values", [
    ["2024-01-05", None, "2023-12-31", "1970-01-01", "2100-02-28"],  # Arrow's parser reads them all
    ["2024-1-5", None, "2024-02-30", " 2024-01-05", "20240105"],  # pandas reads (or refuses) the rest
    [], [None, None], ["0000-01-01"],
])
@pytest.mark.parametrize("dtype", ["string", object])
def test_iso_dates_are_what_pandas_reads_with_the_iso_format(values, dtype):
    from geo.incidents.schema import iso_dates

    text = pd.Series(values, dtype=dtype, name="date", index=range(7, 7 + len(values)))
    expected = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    pd.testing.assert_series_equal(iso_dates(text), expected)


def test_month_text_is_what_pandas_periods_write():
    from geo.metrics.units import month_text

    dates = pd.to_datetime(pd.Series(["2024-01-31", None, "1899-12-01", "2024-01-01", "2100-12-31"] * 3,
                                     dtype="string", name="_date"), format="%Y-%m-%d")
    dates.index = range(5, 20)
    for values in (dates, dates.iloc[:0], dates.iloc[[1]]):
        pd.testing.assert_series_equal(month_text(values), values.dt.to_period("M").astype("string"))
    assert month_text(dates).tolist()[:3] == ["2024-01", pd.NA, "1899-12"]
