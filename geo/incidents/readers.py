"""One reader per source format: ACLED, UCDP GED, GTD, and plain tables.

A reader knows its format and nothing else. ``normalise_*`` turns a
:class:`~geo.incidents.csvtable.RawTable` into canonical columns plus, per row,
the first reason it cannot be used (empty string when it can). Columns are
read by name, never by position. How each source's fields map onto the
canonical ones is documented in the README ("Incident sources").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from geo.arrow_text import large_text, maybe_padded
from geo.config import INCIDENT_FIELDS
from geo.incidents.csvtable import InputFileError, RawTable, fold_column_name
from geo.incidents.normalise import DateRules, dates_from_parts, parse_coordinate, parse_count, parse_dates
from geo.incidents.schema import DATE_PRECISIONS, TARGET_CATEGORIES


@dataclasses.dataclass
class Normalised:
    """Canonical columns for every raw row, and why a row cannot be used."""

    frame: pd.DataFrame
    problems: dict[str, np.ndarray]  # reason → mask, in order of precedence
    details: dict[str, pd.Series] = dataclasses.field(default_factory=dict)


def _text(raw: RawTable, column: str) -> pd.Series:
    """The stripped text of ``column`` (matched as :meth:`RawTable.column` does;
    all NA when the file lacks it), empty cells as NA."""
    frame = raw.frame
    found = raw.column(column)
    if found is None:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[found].astype("string")
    if maybe_padded(large_text(values)):
        values = values.str.strip()  # most columns have no padded cell: a pass over their bytes, not a strip
    return values.where(values != "")


def _dates(raw: RawTable, column: str, rules: DateRules, problems: dict[str, np.ndarray],
           details: dict[str, pd.Series]) -> pd.Series:
    """ISO dates of ``column``, flagging unreadable and implausible ones."""
    dates, bad, implausible = parse_dates(_text(raw, column), rules, column=raw.column(column) or column)
    _flag(raw, problems, details, "unparseable_date", bad, column)
    _flag(raw, problems, details, "implausible_date", implausible, column)
    return dates


def _dates_from_parts(raw: RawTable, columns: tuple[str, str, str], rules: DateRules,
                      problems: dict[str, np.ndarray], details: dict[str, pd.Series]) -> tuple[pd.Series, pd.Series]:
    """ISO dates and precisions from year, month and day columns (0 or empty: unknown)."""
    dates, precision, bad, implausible = dates_from_parts(*(_text(raw, c) for c in columns), rules.earliest_year)
    for reason, mask in (("unparseable_date", bad), ("implausible_date", implausible)):
        for part in columns:
            _flag(raw, problems, details, reason, mask, part)
    return dates, precision


def _flag(raw: RawTable, problems: dict[str, np.ndarray], details: dict[str, pd.Series], reason: str,
          mask: np.ndarray, column: str) -> None:
    """Mark rows with ``reason`` and say which source column and value caused it."""
    mask = np.asarray(mask, dtype=bool)
    problems[reason] = problems.get(reason, np.zeros(len(raw.frame), bool)) | mask
    if mask.any():
        detail = details.setdefault(reason, pd.Series("", index=raw.frame.index, dtype="string"))
        new = column + "=" + _text(raw, column).fillna("")[mask].str.slice(0, 40)
        old = detail[mask]
        detail[mask] = old.where(old == "", old + "; ").fillna("") + new


def _counts(raw: RawTable, columns: list[str], problems: dict[str, np.ndarray],
            details: dict[str, pd.Series]) -> list[pd.Series]:
    out = []
    for column in columns:
        values, bad = parse_count(_text(raw, column))
        out.append(values)
        _flag(raw, problems, details, "bad_number", bad, column)
    return out


def _coordinates(raw: RawTable, lat_col: str, lon_col: str, problems: dict[str, np.ndarray],
                 details: dict[str, pd.Series]) -> tuple:
    lat, lat_bad = parse_coordinate(_text(raw, lat_col))
    lon, lon_bad = parse_coordinate(_text(raw, lon_col))
    _flag(raw, problems, details, "bad_number", lat_bad, lat_col)
    _flag(raw, problems, details, "bad_number", lon_bad, lon_col)
    return lat, lon


# --- ACLED -------------------------------------------------------------------------------------

ACLED_COLUMNS = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude",
    "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
)
# Core columns: with one characteristic other (FORMAT_SIGNATURES) they tell an ACLED file.
ACLED_REQUIRED = {"event_date", "fatalities"}
_ACLED_TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
# ACLED interaction codes of actor 2 (the side acted upon), and the text labels
# that exports since 2023-24 carry instead (matched lower-cased).
_ACLED_INTER_TARGET = {"1": "security_forces", "2": "militants", "3": "militants", "4": "militants",
                       "5": "civilians", "6": "civilians", "7": "civilians", "8": "security_forces",
                       "state forces": "security_forces", "rebel group": "militants", "rebel groups": "militants",
                       "political militia": "militants", "political militias": "militants",
                       "identity militia": "militants", "identity militias": "militants",
                       "rioters": "civilians", "protesters": "civilians", "civilians": "civilians",
                       "external/other forces": "security_forces", "external/other force": "security_forces"}


def normalise_acled(raw: RawTable, rules: DateRules = DateRules()) -> Normalised:
    """ACLED export → canonical columns.

    ACLED reports one ``fatalities`` figure, not split by victim: it becomes
    ``killed``; the split columns stay empty. ``target_category`` follows the
    type of actor 2 (``inter2``, a code 1–8 or its text label), or civilians
    where ``civilian_targeting`` is set.
    """
    problems: dict[str, np.ndarray] = {}
    details: dict[str, pd.Series] = {}
    dates = _dates(raw, "event_date", rules, problems, details)
    lat, lon = _coordinates(raw, "latitude", "longitude", problems, details)
    (killed,) = _counts(raw, ["fatalities"], problems, details)
    geo_precision, _ = parse_count(_text(raw, "geo_precision"))
    target = _text(raw, "inter2").str.lower().map(_ACLED_INTER_TARGET, na_action="ignore").fillna("unknown")
    civilian_targeting = _text(raw, "civilian_targeting").fillna("").str.len() > 0
    target = target.mask(civilian_targeting, "civilians")
    event_type = _text(raw, "sub_event_type").fillna(_text(raw, "event_type"))
    frame = pd.DataFrame({
        "source": "ACLED",
        # files made by geo's synthetic generator say so in ACLED's tags column
        "synthetic": _text(raw, "tags").fillna("").str.contains("synthetic", case=False),
        "source_id": _text(raw, "event_id_cnty"),
        "date": dates,
        "date_precision": _text(raw, "time_precision").map(_ACLED_TIME_PRECISION, na_action="ignore").fillna("day"),
        "lat": lat, "lon": lon,
        "geo_precision": geo_precision.clip(upper=3),
        "place": _text(raw, "location"),
        "source_admin1": _text(raw, "admin1"),
        "source_admin2": _text(raw, "admin2"),
        "event_type": event_type,
        "perpetrator": _text(raw, "actor1"),
        "target_category": target,
        "killed": killed,
        "notes": _text(raw, "notes"),
    })
    return Normalised(frame, problems, details)


# --- UCDP GED ----------------------------------------------------------------------------------

UCDP_REQUIRED = {"date_start", "best"}
_UCDP_DATE_PRECISION = {"1": "day", "2": "week", "3": "month", "4": "year", "5": "year"}
# where_prec: 1 exact, 2 within ~25 km → exact place; 3 ADM2 → tehsil/district level; 4-7 → province or vaguer.
_UCDP_GEO_PRECISION = {"1": 1, "2": 1, "3": 2, "4": 3, "5": 3, "6": 3, "7": 3}
_UCDP_VIOLENCE = {"1": "state-based conflict", "2": "non-state conflict", "3": "one-sided violence"}


def normalise_ucdp(raw: RawTable, rules: DateRules = DateRules()) -> Normalised:
    """UCDP GED → canonical columns.

    ``best`` is ``killed``; ``deaths_civilians`` the civilians. Where one side is
    a government ("Government of …"), its deaths are security forces and the
    other side's militants; in non-state conflicts both sides' deaths are
    militants; ``deaths_unknown`` stays only in ``killed``.

    ``sides`` is ``side_a – side_b`` as UCDP names them. Only one-sided
    violence has a perpetrator in UCDP's terms (``side_a``, the actor; ``side_b``
    is "Civilians"); a state-based or non-state clash has two sides and no
    perpetrator, so ``perpetrator`` stays empty there.
    """
    problems: dict[str, np.ndarray] = {}
    details: dict[str, pd.Series] = {}
    dates = _dates(raw, "date_start", rules, problems, details)
    lat, lon = _coordinates(raw, "latitude", "longitude", problems, details)
    best, deaths_a, deaths_b, civilians = _counts(raw, ["best", "deaths_a", "deaths_b", "deaths_civilians"], problems, details)
    side_a, side_b = _text(raw, "side_a").fillna(""), _text(raw, "side_b").fillna("")
    a_is_state = side_a.str.startswith("Government of")
    b_is_state = side_b.str.startswith("Government of")
    zero = pd.Series(0, index=raw.frame.index, dtype="Int32")
    security = deaths_a.where(a_is_state, deaths_b.where(b_is_state, zero))
    militants = deaths_b.where(a_is_state, deaths_a.where(b_is_state, deaths_a.fillna(0) + deaths_b.fillna(0)))
    violence = _text(raw, "type_of_violence")
    perpetrator = side_a.where(violence == "3", "").replace("", pd.NA)
    sides = (side_a + " – " + side_b).where((side_a != "") | (side_b != ""), pd.NA).str.strip(" –")
    target = pd.Series("unknown", index=raw.frame.index, dtype="string")
    target = target.mask(violence == "3", "civilians").mask(violence == "1", "mixed")
    target = target.mask(violence == "2", "militants")
    frame = pd.DataFrame({
        "source": "UCDP",
        "source_id": _text(raw, "id"),
        "date": dates,
        "date_precision": _text(raw, "date_prec").map(_UCDP_DATE_PRECISION, na_action="ignore").fillna("day"),
        "lat": lat, "lon": lon,
        "geo_precision": _text(raw, "where_prec").map(_UCDP_GEO_PRECISION, na_action="ignore").astype("Int8"),
        "place": _text(raw, "where_coordinates"),
        "source_admin1": _text(raw, "adm_1"),
        "source_admin2": _text(raw, "adm_2"),
        "event_type": violence.map(_UCDP_VIOLENCE, na_action="ignore"),
        "perpetrator": perpetrator,
        "sides": sides,
        "target_category": target,
        "killed": best,
        "killed_civilians": civilians,
        "killed_security": security,
        "killed_militants": militants,
        "notes": _text(raw, "source_headline"),
    })
    return Normalised(frame, problems, details)


# --- GTD ---------------------------------------------------------------------------------------

GTD_REQUIRED = {"iyear", "imonth", "iday"}
# specificity: 1 the place itself; 2-3 centroid of the smallest region named; 4-5 province or country.
_GTD_GEO_PRECISION = {"1": 1, "2": 2, "3": 2, "4": 3, "5": 3}
_GTD_TARGETS = {
    "Private Citizens & Property": "civilians", "Business": "civilians", "Educational Institution": "civilians",
    "Religious Figures/Institutions": "civilians", "Journalists & Media": "civilians", "Tourists": "civilians",
    "NGO": "civilians", "Transportation": "civilians", "Food or Water Supply": "civilians",
    "Telecommunication": "civilians", "Utilities": "civilians",
    "Military": "security_forces", "Police": "security_forces",
    "Terrorists/Non-State Militia": "militants", "Violent Political Party": "militants",
}


def normalise_gtd(raw: RawTable, rules: DateRules = DateRules()) -> Normalised:
    """GTD → canonical columns.

    ``nkill`` is ``killed``, ``nkillter`` (perpetrators killed) the militants;
    the other deaths are counted as the target type's victims (civilians or
    security forces) when ``targtype1_txt`` names one, and stay unsplit otherwise.
    """
    problems: dict[str, np.ndarray] = {}
    details: dict[str, pd.Series] = {}
    dates, precision = _dates_from_parts(raw, ("iyear", "imonth", "iday"), rules, problems, details)
    lat, lon = _coordinates(raw, "latitude", "longitude", problems, details)
    killed, perpetrators, wounded = _counts(raw, ["nkill", "nkillter", "nwound"], problems, details)
    target = _text(raw, "targtype1_txt").map(_GTD_TARGETS, na_action="ignore").fillna("unknown")
    victims = (killed - perpetrators.fillna(0)).clip(lower=0)
    frame = pd.DataFrame({
        "source": "GTD",
        "source_id": _text(raw, "eventid"),
        "date": dates,
        "date_precision": precision,
        "lat": lat, "lon": lon,
        "geo_precision": _text(raw, "specificity").map(_GTD_GEO_PRECISION, na_action="ignore").astype("Int8"),
        "place": _text(raw, "city"),
        "source_admin1": _text(raw, "provstate"),
        "event_type": _text(raw, "attacktype1_txt"),
        "perpetrator": _text(raw, "gname"),
        "target_category": target,
        "killed": killed,
        "killed_civilians": victims.where(target == "civilians"),
        "killed_security": victims.where(target == "security_forces"),
        "killed_militants": perpetrators,
        "injured": wounded,
        "notes": _text(raw, "summary"),
    })
    return Normalised(frame, problems, details)


# --- plain tables ------------------------------------------------------------------------------

PLAIN_FIELDS = INCIDENT_FIELDS
_COUNT_FIELDS = ("killed", "killed_civilians", "killed_security", "killed_militants", "injured")


def normalise_plain(raw: RawTable, mapping: dict[str, str | tuple[str, str, str]], source: str,
                    synthetic: bool = False, rules: DateRules = DateRules()) -> Normalised:
    """A CSV (or GeoJSON properties) table whose columns are named in ``mapping``
    (canonical field → source column); unmapped fields are read from columns
    with the canonical name, if any (matched ignoring case, surrounding spaces
    and ``_``/space). ``date`` may map to three columns, year, month and day
    (0 or empty: unknown, which sets the precision). A ``source`` column
    overrides ``source`` and a ``synthetic`` column (true/1/yes) marks
    synthetic rows."""
    problems: dict[str, np.ndarray] = {}
    details: dict[str, pd.Series] = {}
    column = {field: mapping.get(field, field) for field in PLAIN_FIELDS}
    if isinstance(column["date"], tuple):
        dates, part_precision = _dates_from_parts(raw, column["date"], rules, problems, details)
    else:
        dates, part_precision = _dates(raw, column["date"], rules, problems, details), None
    lat, lon = _coordinates(raw, column["lat"], column["lon"], problems, details)
    counts = dict(zip(_COUNT_FIELDS, _counts(raw, [column[f] for f in _COUNT_FIELDS], problems, details), strict=True))
    geo_precision, bad_precision = parse_count(_text(raw, column["geo_precision"]))
    out_of_scale = bad_precision | (geo_precision.fillna(1) > 3).to_numpy() | (geo_precision.fillna(1) < 1).to_numpy()
    _flag(raw, problems, details, "bad_number", out_of_scale, column["geo_precision"])
    target = _text(raw, column["target_category"]).str.lower().str.replace(" ", "_")
    target = target.where(target.isin(TARGET_CATEGORIES), "unknown")
    precision = _text(raw, column["date_precision"]).str.lower()
    flag = _text(raw, "synthetic").fillna("").str.lower().isin(["true", "1", "yes"])
    frame = pd.DataFrame({
        "source": _text(raw, "source").fillna(source),
        "synthetic": flag | synthetic,
        "source_id": _text(raw, column["source_id"]),
        "date": dates,
        "date_precision": precision.where(precision.isin(DATE_PRECISIONS),
                                          "day" if part_precision is None else part_precision),
        "lat": lat, "lon": lon,
        "geo_precision": geo_precision.astype("Int8"),
        "place": _text(raw, column["place"]),
        "source_admin1": _text(raw, column["source_admin1"]),
        "source_admin2": _text(raw, column["source_admin2"]),
        "event_type": _text(raw, column["event_type"]),
        "perpetrator": _text(raw, column["perpetrator"]),
        "target_category": target,
        **counts,
        "notes": _text(raw, column["notes"]),
    })
    return Normalised(frame, problems, details)


def resolve_columns(mapping: dict[str, str | tuple[str, ...]], raw: RawTable,
                    path: Path) -> dict[str, str | tuple[str, ...]]:
    """``mapping`` (canonical field → source column, or for ``date`` a tuple of
    year, month and day columns) with each column as the header spells it,
    matched as :meth:`RawTable.column` does.

    Raises
    ------
    InputFileError
        A mapped column is not in the header (or matches several columns):
        otherwise every row would be rejected for the empty field.
    """
    def found(field: str, name: str) -> str:
        column = raw.column(name)
        if column is None:
            folded = fold_column_name(name)
            several = [c for c in raw.columns if fold_column_name(c) == folded]
            problem = f"matches several columns ({', '.join(several)})" if several else "is not in the header"
            shown = ", ".join(c for c in raw.columns if not c.startswith("__"))
            msg = (f"{path}: column {name!r} (mapped to {field} in [incidents.columns]) {problem}; "
                   f"the header has: {shown[:300]}")
            raise InputFileError(msg)
        return column

    return {field: tuple(found(field, n) for n in name) if isinstance(name, tuple) else found(field, name)
            for field, name in mapping.items()}


# Each normaliser takes the raw table and, by keyword, the run's DateRules.
FORMATS: dict[str, tuple[set[str], Callable[..., Normalised]]] = {
    "acled": (ACLED_REQUIRED, normalise_acled),
    "ucdp": (UCDP_REQUIRED, normalise_ucdp),
    "gtd": (GTD_REQUIRED, normalise_gtd),
}
# A format is told by its core columns plus any one of its characteristic
# others, not by one id column: shared subsets often drop ids and coordinates
# (rows without coordinates are geocoded from their place names).
FORMAT_SIGNATURES: dict[str, tuple[set[str], set[str]]] = {
    "acled": (ACLED_REQUIRED, {"event_id_cnty", "sub_event_type", "actor1", "inter1", "inter2", "admin1",
                               "civilian_targeting", "disorder_type", "time_precision"}),
    "ucdp": (UCDP_REQUIRED, {"id", "where_prec", "where_coordinates", "side_a", "deaths_a", "type_of_violence",
                             "adm_1", "dyad_name", "conflict_name", "date_prec"}),
    "gtd": (GTD_REQUIRED, {"nkill", "nwound", "nkillter", "gname", "attacktype1_txt", "targtype1_txt"}),
}


def detect_format(raw: RawTable) -> str | None:
    """The format whose signature the header has (names folded), or None (a
    plain table)."""
    present = raw.folded_columns()
    for name, (core, characteristic) in FORMAT_SIGNATURES.items():
        if core <= present and characteristic & present:
            return name
    return None


def missing_columns(raw: RawTable, fmt: str) -> list[str]:
    """The core columns of ``fmt`` that the header lacks (names folded)."""
    return sorted(FORMATS[fmt][0] - raw.folded_columns())
