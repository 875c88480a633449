"""From scored pairs to events, and the fields of each event by precedence.

Clustering follows MELTT (:func:`cluster`): sources are matched one after
another, one-to-one, so that an event holds at most one report from each
source; reports of one source join only as near-duplicates
(:func:`geo.linking.eligible_links`).
"""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pandas as pd

CASUALTY_RULES = ("median", "max", "min")
CASUALTY_COLUMNS = ("killed", "killed_civilians", "killed_security", "killed_militants", "injured")
# Fields that follow the report chosen for the location (its join results go with it).
LOCATION_FIELDS = (
    "lat",
    "lon",
    "geo_precision",
    "place",
    "source_admin1",
    "source_admin2",
    "place_parsed",
    "geocode_method",
    "geocode_score",
    "coordinates_fixed",
    "tehsil_id",
    "tehsil",
    "district_id",
    "district",
    "province",
    "country",
    "in_study_area",
    "join_method",
    "distance_to_border_km",
    "border_band",
)
_METHOD_RANK = {"source_coordinates": 0, "gazetteer": 1, "admin_centroid": 2}
_DATE_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}


def cluster(
    n: int, sources: np.ndarray, pairs: pd.DataFrame, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Group label of each report and a mask of the pairs that made a link.

    First the near-duplicates within a source join (highest score first).
    Then, as MELTT does, the sources are taken in order (by name): the reports
    of each are matched one-to-one to the events built from the sources before
    it, maximising the summed log-odds of the links (an optimal assignment per
    connected group of candidates, :func:`scipy.optimize.linear_sum_assignment`),
    so that an event holds at most one report of each source. A report's score
    to an event is its best score to a report of it. ``pairs`` holds ``i``,
    ``j``, ``score`` and the pair's incident ids in order, ``key_min`` and
    ``key_max``, which break ties; only the ``eligible`` pairs may link.
    """
    parent = np.arange(n)

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    pairs = pairs.reset_index(drop=True)
    used = np.zeros(len(pairs), dtype=bool)
    if not len(pairs):
        return np.arange(n), used
    i_all, j_all = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    same = sources[i_all] == sources[j_all]
    order = pairs.sort_values(
        ["score", "key_min", "key_max"], ascending=[False, True, True], kind="stable"
    ).index
    for row in order[(eligible & same)[order]]:
        a, b = find(int(i_all[row])), find(int(j_all[row]))
        if a != b:
            parent[max(a, b)] = min(a, b)
            used[row] = True
    names = sorted(set(sources))
    rank = {name: k for k, name in enumerate(names)}
    source_rank = np.array([rank[x] for x in sources])
    cross = np.flatnonzero(eligible & ~same)
    logit = np.log(np.clip(pairs["score"].to_numpy(), 1e-9, 1 - 1e-9)) - np.log1p(
        -np.clip(pairs["score"].to_numpy(), 1e-9, 1 - 1e-9)
    )
    for step in range(1, len(names)):
        ri, rj = source_rank[i_all[cross]], source_rank[j_all[cross]]
        now = cross[((ri == step) & (rj < step)) | ((rj == step) & (ri < step))]
        if not len(now):
            continue
        new_end = np.where(source_rank[i_all[now]] == step, i_all[now], j_all[now])
        old_end = np.where(source_rank[i_all[now]] == step, j_all[now], i_all[now])
        roots = np.array([find(x) for x in range(n)])
        edges = pd.DataFrame(
            {
                "row": now,
                "new": roots[new_end],
                "old": roots[old_end],
                "w": logit[now],
                "key_min": pairs["key_min"].to_numpy()[now],
                "key_max": pairs["key_max"].to_numpy()[now],
            }
        )
        # one edge per (event, new report group): the best pair between them
        edges = edges.sort_values(
            ["new", "old", "w", "key_min", "key_max"],
            ascending=[True, True, False, True, True],
            kind="stable",
        ).drop_duplicates(["new", "old"])
        for a, b, row in _assign(edges):
            if find(a) != find(b):
                parent[max(find(a), find(b))] = min(find(a), find(b))
                used[row] = True
    return np.array([find(x) for x in range(n)]), used


def _assign(edges: pd.DataFrame) -> list[tuple[int, int, int]]:
    """The one-to-one choice of edges (``new``, ``old``) with the largest summed
    weight, per connected group of edges (ties by the pairs' incident ids)."""
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    edges = edges.sort_values(["key_min", "key_max"], kind="stable")
    new, old = edges["new"].to_numpy(), edges["old"].to_numpy()
    rows, weight = edges["row"].to_numpy(), edges["w"].to_numpy()
    nodes_new, new_index = np.unique(new, return_inverse=True)
    nodes_old, old_index = np.unique(old, return_inverse=True)
    k_new = len(nodes_new)
    size = k_new + len(nodes_old)
    graph = coo_matrix((np.ones(len(edges)), (new_index, k_new + old_index)), shape=(size, size))
    _, component = connected_components(graph, directed=False)
    component = component[new_index]
    sizes = np.bincount(component)
    single = sizes[component] == 1
    chosen = list(zip(new[single].tolist(), old[single].tolist(), rows[single].tolist(), strict=True))
    multi = np.flatnonzero(~single)
    multi = multi[np.argsort(component[multi], kind="stable")]
    bounds = np.flatnonzero(np.diff(component[multi])) + 1
    for part in np.split(multi, bounds) if len(multi) else []:
        rows_n, inv_n = np.unique(new_index[part], return_inverse=True)
        rows_o, inv_o = np.unique(old_index[part], return_inverse=True)
        weights = np.full((len(rows_n), len(rows_o)), -1e6)
        weights[inv_n, inv_o] = weight[part]
        lookup = np.full((len(rows_n), len(rows_o)), -1)
        lookup[inv_n, inv_o] = part
        for a, b in zip(*linear_sum_assignment(weights, maximize=True), strict=True):
            k = lookup[a, b]
            if k >= 0:
                chosen.append((int(new[k]), int(old[k]), int(rows[k])))
    return chosen


def event_ids(incident_ids: pd.Series, labels: np.ndarray) -> pd.Series:
    """``ev-`` and 16 hex digits of the SHA-256 of the event's sorted incident
    ids: the same reports give the same id, whatever the run or row order."""
    ids = incident_ids.astype(str).to_numpy(dtype=object)
    labels = np.asarray(labels, dtype=np.int64)
    out = np.empty(len(ids), dtype=object)
    if not len(ids):
        return pd.Series(out, index=incident_ids.index, dtype="string")
    _, event_of, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    alone = sizes[event_of] == 1  # most events have one report: hashed one by one, never sorted
    sha256 = hashlib.sha256
    out[alone] = ["ev-" + sha256(k.encode("utf-8")).hexdigest()[:16] for k in ids[alone]]
    grouped = np.flatnonzero(~alone)
    # the others by event, then by id (code-point order)
    order = grouped[np.lexsort((pd.factorize(ids[grouped], sort=True)[0], labels[grouped]))]
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(order) else order
    for start, end in zip(starts, np.r_[starts[1:], len(order)][:len(starts)], strict=True):
        members = order[start:end]
        digest = sha256("\n".join(ids[members]).encode("utf-8")).hexdigest()
        out[members] = "ev-" + digest[:16]
    return pd.Series(out, index=incident_ids.index, dtype="string")


def _first_by(reports: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per event, the first report by ``keys`` then ``incident_id``."""
    columns = ["_event", *keys, "_id"]
    order = reports[columns].sort_values(columns, kind="stable").drop_duplicates("_event").index
    return reports.loc[order]


def _casualty(reports: pd.DataFrame, column: str, rule: str) -> pd.DataFrame:
    """Per event, the figure the rule picks among the reports that give one,
    and the report it comes from. ``median`` is the lower median (always a
    figure some report gave)."""
    known = reports.loc[reports[column].notna(), ["event_id", "incident_id", "_event", "_id", column]]
    known = known.assign(_value=known[column].astype("float64") * (-1.0 if rule == "max" else 1.0))
    known = known.sort_values(["_event", "_value", "_id"], kind="stable")
    if rule in ("max", "min"):
        pick = known.drop_duplicates("_event", keep="first")
    else:
        position = known.groupby("_event").cumcount().to_numpy()
        size = known.groupby("_event")["_id"].transform("size").to_numpy()
        pick = known.loc[position == (size - 1) // 2]
    return pick.set_index("event_id")


def _joined(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per event, the distinct values of ``column`` sorted and joined with ``; ``."""
    pairs = frame[["event_id", column]].dropna().astype(str).drop_duplicates()
    pairs = pairs.sort_values(["event_id", column], kind="stable")
    out = {
        key: "; ".join(values)
        for key, values in (
            (k, [v for _, v in group])
            for k, group in itertools.groupby(
                zip(pairs["event_id"].tolist(), pairs[column].tolist(), strict=True), key=lambda kv: kv[0]
            )
        )
    }
    return pd.Series(out, dtype="string")


def build_events(reports: pd.DataFrame, casualties: str) -> pd.DataFrame:
    """One row per ``event_id`` of ``reports``, its fields by precedence:

    - location (and everything the join derived from it): the most precise
      ``geo_precision``, then source coordinates over gazetteer over centroid;
    - date: the most precise ``date_precision``;
    - casualties: each count by the ``casualties`` rule over the reports that
      give it (``median``, ``max`` or ``min``);
    - actor (``perpetrator``, ``actor_group``, ``actor_family``): the first
      report in location order whose group is identified;
    - ``event_type``, ``target_category``, ``notes``, ``incident_id``, ``source``,
      ``source_id``, ``input_file``, ``line_no``: the location's report.

    Ties fall to the curated datasets (:data:`geo.linking.CURATED_SOURCES`, in
    that order), then to the source first by name, then to the smallest
    ``incident_id``. ``location_from``, ``date_from``,
    ``killed_from`` and ``actor_from`` name the report each came from.
    An event of one report is that report (most are: a curated dataset's
    events link to nothing of their own source), so only the others go through
    the precedence rules.
    """
    alone = ~reports["event_id"].duplicated(keep=False).to_numpy()
    if not alone.any():
        return _events_by_precedence(reports, casualties)
    single = _events_of_one_report(reports.loc[alone])
    if alone.all():
        return single
    linked = _events_by_precedence(reports.loc[~alone], casualties)
    events = pd.concat([linked, single[linked.columns].astype(linked.dtypes.to_dict())], ignore_index=True)
    if "_pos" in reports:
        first_of_linked = reports.loc[~alone].groupby("event_id")["_pos"].min().reindex(linked["event_id"])
        # the single events are in ``_pos`` order (_events_of_one_report)
        first = np.r_[first_of_linked.to_numpy(), np.sort(reports.loc[alone, "_pos"].to_numpy())]
    else:
        first = events["incident_id"].to_numpy(dtype=object)
    return events.iloc[np.argsort(first, kind="stable")].reset_index(drop=True)


def _events_of_one_report(reports: pd.DataFrame) -> pd.DataFrame:
    """The events of :func:`build_events` for reports that are alone in their
    event: every field is the report's own, as the precedence rules would give."""
    events = reports.drop(columns=[c for c in reports.columns if c.startswith("_")])
    ids = events["incident_id"].astype("string")
    if "killed" in events:
        events["killed_from"] = ids.where(events["killed"].notna().to_numpy())
    events["n_reports"] = pd.array(np.ones(len(events), dtype=np.int32), dtype="Int32")
    events["sources"] = events["source"].astype("string")
    events["report_ids"] = ids
    events["synthetic"] = events["synthetic"].fillna(False).astype("boolean")
    events["location_from"] = ids
    events["date_from"] = ids
    events["actor_from"] = ids.where(events["actor_group"] != "unidentified")
    if "_pos" in reports:
        events = events.iloc[np.argsort(reports["_pos"].to_numpy(), kind="stable")]
    else:
        events = events.sort_values("incident_id", kind="stable")
    events = events.reset_index(drop=True)
    front = ["event_id", "n_reports", "sources"]
    return events[front + [c for c in events.columns if c not in front]]


def _events_by_precedence(reports: pd.DataFrame, casualties: str) -> pd.DataFrame:
    """The events of :func:`build_events`, each field chosen among the event's reports."""
    from geo.linking import CURATED_SOURCES

    curated = {name: k for k, name in enumerate(CURATED_SOURCES)}
    work = reports.assign(
        _event=pd.factorize(reports["event_id"], sort=True)[0],
        _id=pd.factorize(reports["incident_id"], sort=True)[0],
        _source=reports["source"].map(curated).fillna(len(curated)),
        _name=pd.factorize(reports["source"], sort=True)[0],
        _geo=reports["geo_precision"].astype("Float64").fillna(9),
        _method=reports["geocode_method"].map(_METHOD_RANK).fillna(9),
        _date=reports["date_precision"].map(_DATE_RANK).fillna(9),
        _unknown_actor=(reports["actor_group"] == "unidentified").astype(int),
    )
    work["_day"] = pd.factorize(work["date"].fillna(""), sort=True)[0]
    location = _first_by(work, ["_geo", "_method", "_source", "_name"]).set_index("event_id")
    dated = _first_by(work, ["_date", "_source", "_name", "_day"]).set_index("event_id")
    actor = _first_by(work, ["_unknown_actor", "_geo", "_method", "_source", "_name"]).set_index("event_id")
    events = location.drop(columns=[c for c in work.columns if c.startswith("_")])
    first_position = work.groupby("event_id")["_pos"].min() if "_pos" in work else None
    events["date"], events["date_precision"] = dated["date"], dated["date_precision"]
    for column in ("perpetrator", "actor_group", "actor_family"):
        events[column] = actor[column]
    for column in CASUALTY_COLUMNS:
        if column in events:
            pick = _casualty(work, column, casualties)
            events[column] = pick[column].reindex(events.index).astype(reports[column].dtype)
            if column == "killed":
                events["killed_from"] = pick["incident_id"].reindex(events.index).astype("string")
    grouped = work.groupby("event_id", sort=True)
    events["n_reports"] = grouped.size().reindex(events.index).astype("Int32")
    events["sources"] = _joined(work, "source").reindex(events.index)
    events["report_ids"] = _joined(work, "incident_id").reindex(events.index)
    events["synthetic"] = grouped["synthetic"].any().reindex(events.index).astype("boolean")
    events["location_from"] = location["incident_id"]
    events["date_from"] = dated["incident_id"]
    events["actor_from"] = actor["incident_id"].where(actor["actor_group"] != "unidentified")
    for column in ("sources", "report_ids", "location_from", "date_from", "actor_from"):
        events[column] = events[column].astype("string")
    if first_position is not None:
        events["_first"] = first_position.reindex(events.index)
        events = (
            events.reset_index()
            .sort_values("_first", kind="stable", ignore_index=True)
            .drop(columns="_first")
        )
    else:
        events = events.reset_index().sort_values("incident_id", kind="stable", ignore_index=True)
    front = ["event_id", "n_reports", "sources"]
    return events[front + [c for c in events.columns if c not in front]]
