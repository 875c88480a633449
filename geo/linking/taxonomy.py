"""Event types of the sources on one small taxonomy, as MELTT does: each
source's type string maps to a class, and two classes are compatible in full,
in part (one is the other's broader category) or not.

Classes: ``explosion`` (bombs, IEDs, suicide attacks, grenades), ``armed_assault``
(shootings, targeted killings, attacks on posts), ``battle`` (armed clashes,
operations), ``abduction``, ``air_strike`` (air and drone strikes, shelling),
and the broad categories of UCDP: ``state_based``, ``non_state``, ``one_sided``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# (pattern searched in the lower-case type string, class); the first match wins.
_CLASSES: tuple[tuple[str, str], ...] = (
    (r"suicide|bomb|explos|\bied\b|blast|grenade|landmine|mine\b|remote explosive", "explosion"),
    (r"kidnap|abduct|hostage|hijack", "abduction"),
    (r"air ?strike|drone|air/drone|shelling|artillery|missile|rocket|mortar", "air_strike"),
    (
        r"armed clash|clash|battle|operation|regains territory|overtakes territory|encounter"
        r"|exchange of fire",
        "battle",
    ),
    (
        r"assault|attack|shoot|firing|gunmen|killing|assassinat|ambush|raid|checkpost|sniper|facility",
        "armed_assault",
    ),
    (r"state-based", "state_based"),
    (r"non-state", "non_state"),
    (r"one-sided|violence against civilians", "one_sided"),
)
_COMPILED = tuple((re.compile(pattern), name) for pattern, name in _CLASSES)
# Broad categories and the classes they contain.
_BROAD = {
    "state_based": {"explosion", "armed_assault", "battle", "air_strike", "state_based"},
    "non_state": {"explosion", "armed_assault", "battle", "abduction", "non_state"},
    "one_sided": {"explosion", "armed_assault", "abduction", "air_strike", "one_sided"},
}
# Pairs of specific classes that sources often code differently for the same attack.
_NEAR = {frozenset(("armed_assault", "battle")), frozenset(("armed_assault", "explosion"))}


def event_class(event_type: object) -> str:
    """The taxonomy class of one type string; ``unknown`` when nothing matches.

    >>> event_class("Suicide bomb"), event_class("Armed Assault"), event_class("one-sided violence")
    ('explosion', 'armed_assault', 'one_sided')
    """
    if not isinstance(event_type, str) or not event_type.strip():
        return "unknown"
    text = event_type.casefold()
    for pattern, name in _COMPILED:
        if pattern.search(text):
            return name
    return "unknown"


def compatibility(a: str, b: str) -> float:
    """1 for the same class, 0.8 when one is the other's broad category, 0.6 for
    classes sources often swap (assault/battle, assault/explosion), 0.5 when
    either is unknown, 0.1 otherwise.

    >>> compatibility("explosion", "one_sided"), compatibility("abduction", "air_strike")
    (0.8, 0.1)
    """
    if a == "unknown" or b == "unknown":
        return 0.5
    if a == b:
        return 1.0
    if b in _BROAD.get(a, ()) or a in _BROAD.get(b, ()):
        return 0.8
    if frozenset((a, b)) in _NEAR:
        return 0.6
    return 0.1


def classes(event_types: pd.Series) -> np.ndarray:
    """The class of each type string (computed once per distinct string)."""
    text = event_types.astype("string")
    found = {value: event_class(value) for value in text.dropna().unique()}
    return np.array([found.get(v, "unknown") if v is not pd.NA else "unknown" for v in text], dtype=object)
