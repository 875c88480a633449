"""Offline geocoding of place names with a gazetteer of GeoNames places (with
their alternate names) and the tehsil and district names of ``boundaries/``.

A place string is first parsed (:mod:`geo.placenames`): "Miranshah town" is
looked up as "Miranshah", "Mir Ali area of North Waziristan" as "Mir Ali" with
North Waziristan as a district hint. The parsed name is tried first, then its
other names, then the string as written, then the landmark of "A near B". A
name is matched on its normalised form (case, accents, punctuation and
spelling variants folded: Killa/Qila, D.I. Khan, Kote/Kot), exactly or fuzzily
(rapidfuzz, score ≥ ``MIN_SCORE``); a GeoNames primary name beats an alternate
name of another place. The row's province and district hints, and the units the
phrase names, choose between namesakes. A name that stays ambiguous is
rejected with its candidates; an unknown one is placed at the centroid of the
tehsil or district the row or the phrase names (``admin_centroid``, precision
2), or else rejected: a place is never guessed. Each distinct (place, province
hint, district hint) is resolved once.
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
from geo.filenames import GEONAMES_ALTERNATES_CSV, GEONAMES_PLACES_CSV
from geo.placenames import (
    DISTRICT,
    PROVINCE,
    REGION,
    TEHSIL,
    ParsedPlace,
    Unit,
    name_key,
    parse_place,
    parse_unit,
)

MIN_SCORE = 85.0
# Candidates closer than this are one place (a town and the tehsil named after it).
SAME_PLACE_KM = 25.0
_GEOD = Geod(ellps="WGS84")
# Kinds of gazetteer entry, best first when a name fits several at one spot.
_KIND_RANK = {"place": 0, "tehsil": 1, "district": 2}
_PRECISION = {"place": 1, "tehsil": 2, "district": 2}
# A string that names a unit prefers entries of that kind ("Tank district" is the
# district, not the town of Tank).
_PREFERRED_KINDS = {DISTRICT: ("district", "tehsil"), TEHSIL: ("tehsil", "district")}

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
    "azadjammuandkashmir": "Azad Jammu and Kashmir", "azadjammukashmir": "Azad Jammu and Kashmir",
    "azadkashmir": "Azad Jammu and Kashmir",
}


def province_from_hint(hint: str | None) -> str | None:
    """Today's province named by a hint such as "Khyber Pakhtunkwa province" or "FATA"."""
    if not isinstance(hint, str) or not hint:
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
    parsed: str = ""  # the parts of the place string (ParsedPlace.describe)


@dataclasses.dataclass(frozen=True)
class UnitHint:
    """A tehsil or district that a row or a phrase names."""

    kind: str  # tehsil | district
    name: str
    district: str
    province: str
    lat: float
    lon: float


@dataclasses.dataclass(frozen=True)
class _Hints:
    province: str | None = None
    district: UnitHint | None = None
    tehsil: UnitHint | None = None
    used: tuple[str, ...] = ()  # unit texts that named a unit (not other names of the place)


class Gazetteer:
    """Names to coordinates, built from the committed boundary layers.

    Parameters
    ----------
    boundaries_dir
        Folder with ``geonames_places.csv``, ``geonames_alternates.csv`` (optional)
        and the layers; the project's by default.
    """

    def __init__(self, boundaries_dir: Path | None = None) -> None:
        folder = Path(boundaries_dir) if boundaries_dir else default_settings().boundaries_dir
        places = pd.read_csv(folder / GEONAMES_PLACES_CSV, keep_default_na=False)
        places = places[places["country"] == "Pakistan"].reset_index(drop=True)
        alternates_path = folder / GEONAMES_ALTERNATES_CSV
        alternates = pd.DataFrame({"geonames_id": [], "name": []})
        if alternates_path.exists():
            alternates = pd.read_csv(alternates_path, keep_default_na=False, dtype={"geonames_id": int, "name": str})
        tehsils = boundaries.load("tehsils", boundaries_dir=folder)
        # Names of every vintage (South Waziristan and Lower South Waziristan), so
        # geocoding does not depend on the vintage; a name in several keeps today's.
        districts = pd.concat([boundaries.load(layer, boundaries_dir=folder)
                               for layer in boundaries.DISTRICT_LAYERS.values()], ignore_index=True)
        districts = districts.drop_duplicates("district_id").reset_index(drop=True)
        entries = _entries(places, alternates, tehsils, districts)
        entries["key"] = [name_key(str(n)) for n in entries["name"]]
        self.entries = entries[entries["key"] != ""].reset_index(drop=True)
        # Plain records: a lookup filters a handful of candidates, cheaper than frames.
        self._records = [{k: (None if not isinstance(v, str | bool) and pd.isna(v) else v)
                          for k, v in r.items()} for r in self.entries.astype(object).to_dict("records")]
        # .indices, not a loop over the groups (a tenth of the time); keys in sorted order as before
        positions = self.entries.groupby("key").indices
        self._by_key = {k: positions[k] for k in sorted(positions)}
        self._keys = list(self._by_key)
        self._units = _unit_index(tehsils, districts)

    def unit_hint(self, text: str | None, kind: str | None = None,
                  within: str | None = None) -> UnitHint | None:
        """The district or tehsil a hint such as "Khyber agency", "FR Kohat" or
        "Tehsil Samani" names, if exactly one fits.

        Parameters
        ----------
        kind
            ``tehsil`` or ``district`` when the hint's feature word says so
            (tried first); None tries districts first.
        within
            A district the tehsil must lie in, to tell namesakes apart.
        """
        if not isinstance(text, str) or not text.strip():
            return None
        for unit in reversed(parse_unit(text)):  # the most specific part first
            found = self._resolve_unit(unit if kind is None else Unit(unit.name, kind, unit.text), within)
            if found is not None:
                return found
        return None

    def _resolve_unit(self, unit: Unit, within: str | None = None) -> UnitHint | None:
        if unit.kind not in (None, TEHSIL, DISTRICT):
            return None
        order = ("tehsil", "district") if unit.kind == TEHSIL else ("district", "tehsil")
        keys = list(dict.fromkeys(k for k in (compact(unit.text), compact(unit.name)) if k))
        for kind in order:
            for key in keys:
                hints = self._units[kind].get(key, [])
                if within is not None and len(hints) > 1:
                    hints = [h for h in hints if h.district == within]
                if len(hints) == 1:
                    return hints[0]
        return None

    def candidates(self, name: str) -> pd.DataFrame:
        """Gazetteer entries whose name fits ``name``, with their ``score``.

        An exact key beats a fuzzy one; a fuzzy key that is the name with letters
        added or dropped at one end is no match.
        """
        rows = self._candidates(name)
        return pd.DataFrame(rows, columns=[*self.entries.columns, "score"]) if rows else \
            self.entries.iloc[0:0].assign(score=[])

    def _candidates(self, name: str) -> list[dict]:
        key = name_key(name)
        if not key:
            return []
        if key in self._by_key:
            return [{**self._records[i], "score": 100.0} for i in self._by_key[key]]
        found = process.extract(key, self._keys, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=20)
        # A name that only adds letters at one end of another is another place
        # (Mirpur / Mirpura, Kot / Kotla), not a spelling of it.
        found = [f for f in found if not (f[0].startswith(key) or key.startswith(f[0])
                                          or f[0].endswith(key) or key.endswith(f[0]))]
        if not found:
            return []
        best = max(score for _, score, _ in found)
        return [{**self._records[i], "score": best} for k, score, _ in found if score == best
                for i in self._by_key[k]]

    def match(self, name: str | None, province_hint: str | None = None,
              district_hint: str | None = None) -> Match:
        """Resolve one place string; see the module docstring for the rules."""
        parsed = parse_place(name) if isinstance(name, str) and name.strip() else None
        hints = self._hints(parsed, province_hint, district_hint)
        notes: list[str] = []
        for lookup, cap, prefer in _lookups(parsed, hints):
            found = self._resolve(lookup, hints, prefer, notes)
            if found is not None:
                method, lat, lon, score, precision, reason, detail = found
                if precision is not None:
                    precision = max(precision, cap)
                shown = lookup if parsed is not None and lookup != parsed.name else None
                return Match(lat, lon, method, score, precision, reason, detail,
                             _describe(parsed, hints, shown))
        described = _describe(parsed, hints)
        for unit in (hints.tehsil, hints.district):
            if unit is not None:
                where = (f"{unit.name} tehsil ({unit.district})" if unit.kind == "tehsil"
                         else f"{unit.name} district")
                return Match(unit.lat, unit.lon, "admin_centroid", None, 2, "",
                             f"centroid of {where} (place {name!r} not found)", described)
        if parsed is not None and parsed.feature_kind == PROVINCE:
            notes.append(" (it names a province only)")
        detail = f"{name!r} not in the gazetteer{''.join(dict.fromkeys(notes))}"
        return Match(None, None, "", None, None, "unknown_place", detail, described)

    def _hints(self, parsed: ParsedPlace | None, province_hint: str | None,
               district_hint: str | None) -> _Hints:
        """Province, district and tehsil from the row's own fields, then from the phrase."""
        province = province_from_hint(province_hint)
        row_units = parse_unit(district_hint) if isinstance(district_hint, str) else []
        # Other names of the place may name its unit instead: "X (North Waziristan)".
        phrase_units = [*parsed.units, *(Unit(a, None, a) for a in parsed.alternatives)] if parsed else []
        if province is None:
            province = next((p for p in (province_from_hint(u.text) or province_from_hint(u.name)
                                         for u in phrase_units) if p), None)
        district = tehsil = None
        used = []
        for unit in row_units + phrase_units:
            hint = self._resolve_unit(unit, district.name if district else None)
            if hint is None or (province is not None and hint.province != province):
                continue
            if hint.kind == "district" and district is None:
                district = hint
            elif hint.kind == "tehsil" and tehsil is None and district in (None, self._district_of(hint)):
                tehsil = hint
                district = district or self._district_of(hint)
            else:
                continue
            used.append(unit.name)
        return _Hints(province, district, tehsil, tuple(used))

    def _district_of(self, tehsil: UnitHint) -> UnitHint | None:
        return self._resolve_unit(Unit(tehsil.district, DISTRICT, tehsil.district))

    def _resolve(self, name: str, hints: _Hints, prefer: tuple[str, ...] | None,
                 notes: list[str]) -> tuple | None:
        """Match one name under the hints, or None when no entry fits it."""
        found = self._candidates(name)
        if hints.province is not None and found:
            outside = [r for r in found if r["province"] != hints.province]
            found = [r for r in found if r["province"] == hints.province]
            if outside and not found:
                elsewhere = ", ".join(sorted({r["primary"] for r in outside}))
                notes.append(f" in {hints.province} (only elsewhere: {elsewhere})")
        for column, unit in (("district", hints.district), ("tehsil", hints.tehsil)):
            if unit is not None:
                found = [r for r in found if r[column] == unit.name] or found
        # Of the entries the hints leave, a GeoNames primary name beats an
        # alternate name of another place.
        found = [r for r in found if not r["alternate"]] or found
        for kind in prefer or ():
            if any(r["kind"] == kind for r in found):
                found = [r for r in found if r["kind"] == kind]
                break
        if not found:
            return None
        found = _one_entry_per_place(found)
        best = found[0]
        _, _, distance = _GEOD.inv(np.full(len(found), best["lon"]), np.full(len(found), best["lat"]),
                                   np.array([r["lon"] for r in found]), np.array([r["lat"] for r in found]))
        if (distance > SAME_PLACE_KM * 1000.0).any():
            listing = "; ".join(sorted({f"{r['primary']} ({_where(r['district'], r['province'])})"
                                        for r in found}))
            return "", None, None, None, None, "ambiguous_place", f"candidates: {listing}"
        known_as = f", as {best['name']}" if best["alternate"] else ""
        return ("gazetteer", float(best["lat"]), float(best["lon"]), float(best["score"]),
                _PRECISION[best["kind"]], "", f"{best['primary']} ({best['kind']}{known_as})")


def _entries(places: pd.DataFrame, alternates: pd.DataFrame, tehsils: pd.DataFrame,
             districts: pd.DataFrame) -> pd.DataFrame:
    """Every name the gazetteer knows, one row per name: GeoNames places and
    their alternate names, tehsils (and the parts of "Samarbagh (Barwa)") and
    districts, each with its point, province, district and tehsil."""
    tehsil_points = shapely.point_on_surface(tehsils.geometry.values)
    district_points = shapely.point_on_surface(districts.geometry.values)
    # GeoNames places carry GeoNames' province; place them in our tehsils by position.
    located = _locate(places["lon"].to_numpy(), places["lat"].to_numpy(), tehsils)
    # Outside the study area a place keeps GeoNames' own first-level unit.
    outside = located["province"].isna()
    located.loc[outside, "province"] = places.loc[outside, "adm1"].replace("", None)
    place_entries = pd.DataFrame({
        "name": places["name"], "kind": "place", "lat": places["lat"], "lon": places["lon"],
        "province": located["province"], "district": located["district"], "tehsil": located["tehsil"],
        "population": places["population"], "place_id": "geonames:" + places["geonames_id"].astype(str)})
    tehsil_entries = pd.DataFrame({
        "name": tehsils["tehsil"], "kind": "tehsil", "lat": shapely.get_y(tehsil_points),
        "lon": shapely.get_x(tehsil_points), "province": tehsils["province"],
        "district": tehsils["district"], "tehsil": tehsils["tehsil"], "population": 0,
        "place_id": tehsils["tehsil_id"]})
    district_entries = pd.DataFrame({
        "name": districts["district"], "kind": "district", "lat": shapely.get_y(district_points),
        "lon": shapely.get_x(district_points), "province": districts["province"],
        "district": districts["district"], "tehsil": None, "population": 0,
        "place_id": districts["district_id"]})
    by_id = place_entries.set_index(places["geonames_id"].to_numpy())
    known = alternates[alternates["geonames_id"].isin(by_id.index)]
    alternate_entries = by_id.loc[known["geonames_id"].to_numpy()].reset_index(drop=True)
    bracketed = [(i, part) for i, name in tehsil_entries["name"].items() for part in _bracket_parts(name)[1:]]
    bracketed_entries = tehsil_entries.loc[[i for i, _ in bracketed]].reset_index(drop=True)
    other_names = [(alternate_entries, list(known["name"])), (bracketed_entries, [n for _, n in bracketed])]
    return pd.concat(
        [e.assign(primary=e["name"], alternate=False)
         for e in (place_entries, tehsil_entries, district_entries)]
        + [e.assign(primary=e["name"], name=names, alternate=True) for e, names in other_names],
        ignore_index=True)


def _locate(lon: np.ndarray, lat: np.ndarray, tehsils: pd.DataFrame) -> pd.DataFrame:
    """Province, district and tehsil of each point (None outside the tehsils)."""
    tree = shapely.STRtree(tehsils.geometry.values)
    point_idx, tehsil_idx = tree.query(shapely.points(lon, lat), predicate="intersects")
    out = {c: np.full(len(lon), None, dtype=object) for c in ("province", "district", "tehsil")}
    for column, values in out.items():
        values[point_idx] = tehsils[column].to_numpy()[tehsil_idx]
    return pd.DataFrame(out)


def _unit_index(tehsils: pd.DataFrame, districts: pd.DataFrame) -> dict[str, dict[str, list[UnitHint]]]:
    """kind → name key → the tehsils or districts of that name (two tehsils are called Dasht)."""
    index: dict[str, dict[str, list[UnitHint]]] = {"district": {}, "tehsil": {}}
    for kind, layer in (("district", districts), ("tehsil", tehsils)):
        points = shapely.point_on_surface(layer.geometry.values)
        rows = zip(layer[kind], layer["district"], layer["province"], points, strict=True)
        for name, district, province, point in rows:
            hint = UnitHint(kind, name, district, province, float(point.y), float(point.x))
            for key in {compact(n) for n in _bracket_parts(name)}:
                index[kind].setdefault(key, []).append(hint)
    return index


def _lookups(parsed: ParsedPlace | None, hints: _Hints) -> list[tuple[str, int, tuple[str, ...] | None]]:
    """The names to try in order, each with the least precision it allows and
    the entry kinds it prefers."""
    if parsed is None or parsed.feature_kind == PROVINCE:
        return []
    imprecise = parsed.feature_kind in (REGION, TEHSIL, DISTRICT) or parsed.relation == "near"
    cap = 2 if imprecise else 1
    prefer = _PREFERRED_KINDS.get(parsed.feature_kind)
    names = [parsed.name, *(a for a in parsed.alternatives if a not in hints.used)]
    out = [(n, cap, prefer) for n in dict.fromkeys(names) if n]
    if parsed.relation != "between" and parsed.raw not in names:
        out.append((parsed.raw, 2 if parsed.relation == "near" else 1, None))
    if parsed.reference:
        out.append((parsed.reference, 2, None))  # "A near B": B is within reach, not the spot
    return out


def _describe(parsed: ParsedPlace | None, hints: _Hints, looked_up: str | None = None) -> str:
    if parsed is None:
        return ""
    return parsed.describe(looked_up, tuple(a for a in parsed.alternatives if a in hints.used))


def _bracket_parts(name: str) -> list[str]:
    """ "Samarbagh (Barwa)" → the whole name, "Samarbagh" and "Barwa"."""
    parsed = parse_place(name)
    return [name, *([parsed.name, *parsed.alternatives] if "(" in name else [])]


def _where(district: object, province: object) -> str:
    for value in (district, province):
        if isinstance(value, str) and value:
            return value
    return "unknown province"


def _one_entry_per_place(found: list[dict]) -> list[dict]:
    """Best first, one entry per place: a town, the tehsil and the district that
    bear its name are one place at three precisions; towns are preferred, then
    the most populous."""
    found = sorted(found, key=lambda r: (_KIND_RANK[r["kind"]], -(r["population"] or 0)))
    found = _first_of_each(found, "place_id")
    towns = [r for r in found if r["kind"] == "place"]
    covered = {r["district"] for r in towns if isinstance(r["district"], str)}
    found = towns + [r for r in found if r["kind"] != "place" and r["district"] not in covered]
    return _first_of_each(found, "district") if all(isinstance(r["district"], str) for r in found) else found


def _first_of_each(rows: list[dict], column: str) -> list[dict]:
    seen: set[object] = set()
    out = []
    for row in rows:
        if row[column] not in seen:
            seen.add(row[column])
            out.append(row)
    return out


def parsed_places(places: pd.Series) -> pd.Series:
    """``place_parsed`` for a column of place strings (each distinct string parsed once)."""
    text = places.astype("string")
    unique = text.dropna().unique()
    described = {p: parse_place(p).describe() if p.strip() else "" for p in unique}
    return text.map(described, na_action="ignore").astype("string")


def geocode(frame: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Resolve ``place`` (with ``source_admin1``/``source_admin2`` as hints) for
    every row; each distinct combination is resolved once.

    Returns a frame aligned with ``frame``: lat, lon, geocode_method,
    geocode_score, geo_precision, place_parsed, reason, detail.
    """
    keys = frame[["place", "source_admin1", "source_admin2"]].astype("string").fillna("")
    unique = keys.drop_duplicates().reset_index(drop=True)
    matches = [gazetteer.match(place or None, admin1 or None, admin2 or None)
               for place, admin1, admin2 in unique.itertuples(index=False, name=None)]
    resolved = unique.assign(
        lat=[m.lat for m in matches], lon=[m.lon for m in matches],
        geocode_method=[m.method or None for m in matches], geocode_score=[m.score for m in matches],
        geo_precision=[m.precision for m in matches], place_parsed=[m.parsed or None for m in matches],
        reason=[m.reason for m in matches], detail=[m.detail for m in matches],
    )
    # Back to every row by a join on the names, not a loop over rows.
    out = keys.merge(resolved, on=["place", "source_admin1", "source_admin2"], how="left")
    out.index = frame.index
    return out.drop(columns=["place", "source_admin1", "source_admin2"])
