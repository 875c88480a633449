"""Assign every Pakistani tehsil polygon to a province and district.

Three kinds of evidence, combined in a fixed order:

1. **Names**: the tehsil's geoBoundaries name against the tehsil and district
   names of the census table (pk-address-checker), fuzzy (rapidfuzz) on
   normalised names.
2. **GeoNames votes**: places of GeoNames cities500 that fall inside the polygon
   vote for the district (and province) GeoNames gives them.
3. **Adjacency**: a name match with no vote is confirmed by a touching tehsil
   already assigned to the same district.

A name match that the votes contradict is not accepted, and neither is a
polygon with no evidence at all: those decisions live in the committed override
table (``boundaries/overrides.csv``), and any tehsil of KP or Balochistan left
without a decision fails the build.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from rapidfuzz import fuzz, process

from geo._errors import BoundaryBuildError
from geo.boundaries.names import compact, normalise_unit_name

STUDY_PROVINCES = ("Khyber Pakhtunkhwa", "Balochistan")

# GeoNames first-level names → census table province names.
_GEONAMES_PROVINCE = {
    "Islamabad": "Islamabad Capital Territory",
    "Azad Jammu and Kashmir": "Azad Kashmir",
}
# Name scores are rapidfuzz ratios (0-100) of normalised names without spaces.
# They only propose candidates: a candidate is accepted when GeoNames votes or
# a touching tehsil confirm it, so the thresholds can be generous.
TEHSIL_NAME_MIN_SCORE = 80.0
DISTRICT_NAME_MIN_SCORE = 85.0
CONTAINED_NAME_SCORE = 90.0  # "FR D.I.Khan" contains "Dera Ismail Khan"
MIN_CONTAINED_LENGTH = 4
# Parts of names too generic to match on their own ("Upper" of Orakzai).
_GENERIC_NAMES = {"upper", "lower", "central", "saddar", "city", "north", "south"}
NEAR_BEST_MARGIN = 5.0
# A top name candidate is unambiguous when the next is at least this much lower.
UNAMBIGUOUS_MARGIN = 10.0
VOTE_MAJORITY = 0.5


@dataclasses.dataclass(frozen=True)
class Decision:
    """Where one tehsil polygon goes, and why."""

    province: str
    district: str  # empty outside the study area when no district evidence exists
    # override | name+geonames | geonames | name+adjacency | name+province-adjacency
    # | province-adjacency (outside the study area, province only)
    method: str
    evidence: str


def geonames_provinces(subdivisions: pd.DataFrame) -> dict[int, str]:
    """Map each GeoNames Pakistani ADM1 id to the census table's province name."""
    pakistan = subdivisions[(subdivisions["country"] == "Pakistan") & (subdivisions["level"] == 1)]
    return {int(sid): _GEONAMES_PROVINCE.get(name, name) for sid, name in pakistan["name"].items()}


def geonames_district_names(
    subdivisions: pd.DataFrame, admin_units: pd.DataFrame
) -> dict[int, tuple[str, frozenset[str]]]:
    """Map each GeoNames Pakistani ADM2 id to (province, census district names).

    Former Frontier Regions ("Tribal Area Adjoining Bannu District") vote for the
    district they were merged into in 2018; "Chitral" votes for both of today's
    Chitral districts.
    """
    pakistan = subdivisions[subdivisions["country"] == "Pakistan"]
    provinces = geonames_provinces(subdivisions)
    districts_by_province: dict[str, dict[str, str]] = defaultdict(dict)
    for row in admin_units.drop_duplicates(["province", "district"]).itertuples():
        districts_by_province[row.province][compact(row.district)] = row.district
    mapping: dict[int, tuple[str, frozenset[str]]] = {}
    for sid, row in pakistan[pakistan["level"] == 2].iterrows():
        province = provinces.get(row["parent"], "")
        known = districts_by_province.get(province, {})
        labels = [row["name"], *row["alternate_names"]]
        found: set[str] = set()
        for label in labels:
            key = compact(label.replace("Tribal Area Adjoining", "").replace("Tribal Area", ""))
            key = key.replace("frontierregion", "")
            if key in known:
                found.add(known[key])
        if not found:
            # e.g. "Chitral" → Lower Chitral and Upper Chitral
            keys = [compact(label) for label in labels]
            found = {name for k, name in known.items() if any(key and key in k for key in keys)}
        if not found:
            best = process.extractOne(compact(row["name"]), list(known), scorer=fuzz.ratio)
            if best and best[1] >= DISTRICT_NAME_MIN_SCORE:
                found = {known[best[0]]}
        if not found:
            # A district the census table lacks (North/South Waziristan): keep GeoNames' name.
            found = {normalise_unit_name(row["name"]).title()}
        mapping[int(sid)] = (province, frozenset(found))
    return mapping


def _votes(
    tehsils: gpd.GeoDataFrame, places: pd.DataFrame, adm2: dict[int, tuple[str, frozenset[str]]],
    adm1: dict[int, str],
) -> tuple[list[Counter], list[Counter], list[list[str]]]:
    pakistan = places[places["country"] == "Pakistan"]
    points = shapely.points(pakistan["lon"].to_numpy(), pakistan["lat"].to_numpy())
    tree = shapely.STRtree(tehsils.geometry.values)
    point_idx, tehsil_idx = tree.query(points, predicate="intersects")
    district_votes = [Counter() for _ in range(len(tehsils))]
    province_votes = [Counter() for _ in range(len(tehsils))]
    place_names: list[list[str]] = [[] for _ in range(len(tehsils))]
    rows = pakistan.reset_index(drop=True)
    for p, t in zip(point_idx, tehsil_idx, strict=True):
        place = rows.iloc[p]
        province = adm1.get(int(place["adm1_id"]), "")
        if province:
            province_votes[t][province] += 1
        if place["adm2_id"] in adm2:
            v_province, v_districts = adm2[int(place["adm2_id"])]
            for district in v_districts:
                district_votes[t][(v_province, district)] += 1
            place_names[t].append(f"{place['name']}→{'/'.join(sorted(v_districts))}")
    return district_votes, province_votes, place_names


def _name_candidates(name: str, admin_units: pd.DataFrame) -> list[tuple[str, str, float, str]]:
    """(province, district, score, matched name) for tehsil and district names,
    best first."""
    key = compact(name)
    if not key:
        return []
    best: dict[tuple[str, str], tuple[float, str]] = {}

    def keep(province: str, district: str, score: float, matched: str) -> None:
        if score > best.get((province, district), (0.0, ""))[0]:
            best[(province, district)] = (score, matched)

    tehsil_rows = admin_units[admin_units["tehsil"] != ""]
    district_rows = admin_units.drop_duplicates(["province", "district"])
    words = normalise_unit_name(name).split()
    for rows, column, min_score in ((tehsil_rows, "tehsil", TEHSIL_NAME_MIN_SCORE),
                                    (district_rows, "district", DISTRICT_NAME_MIN_SCORE)):
        labels = rows[column].tolist()
        for _, score, index in process.extract(key, [compact(v) for v in labels], scorer=fuzz.ratio,
                                               limit=None, score_cutoff=min_score):
            keep(rows["province"].iloc[index], rows["district"].iloc[index], score, labels[index])
        # A unit named after its district, or a longer or shorter form of a table
        # name, word for word: "Peshawar III", "CENTRAL KURRAM", "SAMARBAGH(BARWA)",
        # "FR BANNU", "PAROME" (Jaheen Parome), "KHAR" (Khar Bajaur).
        for province, district, label in zip(rows["province"], rows["district"], labels, strict=True):
            other = normalise_unit_name(label).split()
            if not other or set(other) <= _GENERIC_NAMES or set(words) <= _GENERIC_NAMES:
                continue
            if _word_run_in(other, words) or (column == "tehsil" and _word_run_in(words, other)):
                keep(province, district, CONTAINED_NAME_SCORE, label)
    return sorted(((p, d, s, m) for (p, d), (s, m) in best.items()), key=lambda c: (-c[2], c[0], c[1]))


def assign_tehsils(
    tehsils: gpd.GeoDataFrame,
    admin_units: pd.DataFrame,
    subdivisions: pd.DataFrame,
    places: pd.DataFrame,
    overrides: pd.DataFrame,
) -> pd.DataFrame:
    """Decide province and district for every Pakistani tehsil polygon.

    Parameters
    ----------
    tehsils
        Cleaned Pakistani tehsil polygons with ``name`` and ``source_shape_id``.
    admin_units, subdivisions, places
        The census name table and GeoNames tables (see :mod:`geo.boundaries.readers`).
    overrides
        Rows ``source_shape_id, tehsil, province, district, reason``.

    Returns
    -------
    DataFrame aligned with ``tehsils`` with ``province``, ``district``, ``method``,
    ``evidence``.

    Raises
    ------
    BoundaryBuildError
        If a tehsil that may lie in KP or Balochistan has no decision, or an
        override names a tehsil that does not exist.
    """
    adm1 = geonames_provinces(subdivisions)
    adm2 = geonames_district_names(subdivisions, admin_units)
    district_votes, province_votes, voters = _votes(tehsils, places, adm2, adm1)
    neighbours = _neighbours(tehsils.geometry.values)
    override_by_id = _check_overrides(overrides, tehsils)

    decisions: dict[int, Decision] = {}
    pending: dict[int, list[tuple[str, str, float, str]]] = {}
    contradicted: dict[int, list[tuple[str, str, float, str]]] = {}  # for the error message
    for i, row in enumerate(tehsils.itertuples()):
        if row.source_shape_id in override_by_id:
            o = override_by_id[row.source_shape_id]
            decisions[i] = Decision(o["province"], o["district"], "override", o["reason"])
            continue
        candidates = _name_candidates(row.name, admin_units)
        votes = district_votes[i]
        n_voters = len(voters[i])
        names = "; ".join(f"{m} ({d}, {s:.0f})" for _, d, s, m in candidates[:3]) or "none"
        winners = {k for k, count in votes.items() if n_voters and count / n_voters > VOTE_MAJORITY}
        if winners:
            agreeing = [c for c in candidates if (c[0], c[1]) in winners]
            if len(agreeing) >= 1 and len({(c[0], c[1]) for c in agreeing}) == 1:
                p, d = agreeing[0][0], agreeing[0][1]
                evidence = f"name {agreeing[0][3]} ({agreeing[0][2]:.0f}); geonames {votes[(p, d)]}/{n_voters} places in {d}"
                decisions[i] = Decision(p, d, "name+geonames", evidence)
            elif len(winners) == 1 and not {c[0] for c in candidates} & {w[0] for w in winners}:
                # No name of the voted province matches: the votes decide.
                (p, d), = winners
                evidence = f"names: {names}; geonames {votes[(p, d)]}/{n_voters} places in {d}"
                decisions[i] = Decision(p, d, "geonames", evidence)
            else:
                # Names and votes disagree: no adjacency may confirm the names.
                pending[i] = []
                contradicted[i] = candidates
            continue
        pending[i] = candidates

    # Spatial confirmation, repeated until nothing changes: each decision can
    # confirm its neighbours.
    while _confirm_by_adjacency(pending, neighbours, decisions) | _confirm_groups(
        pending, neighbours, decisions
    ) | _decide_outside_study_area(pending, neighbours, decisions, province_votes):
        pass

    if pending:
        lines = []
        for i in sorted(pending):
            row = tehsils.iloc[i]
            near = sorted({f"{decisions[j].district or decisions[j].province}"
                           for j in neighbours[i] if j in decisions})
            names = [(c[1], c[3], round(c[2])) for c in (pending[i] or contradicted.get(i, []))[:3]]
            conflict = " (names and GeoNames disagree)" if i in contradicted else ""
            lines.append(
                f"  {row['name']} ({row['source_shape_id']}){conflict}: names {names}; "
                f"votes {dict(district_votes[i])}; places {voters[i][:4]}; neighbours {near}"
            )
        msg = (f"{len(pending)} tehsil(s) have no decision; add them to boundaries/overrides.csv:\n"
               + "\n".join(lines))
        raise BoundaryBuildError(msg)

    return pd.DataFrame([dataclasses.asdict(decisions[i]) for i in range(len(tehsils))],
                        index=tehsils.index)


def _confirm_by_adjacency(
    pending: dict[int, list], neighbours: list[set[int]], decisions: dict[int, Decision]
) -> bool:
    """Accept a name match that a touching tehsil of the same district confirms."""
    changed = False
    for i in sorted(pending):
        near = {(decisions[j].province, decisions[j].district) for j in neighbours[i] if j in decisions}
        # Only near-best names may be confirmed: "AMBAR UTMAN KHEL" matches
        # Ambar Utman Khel (Mohmand) at 100 and Utman Khel (Bajaur) at 90.
        best = max((c[2] for c in pending[i]), default=0.0)
        confirmed = [c for c in pending[i] if (c[0], c[1]) in near and c[2] > best - NEAR_BEST_MARGIN]
        if len({(c[0], c[1]) for c in confirmed}) == 1:
            p, d, score, matched = confirmed[0]
            decisions[i] = Decision(p, d, "name+adjacency", f"name {matched} ({score:.0f}); touches {d}")
            del pending[i]
            changed = True
    return changed


def _confirm_groups(
    pending: dict[int, list], neighbours: list[set[int]], decisions: dict[int, Decision]
) -> bool:
    """Districts with no GeoNames place at all (Orakzai, Mohmand, Torghar).

    Accept a connected group of tehsils whose only good name match is the same
    district, which no other tehsil claims, when it touches that district's province.
    """
    changed = False
    for (province, district), members in _candidate_groups(pending, neighbours, decisions).items():
        near = {decisions[j].province for i in members for j in neighbours[i] if j in decisions}
        if province not in near:
            continue
        for i in members:
            _, _, score, matched = _top_candidate(pending[i])
            decisions[i] = Decision(province, district, "name+province-adjacency",
                                    f"name {matched} ({score:.0f}); one group of {len(members)} "
                                    f"tehsil(s), the only claim on {district}; touches {province}")
            del pending[i]
            changed = True
    return changed


def _decide_outside_study_area(
    pending: dict[int, list], neighbours: list[set[int]], decisions: dict[int, Decision],
    province_votes: list[Counter],
) -> bool:
    """Outside the study area only the province matters.

    Decide it when the tehsil's own names and places and its neighbours all
    point to one province outside the study area, or its own names and places
    do and a neighbour lies in that province too.
    """
    changed = False
    for i in sorted(pending):
        near = {decisions[j].province for j in neighbours[i] if j in decisions}
        own = set(province_votes[i]) | {c[0] for c in pending[i]}
        if len(near | own) == 1:
            evidence = "neighbours, places and names all in"
        elif len(own) == 1 and own <= near:
            evidence = "places and names in, and a neighbour in"
        else:
            continue
        province = next(iter(own or near))
        if province not in STUDY_PROVINCES:
            decisions[i] = Decision(province, "", "province-adjacency", f"{evidence} {province}")
            del pending[i]
            changed = True
    return changed


def _word_run_in(needle: list[str], haystack: list[str]) -> bool:
    """Whether ``needle`` occurs as consecutive words of ``haystack``."""
    size = len(needle)
    if size == 0 or len("".join(needle)) < MIN_CONTAINED_LENGTH:
        return False
    return any(haystack[k:k + size] == needle for k in range(len(haystack) - size + 1))


def _top_candidate(candidates: list[tuple[str, str, float, str]]) -> tuple[str, str, float, str] | None:
    """The best candidate if it beats every other district by the margin."""
    if not candidates:
        return None
    best = candidates[0]
    others = [c for c in candidates[1:] if (c[0], c[1]) != (best[0], best[1])]
    if others and others[0][2] > best[2] - UNAMBIGUOUS_MARGIN:
        return None
    return best


def _candidate_groups(
    pending: dict[int, list[tuple[str, str, float, str]]],
    neighbours: list[set[int]],
    decisions: dict[int, Decision],
) -> dict[tuple[str, str], list[int]]:
    """District → its pending tehsils, for districts claimed by one connected group only."""
    claims: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, candidates in pending.items():
        top = _top_candidate(candidates)
        if top is not None:
            claims[(top[0], top[1])].append(i)
    decided = {(d.province, d.district) for d in decisions.values()}
    groups = {}
    for key, members in sorted(claims.items()):
        if key in decided:
            continue
        # Connected components of the claimants through shared edges.
        todo, seen = [members[0]], {members[0]}
        while todo:
            current = todo.pop()
            for j in neighbours[current]:
                if j in members and j not in seen:
                    seen.add(j)
                    todo.append(j)
        if len(seen) == len(members):
            groups[key] = sorted(members)
    return groups


def _neighbours(geometries: np.ndarray) -> list[set[int]]:
    """Indices of polygons sharing an edge (not just a point) with each polygon."""
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    keep = left != right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(
        shapely.boundary(geometries[left]), shapely.boundary(geometries[right])))
    out: list[set[int]] = [set() for _ in range(len(geometries))]
    for a, b in zip(left[shared > 0], right[shared > 0], strict=True):
        out[a].add(int(b))
    return out


def _check_overrides(overrides: pd.DataFrame, tehsils: gpd.GeoDataFrame) -> dict[str, dict]:
    known = dict(zip(tehsils["source_shape_id"], tehsils["name"], strict=True))
    by_id = {}
    problems = []
    for row in overrides.to_dict("records"):
        shape_id = row["source_shape_id"]
        if shape_id not in known:
            problems.append(f"{shape_id} ({row['tehsil']}) is not a Pakistani tehsil of the source")
        elif known[shape_id] != row["tehsil"]:
            problems.append(f"{shape_id} is named {known[shape_id]!r} in the source, not {row['tehsil']!r}")
        elif not str(row.get("reason", "")).strip():
            problems.append(f"{shape_id} ({row['tehsil']}) has no reason")
        by_id[shape_id] = row
    if problems:
        msg = "boundaries/overrides.csv does not fit the source:\n  " + "\n  ".join(problems)
        raise BoundaryBuildError(msg)
    return by_id
