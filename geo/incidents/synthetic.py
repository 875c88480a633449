"""A seeded, deterministic generator of SYNTHETIC incidents, labelled as such in
every record.

The pattern resembles the one reported for 2024–2025, without copying any real
event: clusters in the former FATA districts, Bannu, Lakki Marwat, D.I. Khan,
Quetta, Kech and along the border, fewer elsewhere; about 1.1 killed per event
split by victim category, so that 2,000 events over Jan 2024–Mar 2025 give
monthly totals of the order of the real ones (with the seed of ``geo run``:
1,658 killed in 2024, at least 106 a month). It writes canonical columns or
an ACLED-format file (for benchmarks with a million rows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo import boundaries

SYNTHETIC_SOURCE = "SYNTHETIC (geo generator, not real data)"
SYNTHETIC_TAG = "synthetic"
# Relative weight of each of today's districts; districts not listed get OTHER_WEIGHT.
DISTRICT_WEIGHTS = {
    "North Waziristan": 14.0, "Upper South Waziristan": 4.0, "Lower South Waziristan": 4.0,
    "Khyber": 7.0, "Bajaur": 5.0, "Kurram": 5.0,
    "Mohmand": 3.0, "Orakzai": 3.0, "Bannu": 9.0, "Lakki Marwat": 7.0, "Dera Ismail Khan": 8.0, "Tank": 4.0,
    "Peshawar": 5.0, "Kohat": 2.0, "Quetta": 6.0, "Kech": 5.0, "Gwadar": 2.0, "Panjgur": 2.0, "Mastung": 2.0,
    "Kalat": 2.0, "Killa Abdullah": 2.0, "Chaman": 2.0, "Zhob": 2.0, "Khuzdar": 2.0, "Pishin": 1.5,
    "Chagai": 1.5, "Nushki": 1.0, "Upper Chitral": 1.0, "Lower Chitral": 1.0,
}
OTHER_WEIGHT = 0.3
MEAN_KILLED = 1.1
EVENT_TYPES = ("armed clash", "IED attack", "suicide attack", "targeted killing", "attack on checkpost",
               "security operation")
TARGETS = ("security_forces", "civilians", "militants", "mixed")
TARGET_SHARES = (0.45, 0.35, 0.10, 0.10)


def generate(n: int, seed: int = 1, start: str = "2024-01-01", end: str = "2025-03-31",
             boundaries_dir: Path | None = None) -> pd.DataFrame:
    """``n`` synthetic incidents in canonical column names (``synthetic`` is True).

    The same ``n``, ``seed`` and period give the same rows.
    """
    rng = np.random.default_rng(seed)
    districts = boundaries.load("districts", boundaries_dir=boundaries_dir).sort_values("district_id")
    weights = districts["district"].map(DISTRICT_WEIGHTS).fillna(OTHER_WEIGHT).to_numpy(dtype=float)
    counts = rng.multinomial(n, weights / weights.sum())
    lon, lat, district, province = [], [], [], []
    for row, k in zip(districts.itertuples(), counts, strict=True):
        x, y = _uniform_points(row.geometry, int(k), rng)
        lon.append(x)
        lat.append(y)
        district += [row.district] * int(k)
        province += [row.province] * int(k)
    order = rng.permutation(n)
    lon, lat = np.concatenate(lon)[order], np.concatenate(lat)[order]
    district, province = np.asarray(district, dtype=object)[order], np.asarray(province, dtype=object)[order]

    days = pd.date_range(start, end, freq="D")
    trend = np.linspace(0.8, 1.2, len(days))  # violence rising over the period
    date = days[rng.choice(len(days), size=n, p=trend / trend.sum())]
    killed = rng.negative_binomial(1, 1.0 / (1.0 + MEAN_KILLED), size=n)
    target = np.asarray(TARGETS, dtype=object)[rng.choice(len(TARGETS), size=n, p=TARGET_SHARES)]
    militants = rng.binomial(killed, 0.25)
    victims = killed - militants
    half = victims // 2
    civilians = np.select([target == "civilians", target == "mixed"], [victims, half], 0)
    security = np.select([target == "security_forces", target == "mixed"], [victims, victims - half], 0)
    militants = np.where(target == "militants", killed, militants)
    civilians = np.where(target == "militants", 0, civilians)
    security = np.where(target == "militants", 0, security)
    return pd.DataFrame({
        "source": SYNTHETIC_SOURCE,
        "synthetic": True,
        "source_id": [f"SYN-{seed}-{k:07d}" for k in range(1, n + 1)],
        "date": date.strftime("%Y-%m-%d"),
        "date_precision": "day",
        "lat": np.round(lat, 5), "lon": np.round(lon, 5),
        "geo_precision": 1,
        "place": district,
        "source_admin1": province,
        "source_admin2": district,
        "event_type": np.asarray(EVENT_TYPES, dtype=object)[rng.integers(0, len(EVENT_TYPES), n)],
        "perpetrator": "SYNTHETIC actor",
        "target_category": target,
        "killed": killed, "killed_civilians": civilians, "killed_security": security,
        "killed_militants": militants,
        "injured": rng.negative_binomial(1, 1.0 / (1.0 + 1.5 * MEAN_KILLED), size=n),
        "notes": "SYNTHETIC record made by geo's generator; not a real event.",
    })


def _uniform_points(polygon: shapely.Geometry, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``k`` points uniform in ``polygon`` (in degrees), by rejection from its bounds."""
    west, south, east, north = polygon.bounds
    shapely.prepare(polygon)
    xs, ys, have = [np.empty(0)], [np.empty(0)], 0
    while have < k:
        x = rng.uniform(west, east, max(64, 2 * (k - have)))
        y = rng.uniform(south, north, x.size)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:k], np.concatenate(ys)[:k]


def to_acled(frame: pd.DataFrame) -> pd.DataFrame:
    """The same incidents as an ACLED export (tags = "synthetic").

    ACLED has no victim split: ``fatalities`` is the total.
    """
    from geo.incidents.readers import ACLED_COLUMNS

    inter2 = pd.Series(frame["target_category"]).map(
        {"security_forces": 1, "civilians": 7, "militants": 2, "mixed": 1}).to_numpy()
    out = pd.DataFrame({
        "event_id_cnty": frame["source_id"], "event_date": frame["date"],
        "year": frame["date"].str[:4], "time_precision": 1, "disorder_type": "Political violence",
        "event_type": "Battles", "sub_event_type": frame["event_type"], "actor1": frame["perpetrator"],
        "inter1": 2, "actor2": "", "inter2": inter2, "civilian_targeting": np.where(inter2 == 7, "Civilian targeting", ""),
        "iso": 586, "region": "Southern Asia", "country": "Pakistan", "admin1": frame["source_admin1"],
        "admin2": frame["source_admin2"], "location": frame["place"], "latitude": frame["lat"],
        "longitude": frame["lon"], "geo_precision": 1, "source": SYNTHETIC_SOURCE, "source_scale": "Other",
        "notes": frame["notes"], "fatalities": frame["killed"], "tags": SYNTHETIC_TAG, "timestamp": 0,
    })
    return out.reindex(columns=ACLED_COLUMNS, fill_value="")
