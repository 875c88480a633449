"""The brief's "data and caveats": the sources with their credit, the rows
accepted and rejected, imprecise locations and dates, SYNTHETIC records, and
the notes (the notes sheet of ``tables.xlsx`` and the end of the brief)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.attribution import SOURCE_CITATIONS, source_names
from geo.metrics.units import incident_dates
from geo.report.periods import Period, dated_within, study_period_incidents

KILLED_COLUMNS = ("killed_civilians", "killed_security", "killed_militants")


def source_table(incidents: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Incidents of the period per source, with the credit the source asks for."""
    chosen = study_period_incidents(incidents, period, ["source"])
    counts = chosen.groupby(chosen["source"].astype("string").fillna("(no source)")).size()
    names = source_names(incidents)
    return pd.DataFrame(
        {
            "source": names,
            "incidents": [int(counts.get(n, 0)) for n in names],
            "citation": [SOURCE_CITATIONS.get(n, n) for n in names],
        }
    )


def quality_table(record: dict, incidents: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Accepted and rejected rows (by reason), imprecise locations and dates, SYNTHETIC records."""
    counts = record.get("counts", {})
    chosen = study_period_incidents(
        incidents, period, ["geo_precision", "date_precision", "synthetic", "killed", *KILLED_COLUMNS])
    n = len(chosen)
    rows = [
        ("rows read", counts.get("read", len(incidents)), np.nan),
        ("rows accepted", counts.get("accepted", len(incidents)), np.nan),
        ("rows rejected", counts.get("rejected", 0), np.nan),
    ]
    for reason, count in sorted(counts.get("rejected_by_reason", {}).items()):
        rows.append((f"rejected: {reason}", count, np.nan))
    dated = dated_within(incidents, period)
    outside = int((dated & ~incidents["in_study_area"].fillna(False).to_numpy(dtype=bool)).sum())
    imprecise = int((chosen["geo_precision"].fillna(3) > 1).sum())
    vague = int((chosen["date_precision"].astype("string").fillna("") != "day").sum())
    synthetic = int(chosen["synthetic"].fillna(False).sum())
    no_total = chosen["killed"].isna()
    by_category_only = int(chosen.loc[no_total, list(KILLED_COLUMNS)].fillna(0).to_numpy().sum())
    share = (lambda k: round(k / n, 4)) if n else (lambda k: np.nan)
    rows += [
        ("incidents in the period, KP and Balochistan", n, np.nan),
        ("incidents in the period outside KP and Balochistan (not counted)", outside, np.nan),
        ("located less precisely than a place (district or province level)", imprecise, share(imprecise)),
        ("dated less precisely than a day", vague, share(vague)),
        (
            "killed given by category only, with no total (in the categories, not in killed)",
            by_category_only,
            np.nan,
        ),
        ("SYNTHETIC records in the period", synthetic, share(synthetic)),
    ]
    return pd.DataFrame(rows, columns=["item", "count", "share"]).astype({"count": "int64"})


def notes(
    record: dict, incidents: pd.DataFrame, period: Period, comparison: Period, synthetic: bool
) -> list[tuple[str, str]]:
    dates = incident_dates(incidents)
    first, last = (dates.min(), dates.max()) if dates.notna().any() else (None, None)
    notes = []
    if synthetic:
        notes.append(
            (
                "SYNTHETIC data",
                "This brief includes SYNTHETIC incidents made by a seeded generator "
                "(labelled in the source, notes and synthetic fields). They are not real events; figures "
                "that include them describe no real situation.",
            )
        )
    notes += [
        (
            "period",
            f"{period.label} ({period.start.date()} to {period.end.date()}), compared with "
            f"{comparison.label} ({comparison.start.date()} to {comparison.end.date()}).",
        ),
        ("attribution", str(record.get("attribution", ""))),
        (
            "counting",
            "Incidents dated within the period and located in Khyber Pakhtunkhwa or Balochistan. "
            "Killed and injured add the counts the sources give; an unknown count adds nothing. "
            "'Killed, category not given' is killed minus civilians, security forces and militants (never below 0); "
            "killed that a source gives by category only, without a total, count in their category but "
            "not in killed, as in the run's tables (see data_quality).",
        ),
        (
            "risk index",
            "The risk index (0–10, five classes) is the run's: density of incidents and killed, "
            "civilian harm, border proximity, trend and Gi* hotspots, measured per period.",
        ),
        ("actors", actors_note(incidents)),
    ]
    if first is not None:
        notes.append(("data coverage", f"The run's incidents are dated {first.date()} to {last.date()}."))
        if comparison.start < first.normalize():
            notes.append(
                (
                    "comparison coverage",
                    f"The comparison period starts before the first incident in "
                    f"the data ({first.date()}): its figures cover only part of it, and changes against "
                    "it overstate increases.",
                )
            )
    return notes


def actors_note(incidents: pd.DataFrame) -> str:
    """How the group table counts: by ``actor_group``, or (a run folder from
    before the actor table) by the source's perpetrator field."""
    if "actor_group" in incidents:
        return (
            "Groups are the run's actor_group: the perpetrator the sources name, on one name across "
            "sources (geo's actor table, geo/data/actors.csv), with its family. At most 10 groups, "
            "those with the most attacks; the attacks no group is known for (no name, 'unknown', or a "
            "name the table lacks) are one last row, 'unidentified', so the rows add up to every "
            "attack of the period when there are 10 groups or fewer."
        )
    return (
        "This run folder was written before the actor table: groups are the sources' perpetrator "
        "field as written, at most 10; the attacks with no group named are one last row, 'unidentified'."
    )
