"""Record linkage: reports of the same event, across sources and within one.

:func:`link_reports` takes the joined report table (canonical columns,
``actor_group``/``actor_family``, ``district_id``) and returns the events (one
row per event, fields by a documented precedence, :func:`geo.linking.events.build_events`)
and the reports (one row per input report, with its ``event_id``, ``link_score``,
``linked_to`` and ``link_reasons``). The method is MELTT's (Donnay et al. 2019):
spatio-temporal windows and an event taxonomy decide which reports may match,
and an event holds at most one report from each source, plus a calibrated
score over eight similarities (:mod:`geo.linking.pairs`) that says how sure
each link is and why.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd

from geo.linking.events import CASUALTY_RULES, build_events, cluster, event_ids
from geo.linking.pairs import FEATURES, Prepared, candidate_pairs, prepare, score_pairs

__all__ = ["CASUALTY_RULES", "FEATURES", "Linked", "link_reports"]
# Event datasets that de-duplicate their own records: never linked within themselves.
CURATED_SOURCES = ("UCDP", "ACLED", "GTD")
REPORT_FRONT = ("event_id", "incident_id", "source", "source_id", "link_score", "linked_to", "link_reasons")


@dataclasses.dataclass(frozen=True)
class Linked:
    """Events and the reports they were made of.

    Attributes
    ----------
    events
        One row per event: the report columns by precedence, plus ``event_id``,
        ``n_reports``, ``sources``, ``report_ids``, ``location_from``,
        ``date_from``, ``killed_from``, ``actor_from``.
    reports
        One row per input report: ``event_id``, ``link_score`` (the best score
        to another report of its event; empty when alone), ``linked_to`` (that
        report), ``link_reasons``, then the report's own columns.
    pairs
        Every candidate pair that passed the windows, with its similarities,
        score and whether it made a link (``linked``).
    """

    events: pd.DataFrame
    reports: pd.DataFrame
    pairs: pd.DataFrame


def link_reports(
    reports: pd.DataFrame,
    *,
    threshold: float = 0.2,
    duplicate_threshold: float = 0.95,
    link_days: int = 2,
    casualties: str = "median",
    margin: float = 1.0,
    enabled: bool = True,
) -> Linked:
    """Link the reports of the same event.

    Parameters
    ----------
    reports
        The joined incident table, one row per report (unique ``incident_id``).
        Reports come back in this order; events in the order of their first report.
    threshold
        Lowest score of a link between reports of two sources.
    duplicate_threshold
        Lowest score of a link between two reports of one source (a near-duplicate).
    link_days
        Days by which two date windows may miss each other and still match.
    margin
        A link is dropped when a report at either end has another candidate
        within this many log-odds that is free to take it (:func:`ambiguous_links`; 0: no such rule).
    casualties
        How an event's counts come from its reports: ``median`` (lower median),
        ``max`` or ``min``.
    enabled
        False: every report is its own event (``geo run --no-link``).
    """
    if casualties not in CASUALTY_RULES:
        msg = f"casualties must be one of {', '.join(CASUALTY_RULES)}, got {casualties!r}"
        raise ValueError(msg)
    table = reports.reset_index(drop=True).assign(_pos=np.arange(len(reports)))
    table = table.sort_values("incident_id", kind="stable", ignore_index=True)
    keys = table["incident_id"].astype(str).to_numpy()
    n = len(table)
    sources = pd.unique(table["source"].astype("string").fillna("").to_numpy(dtype=object))
    pairable = enabled and n > 1 and any(
        may_link(a, b) for a, b in itertools.combinations_with_replacement(sources, 2))
    # With no two sources that may link (one curated dataset, say) there are no
    # pairs: the similarity fields are not worth preparing for every report.
    prepared = prepare(table if pairable else table.iloc[:0])
    if pairable:
        i, j, gap, km = candidate_pairs(prepared, link_days, may_link)
        pairs = score_pairs(prepared, i, j, gap, km, link_days)
    else:
        pairs = score_pairs(
            prepared, *(np.array([], dtype=np.int64),) * 3, np.array([], dtype=float), link_days
        )
    pairs["key_min"] = (
        np.minimum(keys[pairs["i"]], keys[pairs["j"]]) if len(pairs) else pd.Series(dtype=object)
    )
    pairs["key_max"] = (
        np.maximum(keys[pairs["i"]], keys[pairs["j"]]) if len(pairs) else pd.Series(dtype=object)
    )
    eligible = eligible_links(pairs, prepared, threshold, duplicate_threshold)
    labels, used = cluster(n, prepared.source, pairs, eligible)
    ambiguous = ambiguous_links(pairs, prepared, eligible, used, labels, margin)
    if ambiguous.any():  # once more without the links an alternative could take
        labels, used = cluster(n, prepared.source, pairs, eligible & ~ambiguous)
    pairs["ambiguous"] = ambiguous
    pairs["linked"] = used
    table.insert(0, "event_id", event_ids(table["incident_id"], labels))
    score, other, reasons = _explain(table, prepared, pairs, labels, threshold, duplicate_threshold)
    report_table = table.assign(link_score=score, linked_to=other, link_reasons=reasons)
    report_table = report_table.sort_values("_pos", kind="stable", ignore_index=True)
    report_table = report_table[
        list(REPORT_FRONT) + [c for c in table.columns if c not in (*REPORT_FRONT, "_pos")]
    ]
    events = build_events(table, casualties)
    pairs = pairs.assign(
        report_i=keys[pairs["i"]],
        report_j=keys[pairs["j"]],
        source_i=prepared.source[pairs["i"]],
        source_j=prepared.source[pairs["j"]],
    ).drop(columns=["key_min", "key_max"])
    return Linked(events, report_table, pairs)


def may_link(source_a: str, source_b: str) -> bool:
    """Whether any report of ``source_a`` may link to one of ``source_b``
    (the same source: whether it is de-duplicated within itself), by the rules
    of :func:`eligible_links`; pairs of sources that may not are never swept."""
    from geo.incidents.synthetic import SYNTHETIC_SOURCE  # here: geo.incidents imports this module

    if source_a == source_b:
        return source_a not in CURATED_SOURCES
    return (source_a == SYNTHETIC_SOURCE) == (source_b == SYNTHETIC_SOURCE)


def eligible_links(
    pairs: pd.DataFrame, p: Prepared, threshold: float, duplicate_threshold: float
) -> np.ndarray:
    """Which candidate pairs may make a link.

    Across sources: a score of at least ``threshold``; never between the
    SYNTHETIC generator's records (:data:`geo.incidents.synthetic.SYNTHETIC_SOURCE`)
    and another source's, since those events are made up. Within one source: never
    in the curated event datasets (:data:`CURATED_SOURCES`: UCDP, ACLED and GTD
    de-duplicate their own records, and UCDP codes one event per dyad, so two
    of its events can share a day, a place and a toll); in other tables only a
    near-duplicate: a score of at least ``duplicate_threshold``, date windows
    that meet, at most 1 km apart, the same killed, place name (≥ 0.9), actor
    group and event class.
    """
    if not len(pairs):
        return np.zeros(0, dtype=bool)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    score = pairs["score"].to_numpy()
    same = p.source[i] == p.source[j]
    curated = np.isin(p.source[i], list(CURATED_SOURCES))
    duplicate = (
        (score >= duplicate_threshold)
        & (pairs["gap_days"].to_numpy() == 0)
        & (pairs["distance_km"].to_numpy() <= 1.0)
        & (pairs["killed_sim"].to_numpy() == 1.0)
        & ~np.isnan(p.killed[i])
        & (pairs["name_sim"].to_numpy() >= 0.9)
        & (pairs["actor_sim"].to_numpy() == 1.0)
        & (pairs["type_sim"].to_numpy() == 1.0)
    )
    from geo.incidents.synthetic import SYNTHETIC_SOURCE  # here: geo.incidents imports this module

    generated = p.source == SYNTHETIC_SOURCE
    invented = generated[i] != generated[j]  # the generator's events are made up: they match no one else's
    return np.where(same, duplicate & ~curated, (score >= threshold) & ~invented)


def _logit(score: np.ndarray) -> np.ndarray:
    clipped = np.clip(score, 1e-9, 1 - 1e-9)
    return np.log(clipped) - np.log1p(-clipped)


def ambiguous_links(
    pairs: pd.DataFrame,
    p: Prepared,
    eligible: np.ndarray,
    used: np.ndarray,
    labels: np.ndarray,
    margin: float,
) -> np.ndarray:
    """Links across sources that a free alternative could replace: the report
    at either end has another candidate in the other end's source, within
    ``margin`` log-odds of this link, whose event holds no report of its own
    source. Such a report could be either event's, so it is linked to neither
    (both pairs are marked)."""
    ambiguous = np.zeros(len(pairs), dtype=bool)
    if margin <= 0 or not used.any():
        return ambiguous
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    logit = _logit(pairs["score"].to_numpy())
    cross = eligible & (p.source[i] != p.source[j])
    rows = np.flatnonzero(cross)
    long = pd.DataFrame(
        {
            "row": np.r_[rows, rows],
            "r": np.r_[i[rows], j[rows]],
            "x": np.r_[j[rows], i[rows]],
            "w": np.r_[logit[rows], logit[rows]],
            "used": np.r_[used[rows], used[rows]],
        }
    )
    long["s"] = p.source[long["x"].to_numpy()]
    links = long[long["used"]].drop_duplicates(["r", "s"]).set_index(["r", "s"])
    links = links[["w", "row"]].rename(columns={"w": "w_link", "row": "row_link"})
    others = long[~long["used"]].join(links, on=["r", "s"], how="inner")
    others = others[others["w"] >= others["w_link"] - margin]
    if not len(others):
        return ambiguous
    holds = set(zip(labels.tolist(), p.source.tolist(), strict=True))
    own = p.source[others["r"].to_numpy()]
    free = np.array(
        [(int(labels[x]), s) not in holds for x, s in zip(others["x"].to_numpy(), own, strict=True)]
    )
    ambiguous[others["row_link"].to_numpy()[free].astype(int)] = True
    ambiguous[others["row"].to_numpy()[free].astype(int)] = True  # nor to the alternative
    return ambiguous


def _explain(
    table: pd.DataFrame,
    p,
    pairs: pd.DataFrame,
    labels: np.ndarray,
    threshold: float,
    duplicate_threshold: float,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Each report's best link within its event (score, the other report, the
    reasons), or why it stands alone."""
    n = len(table)
    ids = table["incident_id"].astype(str).to_numpy()
    sources = p.source
    score = np.full(n, np.nan)
    other = np.full(n, None, dtype=object)
    reasons = np.array(["no report it may link to within the date and distance windows"] * n, dtype=object)
    if len(pairs):
        both = pd.concat(
            [pairs.assign(r=pairs["i"], o=pairs["j"]), pairs.assign(r=pairs["j"], o=pairs["i"])],
            ignore_index=True,
        )
        both["same_event"] = labels[both["r"]] == labels[both["o"]]
        both["other_key"] = ids[both["o"]]
        best = both.sort_values(
            ["r", "same_event", "score", "other_key"], ascending=[True, False, False, True], kind="stable"
        ).drop_duplicates("r")
        for row in best.itertuples(index=False):
            r, o = int(row.r), int(row.o)
            why = _reasons(row, p, r, o)
            if row.same_event:
                score[r], other[r] = row.score, ids[o]
                reasons[r] = why
                continue
            same = sources[r] == sources[o]
            needed = duplicate_threshold if same else threshold
            if bool(row.ambiguous):
                reasons[r] = (
                    f"ambiguous: best candidate {ids[o]} scored {row.score:.3f}, but another candidate "
                    f"of the same source free to match is within the margin: {why}"
                )
            elif same:
                reasons[r] = (
                    f"best candidate {ids[o]} is a report of the same source and not a "
                    f"near-duplicate of it: {why}"
                )
            elif row.score < needed:
                kind = "duplicate_threshold" if same else "link_threshold"
                reasons[r] = f"best candidate {ids[o]} scored {row.score:.3f}, below {kind} {needed:g}: {why}"
            else:
                reasons[r] = (
                    f"best candidate {ids[o]} scored {row.score:.3f} but went to a report that fits "
                    f"it better (an event holds one report per source): {why}"
                )
    return (
        pd.Series(score, index=table.index, dtype="Float64"),
        pd.Series(other, index=table.index, dtype="string"),
        pd.Series(reasons, index=table.index, dtype="string"),
    )


def _reasons(row, p, r: int, o: int) -> str:
    """The similarities of one pair, in words and numbers."""

    def shown(value: float) -> str:
        return "unknown" if value != value else f"{value:g}"

    parts = [
        f"{int(row.gap_days)} d apart" if row.gap_days else "date windows overlap",
        f"{row.distance_km:.1f} km apart",
        f"types {p.event_class[r]}/{p.event_class[o]} ({row.type_sim:.2f})",
        f"killed {shown(p.killed[r])} vs {shown(p.killed[o])} ({row.killed_sim:.2f})",
        f"place {p.name[r] or 'unknown'!r} vs {p.name[o] or 'unknown'!r} ({row.name_sim:.2f})",
        f"actors {p.group[r] or 'unidentified'} / {p.group[o] or 'unidentified'} ({row.actor_sim:.2f})",
        {1.0: "same district", 0.0: "different districts"}.get(row.same_district, "district unknown"),
    ]
    return f"score {row.score:.3f}: " + "; ".join(parts)
