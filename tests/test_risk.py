"""The risk index: transforms, monotonicity, classes, confidence, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.config import DEFAULT_RISK_WEIGHTS, SettingsError, load_settings
from geo.metrics.risk import (
    CONFIDENCE_LEVELS,
    FIXED_SCALE,
    RISK_CLASS_LABELS,
    RiskIndex,
    confidence,
    period_years,
    risk_class,
    trend_score,
)


def _summary(n: int = 6, **overrides) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({
        "unit": [f"u{k}" for k in range(n)], "area_km2": rng.uniform(500, 5000, n),
        "incidents": rng.integers(0, 60, n), "killed_civilians": rng.integers(0, 30, n),
        "min_distance_to_border_km": rng.uniform(0, 200, n),
        "incidents_last_3m": rng.integers(0, 15, n), "incidents_prev_9m": rng.integers(1, 40, n),
    })
    frame["incidents_per_1000_km2"] = frame["incidents"] / frame["area_km2"] * 1000
    frame["killed_per_1000_km2"] = frame["incidents_per_1000_km2"] * 1.3
    for column, value in overrides.items():
        frame[column] = value
    return frame


HOT = pd.DataFrame({"unit": [f"u{k}" for k in range(6)], "gi_bin": [3, 2, 1, 0, -1, 0]})


def _score(summary: pd.DataFrame, weights=DEFAULT_RISK_WEIGHTS) -> pd.Series:
    share = pd.Series(1.0, index=summary["unit"])
    return RiskIndex.compute(summary, HOT, "unit", weights, share).table.set_index("unit")["risk_score"]


@pytest.mark.parametrize(("column", "step"), [
    ("incidents_per_1000_km2", 5.0), ("killed_per_1000_km2", 5.0), ("killed_civilians", 5),
    ("min_distance_to_border_km", -20.0), ("incidents_last_3m", 3),
])
def test_score_is_monotone_in_each_component(column, step):
    base = _summary()
    before = _score(base)
    raised = base.copy()
    raised.loc[2, column] = raised.loc[2, column] + step
    after = _score(raised)
    assert after["u2"] >= before["u2"] - 1e-9


def test_components_are_on_zero_to_ten_and_recorded():
    summary = _summary()
    result = RiskIndex.compute(summary, HOT, "unit", DEFAULT_RISK_WEIGHTS, pd.Series(1.0, index=summary["unit"]))
    scores = result.table.filter(like="_score")
    assert ((scores >= 0) & (scores <= 10)).all().all()
    assert result.table.set_index("unit").loc["u0", "hotspot_score"] == 10.0
    assert result.parameters["weights"] == dict(DEFAULT_RISK_WEIGHTS)
    assert result.parameters["scale"] == "fixed" and result.parameters["period_years"] == 1.0
    assert result.parameters["fatality_density"]["per_1000_km2_per_year_at_10"] == 200.0
    # the breakpoints of the classes: 200 killed per 1,000 km² a year score 10, 201^0.8 − 1 score 8
    breakpoints = result.parameters["fatality_density"]["breakpoints_per_1000_km2_per_year"]
    assert breakpoints["10"] == 200.0 and breakpoints["8"] == pytest.approx(201 ** 0.8 - 1, abs=1e-3)
    relative = RiskIndex.compute(summary, HOT, "unit", DEFAULT_RISK_WEIGHTS, pd.Series(1.0, index=summary["unit"]),
                                 scale="relative")
    assert relative.parameters["scale"] == "relative" and "period_years" not in relative.parameters
    assert set(relative.parameters["incident_density"]) == {"log1p_min", "log1p_max"}


def test_weights_change_the_index():
    summary = _summary()
    only_proximity = tuple((k, 1.0 if k == "border_proximity" else 0.0) for k, _ in DEFAULT_RISK_WEIGHTS)
    score = _score(summary, only_proximity)
    expected = (10 * (1 - summary["min_distance_to_border_km"] / 100)).clip(0, 10).round(3)
    np.testing.assert_allclose(score.to_numpy(), expected.to_numpy(), atol=1e-3)


def test_classes_and_confidence():
    assert risk_class(pd.Series([0.0, 1.99, 2.0, 5.5, 7.99, 8.0, 10.0])).tolist() == [
        "very low", "very low", "low", "medium", "high", "very high", "very high"]
    assert confidence(pd.Series([30, 30, 6, 2]), pd.Series([0.9, 0.5, 1.0, 1.0])).tolist() == [
        "high", "medium", "medium", "low"]


def test_weights_from_toml(tmp_path):
    path = tmp_path / "geo.toml"
    path.write_text("[risk_weights]\ntrend = 0.5\n")
    assert dict(load_settings(path).risk_weights)["trend"] == 0.5
    path.write_text("[risk_weights]\nluck = 1\n")
    with pytest.raises(SettingsError, match="risk_weights"):
        load_settings(path)


def test_trend_score_with_and_without_a_base():
    recent, before = pd.Series([6, 3, 0, 3, 0, 9]), pd.Series([9, 18, 9, 0, 0, 0])
    # 2/month after 1/month → +1 (clipped) → 10; 1 after 2 → 0; none after some → 0;
    # some after quiet months → 10; none at all → 0
    np.testing.assert_allclose(trend_score(recent, before, (3, 9)), [10.0, 0.0, 0.0, 10.0, 0.0, 10.0])
    assert trend_score(pd.Series([3]), pd.Series([9]), (3, 9))[0] == pytest.approx(5.0)
    # a period of 3 months or fewer has no base: 5 (no trend claimed) with incidents, 0 without
    np.testing.assert_allclose(trend_score(pd.Series([4, 0]), pd.Series([0, 0]), (1, 0)), [5.0, 0.0])
    # a 6-month period: 3 recent months against 3 before, not 9
    assert trend_score(pd.Series([3]), pd.Series([3]), (3, 3))[0] == pytest.approx(5.0)


def test_components_without_variance_score_zero_and_confidence_stays_per_unit():
    summary = _summary(incidents=0, incidents_per_1000_km2=0.0, killed_per_1000_km2=0.0, killed_civilians=0,
                       incidents_last_3m=0, incidents_prev_9m=0)
    result = RiskIndex.compute(summary, HOT.assign(gi_bin=0), "unit", DEFAULT_RISK_WEIGHTS,
                               pd.Series(dtype=float), (3, 9), scale="relative")
    table = result.table
    for column in ("incident_density_score", "fatality_density_score", "civilian_harm_score", "trend_score",
                   "hotspot_score"):
        assert (table[column] == 0.0).all(), column
    assert result.parameters["incident_density"] == {"log1p_min": 0.0, "log1p_max": 0.0}
    # only border proximity is left: at most 0.1 × 10
    assert table["risk_score"].between(0, 1).all() and (table["risk_class"] == "very low").all()
    assert (table["confidence"] == "low").all()

    one = summary.copy()
    one.loc[0, ["incidents", "incidents_per_1000_km2", "killed_per_1000_km2", "incidents_last_3m"]] = [1, 0.5, 0.5, 1]
    table = RiskIndex.compute(one, HOT.assign(gi_bin=0), "unit", DEFAULT_RISK_WEIGHTS,
                              pd.Series({"u0": 1.0}), (3, 9), scale="relative").table.set_index("unit")
    # one incident makes its unit the maximum of the relative components; confidence says how little that means
    assert table.loc["u0", "incident_density_score"] == 10.0 and table.loc["u0", "trend_score"] == 10.0
    assert table.loc["u0", "confidence"] == "low"
    # on the fixed scale it scores what 0.5 incidents per 1,000 km² a year are worth: log(1.5) / log(51) × 10
    fixed = RiskIndex.compute(one, HOT.assign(gi_bin=0), "unit", DEFAULT_RISK_WEIGHTS,
                              pd.Series({"u0": 1.0}), (3, 9)).table.set_index("unit")
    assert fixed.loc["u0", "incident_density_score"] == pytest.approx(np.log(1.5) / np.log(51) * 10, abs=1e-3)
    assert (fixed.drop(index="u0")["incident_density_score"] == 0).all()
    assert set(table["risk_class"]) <= set(RISK_CLASS_LABELS) and set(table["confidence"]) <= set(CONFIDENCE_LEVELS)


def _density_scores(summary: pd.DataFrame, **options) -> pd.DataFrame:
    result = RiskIndex.compute(summary, HOT, "unit", DEFAULT_RISK_WEIGHTS, pd.Series(1.0, index=summary["unit"]),
                               **options)
    return result.table.set_index("unit")[["incident_density_score", "fatality_density_score",
                                           "civilian_harm_score", "risk_score"]]


def test_fixed_scale_keeps_a_unit_score_when_the_others_change():
    base = _summary()
    changed = base.copy()
    others = changed["unit"] != "u2"
    changed.loc[others, "incidents_per_1000_km2"] *= 7.0  # every other unit far more violent…
    changed.loc[others, "killed_per_1000_km2"] = 0.0  # …or without a death
    changed.loc[others, "killed_civilians"] = 500
    fixed = _density_scores(base), _density_scores(changed)
    pd.testing.assert_series_equal(fixed[0].loc["u2"], fixed[1].loc["u2"])
    relative = _density_scores(base, scale="relative"), _density_scores(changed, scale="relative")
    assert not relative[0].loc["u2"].equals(relative[1].loc["u2"])  # the relative scale moves with the others


def test_equal_intensity_scores_the_same_whatever_the_period_length():
    # January 2024 (31 days) and 2023–2024 (731 days), at the same daily rate
    short_years = period_years(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))
    long_years = period_years(pd.Timestamp("2023-01-01"), pd.Timestamp("2024-12-31"))
    assert short_years == pytest.approx(31 / 365.25) and long_years == pytest.approx(731 / 365.25)
    base = _summary()  # read as a year's counts and rates

    def over(days: int) -> pd.DataFrame:
        share = days / 365.25
        return base.assign(**{c: base[c] * share for c in
                              ("incidents_per_1000_km2", "killed_per_1000_km2", "killed_civilians")})

    short, long = over(31), over(731)
    first, second = _density_scores(short, years=short_years), _density_scores(long, years=long_years)
    columns = ["incident_density_score", "fatality_density_score", "civilian_harm_score"]
    pd.testing.assert_frame_equal(first[columns], second[columns])
    assert (first[columns].nunique() > 1).all()  # not trivially all 0 or all 10
    # without annualising, the 24-month period would score far higher
    unscaled = _density_scores(long, years=short_years)
    assert (unscaled["incident_density_score"] >= first["incident_density_score"]).all()
    assert (unscaled["incident_density_score"] > first["incident_density_score"]).any()


def test_fixed_scale_reaches_ten_at_its_reference_and_clips():
    at_ten = FIXED_SCALE["fatality_density"]
    summary = _summary(killed_per_1000_km2=[0.0, at_ten, 10 * at_ten, np.sqrt(at_ten + 1) - 1, 1.0, 2.0])
    scores = _density_scores(summary)["fatality_density_score"].to_numpy()
    np.testing.assert_allclose(scores[:4], [0.0, 10.0, 10.0, 5.0], atol=1e-3)


def test_relative_scale_is_min_max_of_the_logs():
    summary = _summary()
    scores = _density_scores(summary, scale="relative")["incident_density_score"].to_numpy()
    logged = np.log1p(summary["incidents_per_1000_km2"].to_numpy())
    np.testing.assert_allclose(scores, ((logged - logged.min()) / np.ptp(logged) * 10).round(3))


@pytest.mark.parametrize(("text", "message"), [
    ('risk_scale = "absolute"', "risk_scale must be one of fixed, relative, got 'absolute'"),
    ("risk_scale = 1", "setting risk_scale in .* must be str"),
    ('hotspot_inference = "bootstrap"', "hotspot_inference must be one of normal, permutation, got 'bootstrap'"),
])
def test_scale_and_inference_settings_are_checked(tmp_path, text, message):
    path = tmp_path / "geo.toml"
    path.write_text(text + "\n")
    with pytest.raises(SettingsError, match=message):
        load_settings(path)
    path.write_text('risk_scale = "relative"\nhotspot_inference = "permutation"\n')
    settings = load_settings(path)
    assert (settings.risk_scale, settings.hotspot_inference) == ("relative", "permutation")
    with pytest.raises(ValueError, match="scale must be one of"):
        RiskIndex.compute(_summary(), HOT, "unit", DEFAULT_RISK_WEIGHTS, pd.Series(dtype=float), scale="z")


def _district_scores(layers, rows: list[tuple[str, str, int]], start: str, end: str, scale: str = "fixed"):
    """Risk table of the real districts for incidents ``rows`` (district name, date, killed civilians)."""
    from geo.metrics.units import COUNT_COLUMNS, trend_months, unit_summary

    districts = layers["districts"]
    ids = dict(zip(districts["district"], districts["district_id"], strict=True))
    incidents = pd.DataFrame([{"district_id": ids[name], "date": date, **dict.fromkeys(COUNT_COLUMNS, 0),
                               "killed": 2 * killed, "killed_civilians": killed, "geo_precision": 1}
                              for name, date, killed in rows])
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    summary = unit_summary(incidents, districts, "district_id", first, last).assign(min_distance_to_border_km=50.0)
    hotspots = summary[["district_id"]].assign(gi_bin=0)
    table = RiskIndex.compute(summary, hotspots, "district_id", DEFAULT_RISK_WEIGHTS, pd.Series(dtype=float),
                              trend_months(first, last), scale=scale, years=period_years(first, last)).table
    return table.assign(district=districts.set_index("district_id").loc[table["district_id"], "district"].to_numpy()
                        ).set_index("district")


DENSITY = ["incident_density_score", "fatality_density_score", "civilian_harm_score"]


def test_on_real_districts_a_district_keeps_its_fixed_score_when_others_change(layers):
    bannu = [("Bannu", f"2024-{m:02d}-10", 1) for m in range(1, 13)] * 3  # 36 incidents in 2024
    quiet = bannu + [("Lakki Marwat", "2024-06-10", 0)] * 4
    violent = bannu + [("Lakki Marwat", "2024-06-10", 9)] * 300 + [("North Waziristan", "2024-03-03", 5)] * 400
    scores = {name: _district_scores(layers, rows, "2024-01-01", "2024-12-31") for name, rows in
              (("quiet", quiet), ("violent", violent))}
    pd.testing.assert_series_equal(scores["quiet"].loc["Bannu", DENSITY], scores["violent"].loc["Bannu", DENSITY])
    assert scores["quiet"].loc["Bannu", "incident_density_score"] > 0
    relative = {name: _district_scores(layers, rows, "2024-01-01", "2024-12-31", "relative") for name, rows in
                (("quiet", quiet), ("violent", violent))}
    # relative: Bannu tops the quiet year and falls when Lakki Marwat and North Waziristan flare up
    assert relative["quiet"].loc["Bannu", "incident_density_score"] == 10.0
    assert relative["violent"].loc["Bannu", "incident_density_score"] < 10.0


def test_on_real_districts_one_month_and_two_years_of_equal_intensity_score_the_same(layers):
    # an incident every 5 days in Bannu and every 10 in Khyber, over 30 days and over 730
    def rows(start: str, days: int) -> list[tuple[str, str, int]]:
        dates = pd.date_range(start, periods=days, freq="D").strftime("%Y-%m-%d")
        return [("Bannu", d, 1) for d in dates[::5]] + [("Khyber", d, 0) for d in dates[::10]]

    month = _district_scores(layers, rows("2024-01-01", 30), "2024-01-01", "2024-01-30")
    two_years = _district_scores(layers, rows("2023-01-01", 730), "2023-01-01", "2024-12-30")
    for district in ("Bannu", "Khyber", "Swat"):
        np.testing.assert_allclose(month.loc[district, DENSITY].to_numpy(dtype=float),
                                   two_years.loc[district, DENSITY].to_numpy(dtype=float), atol=2e-3)
    assert 10 > month.loc["Bannu", "incident_density_score"] > month.loc["Khyber", "incident_density_score"] > 0
    assert month.loc["Swat", "incident_density_score"] == 0
