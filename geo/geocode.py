"""Offline geocoding of place names with a gazetteer of GeoNames places and the
tehsil and district names of ``boundaries/``.

A name is matched on its normalised form (case, accents, punctuation and
spelling variants folded: Killa/Qila, D.I. Khan, Kote/Kot), exactly or fuzzily
(rapidfuzz, score ≥ ``MIN_SCORE``). The row's own province and district hints
choose between namesakes. A name that stays ambiguous, or is unknown, is
rejected with its candidates; when the row's district hint names a district,
its centroid is used instead and said so (``admin_centroid``, precision 2).
Each distinct (place, province hint, district hint) is resolved once.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from rapidfuzz import fuzz, process

from geo import boundaries
from geo.boundaries.names import compact
from geo.config import default_settings

MIN_SCORE = 85.0
# Candidates closer than this are one place (a town and the tehsil named after it).
SAME_PLACE_KM = 25.0
_GEOD = Geod(ellps="WGS84")
# Kinds of gazetteer entry, best first when a name fits several at one spot.
_KIND_RANK = {"place": 0, "tehsil": 1, "district": 2}
_PRECISION = {"place": 1, "tehsil": 2, "district": 2}

# Spellings of provinces in incident data → today's province (FATA merged into KP in 2018).
_PROVINCE_ALIASES = {
    "khyberpakhtunkhwa": "Khyber Pakhtunkhwa", "khyberpakhtunkwa": "Khyber Pakhtunkhwa",
    "khyberpakhtoonkhwa": "Khyber Pakhtunkhwa", "kp": "Khyber Pakhtunkhwa", "kpk": "Khyber Pakhtunkhwa",
    "nwfp": "Khyber Pakhtunkhwa", "northwestfrontierprovince": "Khyber Pakhtunkhwa",
    "fata": "Khyber Pakhtunkhwa", "federallyadministeredtribalareas": "Khyber Pakhtunkhwa",
    "balochistan": "Balochistan", "baluchistan": "Balochistan", "balochistanprovince": "Balochistan",
    # outside the study area, as GeoNames names them
    "punjab": "Punjab", "sindh": "Sindh", "sind": "Sindh", "islamabad": "Islamabad",
    "islamabadcapitalterritory": "Islamabad", "gilgitbaltistan": "Gilgit-Baltistan",
    "azadjammuandkashmir": "Azad Jammu and Kashmir", "azadkashmir": "Azad Jammu and Kashmir",
}


def province_from_hint(hint: str | None) -> str | None:
    """Today's province named by a hint such as "Khyber Pakhtunkwa province" or "FATA"."""
    if not hint or pd.isna(hint):
        return None
    key = compact(hint).removesuffix("province")
    return _PROVINCE_ALIASES.get(key)


@dataclasses.dataclass(frozen=True)
class Match:
    """The outcome of geocoding one name."""

    lat: float | None
    lon: float | None
    method: str  # gazetteer | admin_centroid | "" when rejected
    score: float | None
    precision: int | None
    reason: str  # "" | unknown_place | ambiguous_place
    detail: str


class Gazetteer:
    """Names to coordinates, built from the committed boundary layers.

    Parameters
    ----------
    boundaries_dir
        Folder with ``geonames_places.csv`` and the layers; the project's by default.
    """

    def __init__(self, boundaries_dir: Path | None = None) -> None:
        folder = Path(boundaries_dir) if boundaries_dir else default_settings().boundaries_dir
        places = pd.read_csv(folder / "geonames_places.csv", keep_default_na=False)
        places = places[places["country"] == "Pakistan"].reset_index(drop=True)
        tehsils = boundaries.load("tehsils", boundaries_dir=folder)
        # Names of every vintage (South Waziristan and Lower South Waziristan), so
        # geocoding does not depend on the vintage; a name in several keeps today's.
        districts = pd.concat([boundaries.load(layer, boundaries_dir=folder)
                               for layer in boundaries.DISTRICT_LAYERS.values()], ignore_index=True)
        districts = districts.drop_duplicates("district_id").reset_index(drop=True)
        tehsil_points = shapely.point_on_surface(tehsils.geometry.values)
        district_points = shapely.point_on_surface(districts.geometry.values)
        # GeoNames places carry GeoNames' province; place them in our districts by position.
        located = self._locate(places["lon"].to_numpy(), places["lat"].to_numpy(), tehsils)
        # Outside the study area a place keeps GeoNames' own first-level unit.
        outside = located["province"].isna()
        located.loc[outside, "province"] = places.loc[outside, "adm1"].replace("", None)
        entries = pd.concat([
            pd.DataFrame({"name": places["name"], "kind": "place", "lat": places["lat"], "lon": places["lon"],
                          "province": located["province"], "district": located["district"],
                          "population": places["population"]}),
            pd.DataFrame({"name": tehsils["tehsil"], "kind": "tehsil", "lat": shapely.get_y(tehsil_points),
                          "lon": shapely.get_x(tehsil_points), "province": tehsils["province"],
                          "district": tehsils["district"], "population": 0}),
            pd.DataFrame({"name": districts["district"], "kind": "district", "lat": shapely.get_y(district_points),
                          "lon": shapely.get_x(district_points), "province": districts["province"],
                          "district": districts["district"], "population": 0}),
        ], ignore_index=True)
        entries["key"] = [compact(str(n)) for n in entries["name"].fillna("")]
        self.entries = entries[entries["key"] != ""].reset_index(drop=True)
        self._by_key = {k: g.index.to_numpy() for k, g in self.entries.groupby("key")}
        self._keys = list(self._by_key)
        self._districts = {compact(d): (d, p, la, lo) for d, p, la, lo in zip(
            districts["district"], districts["province"], shapely.get_y(district_points),
            shapely.get_x(district_points), strict=True)}

    @staticmethod
    def _locate(lon: np.ndarray, lat: np.ndarray, tehsils) -> pd.DataFrame:
        tree = shapely.STRtree(tehsils.geometry.values)
        point_idx, tehsil_idx = tree.query(shapely.points(lon, lat), predicate="intersects")
        province = np.full(len(lon), None, dtype=object)
        district = np.full(len(lon), None, dtype=object)
        province[point_idx] = tehsils["province"].to_numpy()[tehsil_idx]
        district[point_idx] = tehsils["district"].to_numpy()[tehsil_idx]
        return pd.DataFrame({"province": province, "district": district})

    def district_hint(self, hint: str | None) -> tuple[str, str, float, float] | None:
        """The district a hint such as "Khyber agency" or "FR Kohat" names, if any."""
        if not hint or pd.isna(hint):
            return None
        key = compact(str(hint).replace("agency", "").replace("Agency", ""))
        key = key.removeprefix("frontierregion")
        return self._districts.get(key)

    def candidates(self, name: str) -> pd.DataFrame:
        """Gazetteer entries whose name fits ``name``, with their ``score``."""
        key = compact(name)
        if not key:
            return self.entries.iloc[0:0].assign(score=[])
        if key in self._by_key:
            rows = self.entries.loc[self._by_key[key]].assign(score=100.0)
        else:
            found = process.extract(key, self._keys, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=20)
            if not found:
                return self.entries.iloc[0:0].assign(score=[])
            best = max(score for _, score, _ in found)
            keys = [k for k, score, _ in found if score == best]
            rows = self.entries.loc[np.concatenate([self._by_key[k] for k in keys])].assign(score=best)
        return rows

    def match(self, name: str | None, province_hint: str | None = None, district_hint: str | None = None) -> Match:
        """Resolve one name; see the module docstring for the rules."""
        province = province_from_hint(province_hint)
        district = self.district_hint(district_hint)
        found = self.candidates(name) if name and not pd.isna(name) else self.entries.iloc[0:0]
        elsewhere_note = ""
        if province is not None and len(found):
            outside = found[found["province"] != province]
            found = found[found["province"] == province]
            if len(outside) and not len(found):
                elsewhere_note = f" in {province} (only elsewhere: {', '.join(sorted(set(outside['name'])))})"
        if district is not None and len(found):
            same = found[found["district"] == district[0]]
            found = same if len(same) else found
        if len(found):
            found = _one_entry_per_place(found)
            best = found.iloc[0]
            _, _, distance = _GEOD.inv(np.full(len(found), best["lon"]), np.full(len(found), best["lat"]),
                                       found["lon"].to_numpy(), found["lat"].to_numpy())
            if (distance > SAME_PLACE_KM * 1000.0).any():
                listing = "; ".join(sorted({f"{r.name} ({_where(r.district, r.province)})"
                                            for r in found.itertuples()}))
                return Match(None, None, "", None, None, "ambiguous_place", f"candidates: {listing}")
            return Match(float(best["lat"]), float(best["lon"]), "gazetteer", float(best["score"]),
                         _PRECISION[best["kind"]], "", f"{best['name']} ({best['kind']})")
        if district is not None:
            name_d, _, lat, lon = district
            return Match(float(lat), float(lon), "admin_centroid", None, 2, "",
                         f"centroid of {name_d} district (place {name!r} not found)")
        return Match(None, None, "", None, None, "unknown_place", f"{name!r} not in the gazetteer{elsewhere_note}")


def _where(district: object, province: object) -> str:
    for value in (district, province):
        if isinstance(value, str) and value:
            return value
    return "unknown province"


def _one_entry_per_place(found: pd.DataFrame) -> pd.DataFrame:
    """Best first, one entry per place: a town, the tehsil and the district that
    bear its name are one place at three precisions; towns are preferred, then
    the most populous."""
    found = found.assign(rank=found["kind"].map(_KIND_RANK), people=-found["population"].fillna(0))
    found = found.sort_values(["rank", "people"], kind="stable")
    towns = found[found["kind"] == "place"]
    if len(towns):
        covered = set(towns["district"].dropna())
        found = pd.concat([towns, found[(found["kind"] != "place") & ~found["district"].isin(covered)]])
    return found.drop_duplicates(subset=["district"], keep="first") if found["district"].notna().all() else found


def geocode(frame: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Resolve ``place`` (with ``source_admin1``/``source_admin2`` as hints) for
    every row; each distinct combination is resolved once.

    Returns a frame aligned with ``frame``: lat, lon, geocode_method,
    geocode_score, geo_precision, reason, detail.
    """
    keys = frame[["place", "source_admin1", "source_admin2"]].astype("string").fillna("")
    unique = keys.drop_duplicates().reset_index(drop=True)
    matches = [gazetteer.match(place or None, admin1 or None, admin2 or None)
               for place, admin1, admin2 in unique.itertuples(index=False, name=None)]
    resolved = unique.assign(
        lat=[m.lat for m in matches], lon=[m.lon for m in matches],
        geocode_method=[m.method or None for m in matches], geocode_score=[m.score for m in matches],
        geo_precision=[m.precision for m in matches], reason=[m.reason for m in matches],
        detail=[m.detail for m in matches],
    )
    # Back to every row by a join on the names, not a loop over rows.
    out = keys.merge(resolved, on=["place", "source_admin1", "source_admin2"], how="left")
    out.index = frame.index
    return out.drop(columns=["place", "source_admin1", "source_admin2"])
