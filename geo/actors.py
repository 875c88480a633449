"""Actor names: what ACLED, UCDP, GTD and report tables call a group → one name.

The alias table is ``geo/data/actors.csv`` (committed, one row per way a source
writes an actor, with where it is seen and a reference). :func:`acting_party`
picks the actor string of each incident and :func:`name_actors` gives each
actor string its ``actor_group`` and ``actor_family``; a string no
row matches, or an empty one, is ``unidentified``. The names are the ones the
groups and the sources use; the table makes no judgement about them.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import re
from pathlib import Path

import numpy as np
import pandas as pd

ACTORS_CSV = Path(__file__).parent / "data" / "actors.csv"
UNIDENTIFIED = "unidentified"
_DASHES = re.compile(r"[\u2010-\u2015\u2212_]")
_QUOTES = re.compile(r"[\u2018\u2019\u02bc`´]")
_SPACES = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True)
class Alias:
    """One row of the alias table."""

    pattern: re.Pattern[str]
    actor_group: str
    actor_family: str
    seen_in: str
    reference: str


def normalise_actor(text: str) -> str:
    """Lower case, one kind of dash and apostrophe, single spaces.

    >>> normalise_actor("  Tehrik\u2010i\u2010Taliban   Pakistan (TTP) ")
    'tehrik-i-taliban pakistan (ttp)'
    """
    text = _QUOTES.sub("'", _DASHES.sub("-", str(text)))
    return _SPACES.sub(" ", text).strip().casefold()


@functools.cache
def load_aliases(path: Path = ACTORS_CSV) -> tuple[Alias, ...]:
    """The alias table, in order (the first matching row wins); rows whose
    pattern starts with ``#`` are comments."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Alias(
            re.compile(row["pattern"], re.IGNORECASE),
            row["actor_group"],
            row["actor_family"],
            row["seen_in"],
            row["reference"],
        )
        for row in rows
        if row["pattern"] and not row["pattern"].startswith("#")
    )


def actor_of(text: object, aliases: tuple[Alias, ...] | None = None) -> tuple[str, str]:
    """``(actor_group, actor_family)`` of one actor string.

    >>> actor_of("Tehrik-i-Taliban Pakistan (TTP)")
    ('Tehrik-i-Taliban Pakistan', 'Tehrik-i-Taliban Pakistan and factions')
    >>> actor_of("Islamic State (Khorasan)")
    ('Islamic State Khorasan Province', 'Islamic State')
    >>> actor_of(None)
    ('unidentified', 'unidentified')
    """
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return UNIDENTIFIED, UNIDENTIFIED
    normalised = normalise_actor(text)
    for alias in aliases or load_aliases():
        if alias.pattern.search(normalised):
            return alias.actor_group, alias.actor_family
    return UNIDENTIFIED, UNIDENTIFIED


SIDES_SEPARATOR = " – "  # how the readers join a clash's two sides (``sides``)
STATE_PREFIX = "Government of"  # how UCDP names a state side


def acting_party(incidents: pd.DataFrame) -> pd.Series:
    """The actor string each incident is named by: its ``perpetrator`` where the
    source gives one; else, for a clash given as ``sides`` ("A – B"), the first
    side that is not a government (UCDP: "Government of …"), so that a state
    forces' clash with a group is counted under the group; else the first side.

    >>> frame = pd.DataFrame({"perpetrator": ["BLA", None, None, None],
    ...                       "sides": [None, "Government of Pakistan – TTP", "IS – TTP", None]})
    >>> acting_party(frame).tolist()
    ['BLA', 'TTP', 'IS', <NA>]
    """
    perpetrator = incidents["perpetrator"].astype("string")
    if "sides" not in incidents:
        return perpetrator
    def party(sides: str) -> str:
        parts = [part.strip() for part in sides.split(SIDES_SEPARATOR) if part.strip()]
        return next((part for part in parts if not part.startswith(STATE_PREFIX)), parts[0] if parts else "")
    codes, distinct = pd.factorize(incidents["sides"].astype("string"))  # each distinct text parsed once
    parties = np.array([party(text) or pd.NA for text in distinct] + [pd.NA], dtype=object)[codes]
    return perpetrator.fillna(pd.Series(pd.array(parties, dtype="string"), index=incidents.index))


def name_actors(actors: pd.Series) -> pd.DataFrame:
    """``actor_group`` and ``actor_family`` for each actor string (same index)."""
    aliases = load_aliases()
    codes, unique = pd.factorize(actors.astype("string"))  # each distinct string named once
    named = [actor_of(value, aliases) for value in unique]
    # code -1 (a missing actor) takes the last entry: unidentified
    groups = np.array([g for g, _ in named] + [UNIDENTIFIED], dtype=object)[codes]
    families = np.array([f for _, f in named] + [UNIDENTIFIED], dtype=object)[codes]
    return pd.DataFrame(
        {"actor_group": pd.array(groups, dtype="string"), "actor_family": pd.array(families, dtype="string")},
        index=actors.index,
    )


def coverage(actors: pd.Series) -> dict[str, float | int]:
    """How much of a list of actor strings the table names: distinct strings
    and rows, in all and with a group other than ``unidentified``."""
    text = actors.astype("string").dropna()
    text = text[text.str.strip() != ""]
    named = name_actors(text)["actor_group"] != UNIDENTIFIED
    distinct = pd.Series(named.to_numpy(), index=text.to_numpy()).groupby(level=0).first()
    return {
        "strings": int(len(distinct)),
        "strings_named": int(distinct.sum()),
        "rows": int(len(text)),
        "rows_named": int(named.sum()),
    }
