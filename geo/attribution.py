"""The credit geo gives its sources: the boundary packages
(:func:`boundary_attribution`) and the incident datasets
(:data:`SOURCE_CITATIONS`, :func:`incident_attribution`).

Every output that carries an attribution (run.json, GeoJSON foreign members,
GeoPackage descriptions, QGIS metadata, GeoTIFF tags, the maps and the brief)
takes it from here; where it is shown in a bounded space (the brief, the web
map's panel) it is cut by :func:`clipped`.

Notes
-----
The boundary packages are listed in :mod:`geo.boundaries.sources`, which is
imported when :func:`boundary_attribution` is first called: importing
:mod:`geo.boundaries` loads geopandas, and this module must stay light.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# The credit each licensed incident source asks for, by the source name its reader gives.
SOURCE_CITATIONS = {
    "UCDP": "UCDP Georeferenced Event Dataset (GED), Uppsala Conflict Data Program; Sundberg & Melander 2013, "
            "Journal of Peace Research 50(4) (CC BY 4.0)",
    "ACLED": "Armed Conflict Location & Event Data (ACLED), acleddata.com",
    "GTD": "Global Terrorism Database (GTD), START, University of Maryland",
}


# Source names come from the inputs: a 100 kB one would fill pages of the brief and cover the web map.
CLIPPED_CHARS = 300


def cut_note(length: int, *, whole_in_run_json: bool = False) -> str:
    """What follows a text cut from ``length`` characters: ``… (cut: 100,000 characters in all)``."""
    where = "; run.json holds it whole" if whole_in_run_json else ""
    return f"… (cut: {length:,} characters in all{where})"


def clipped(text: object, limit: int = CLIPPED_CHARS) -> str:
    """``text`` if it has at most ``limit`` characters, else its first
    ``limit`` and a note of how many there are in all (run.json holds it whole)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + cut_note(len(text))


@functools.cache
def boundary_attribution() -> str:
    """The attribution of the boundary layers: the three boundary packages and
    Natural Earth, as their licences ask."""
    from geo.boundaries.sources import NATURAL_EARTH, PACKAGES

    return "; ".join(p.attribution for p in PACKAGES[:3]) + "; " + NATURAL_EARTH.attribution


def incident_attribution(incidents: pd.DataFrame) -> str:
    """The boundary sources' attribution and the incident sources' names, with
    the citation a licensed source asks for (:data:`SOURCE_CITATIONS`).

    Parameters
    ----------
    incidents
        Incidents with a ``source`` column.
    """
    names = source_names(incidents)
    return boundary_attribution() + "; incident data: " + ", ".join(SOURCE_CITATIONS.get(n, n) for n in names)


def source_names(incidents: pd.DataFrame) -> list[str]:
    """The incident sources named in ``incidents["source"]``, sorted (distinct values first: a million rows)."""
    return sorted(set(incidents["source"].dropna().astype(str).unique()))
