"""Every figure of the brief, computed once into the tables that ``tables.xlsx``
holds and the HTML and PDF show.

The period's district figures are read from the run's own tables
(``summary_districts.csv``, ``monthly_killed_by_province.csv``) when the brief
covers the run's period; any other period (the comparison period, a ``--month``)
is measured with the same metrics the run uses (:func:`geo.metrics.layers.unit_layers`,
:func:`geo.metrics.units.monthly_by_province`) on the run's ``incidents.parquet``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from geo import boundaries
from geo._errors import GeoError
from geo.actors import UNIDENTIFIED
from geo.boundaries.assign import STUDY_PROVINCES
from geo.config import Settings
from geo.filenames import (
    INCIDENTS_PARQUET,
    MAP_PNG,
    MONTHLY_KILLED_BY_PROVINCE_CSV,
    RUN_JSON,
    SUMMARY_DISTRICTS_CSV,
)
from geo.metrics.layers import unit_layers
from geo.metrics.risk import RISK_CLASS_LABELS
from geo.metrics.units import monthly_by_province, parse_dates
from geo.report.caveats import KILLED_COLUMNS, notes, quality_table, source_table
from geo.report.periods import Period, last_months, study_period_incidents

MEASURES = (  # column, label
    ("incidents", "Incidents"),
    ("killed", "Killed"),
    ("killed_civilians", "Civilians killed"),
    ("killed_security", "Security forces killed"),
    ("killed_militants", "Militants killed"),
    ("killed_unknown", "Killed, category not given"),
    ("injured", "Injured"),
)
UNKNOWN_GROUPS = {"", "unknown", "unidentified", "not known", "none", "n/a", "na"}
TOP_N = 10
BORDER_REACH_KM = 50.0


class ReportInputError(GeoError, FileNotFoundError):
    """The folder lacks an output of ``geo run`` that the brief needs."""


@dataclasses.dataclass(frozen=True)
class Brief:
    """The brief's content.

    Attributes
    ----------
    period, comparison
        The period reported and the one it is compared with.
    tables
        Sheet name → table, in the brief's order; every number shown comes from these.
    notes
        (topic, text) pairs: sources, attribution and caveats (the notes sheet).
    synthetic
        Whether SYNTHETIC records are among the run's incidents.
    attribution
        The run's attribution line (boundary and incident sources).
    map_png
        The run's static map (``map.png``), or None when the run has none.
    actor_field
        What the group table counts by: ``"actor_group"``, or ``"perpetrator"``
        for a run folder from before the actor table (:func:`actor_field`).
    """

    period: Period
    comparison: Period
    tables: dict[str, pd.DataFrame]
    notes: list[tuple[str, str]]
    synthetic: bool
    attribution: str
    map_png: bytes | None = dataclasses.field(repr=False)
    actor_field: str = "actor_group"


def run_period(run_dir: Path) -> Period:
    """The period the run measured (its summaries' ``period_start``/``period_end``)."""
    record = _run_record(run_dir)
    first, last = record.get("settings", {}).get("risk", {}).get("period", [None, None])
    if first is None:
        summary = _read_summary(run_dir)
        first, last = summary["period_start"].iloc[0], summary["period_end"].iloc[0]
    return Period(pd.Timestamp(first), pd.Timestamp(last))


def build_brief(run_dir: Path, period: Period, comparison: Period, settings: Settings, *,
                with_map: bool = True) -> Brief:
    """Compute every table of the brief from the outputs in ``run_dir``
    (without ``map_png`` when not ``with_map``: ``geo run`` computes the tables
    while it still draws the map, see :mod:`geo.pipeline.brief_process`).

    Raises
    ------
    ReportInputError
        If ``run_dir`` lacks ``run.json``, ``incidents.parquet`` or ``summary_districts.csv``.
    """
    run_dir = Path(run_dir)
    record = _run_record(run_dir)
    settings = _run_settings(record, settings)
    measured = run_period(run_dir)
    incidents = _read_incidents(run_dir)
    summary = _read_summary(run_dir)
    districts = _district_tables(run_dir, incidents, summary, measured, (period, comparison), settings)
    current, previous = districts
    tables = {
        "headline": headline_table(current, previous),
        "province_by_category": province_table(current, previous),
        "monthly_by_province": monthly_table(run_dir, incidents, measured, last_months(period)),
        "top_districts_killed": top_table(current, previous, "killed"),
        "top_districts_risk": top_table(current, previous, "risk_score"),
        "border_bands": border_table(current, previous),
        "actors": actor_table(incidents, period, comparison),
        "risk_class_changes": class_change_table(current, previous),
        "sources": source_table(incidents, period),
        "data_quality": quality_table(record, incidents, period),
    }
    synthetic = bool(record.get("synthetic_data")) or bool(incidents["synthetic"].fillna(False).any())
    return Brief(
        period,
        comparison,
        tables,
        notes(record, incidents, period, comparison, synthetic),
        synthetic,
        str(record.get("attribution", "")),
        read_map_png(run_dir) if with_map else None,
        actor_field(incidents),
    )


def read_map_png(run_dir: Path) -> bytes | None:
    """The run's ``map.png``, or None when the run has none."""
    path = Path(run_dir) / MAP_PNG
    return path.read_bytes() if path.is_file() else None


# ---------------------------------------------------------------- reading


def _run_record(run_dir: Path) -> dict:
    path = Path(run_dir) / RUN_JSON
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"{run_dir} holds no run.json: give the folder of a `geo run`"
        raise ReportInputError(msg) from exc
    except (OSError, ValueError) as exc:
        msg = f"cannot read {path}: {exc}"
        raise ReportInputError(msg) from exc
    return record if isinstance(record, dict) else {}


def _run_settings(record: dict, settings: Settings) -> Settings:
    """``settings`` with the run's district vintage and band edges (from its
    run.json), so that another period is measured over the same units and bands."""
    recorded = record.get("settings", {}) if isinstance(record.get("settings"), dict) else {}
    changes: dict[str, object] = {}
    if isinstance(recorded.get("district_vintage"), str):
        changes["district_vintage"] = recorded["district_vintage"]
    if isinstance(recorded.get("border_band_edges_km"), list):
        changes["border_band_edges_km"] = tuple(float(edge) for edge in recorded["border_band_edges_km"])
    return dataclasses.replace(settings, **changes) if changes else settings


def _require(run_dir: Path, name: str) -> Path:
    path = Path(run_dir) / name
    if not path.is_file():
        msg = f"{run_dir} lacks {name}, an output of `geo run` the brief needs"
        raise ReportInputError(msg)
    return path


def read_run_table(path: Path, read: Callable[[Path], pd.DataFrame], columns: Sequence[str] = ()) -> pd.DataFrame:
    """``read(path)``, a table of a run folder, with the ``columns`` the brief needs.

    Raises
    ------
    ReportInputError
        The file cannot be read (damaged, or not what ``geo run`` writes) or
        lacks one of ``columns``.
    """
    try:
        table = read(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"cannot read {path}: {reason}; give the folder of a `geo run` (or run it again)"
        raise ReportInputError(msg) from None
    missing = [column for column in columns if column not in table.columns]
    if missing:
        msg = f"{path} lacks the column(s) {', '.join(missing)}: it is not what `geo run` writes (run it again)"
        raise ReportInputError(msg)
    return table


SUMMARY_COLUMNS = ("district_id", "district", "province", "incidents", "killed", "injured", "risk_score",
                   "risk_class", "period_start", "period_end")


# Columns of incidents.parquet that no figure of the brief reads: left on disk
# (most of the bytes of a million incidents: texts, provenance, linking).
UNREAD_COLUMNS = frozenset({
    "notes", "place", "place_parsed", "source_admin1", "source_admin2", "report_ids", "sources", "input_file",
    "geocode_method", "coordinates_fixed", "target_category", "sides", "killed_from", "location_from", "date_from",
    "actor_from", "join_method", "event_id", "source_id", "line_no", "geocode_score", "n_reports",
})


def _read_incidents(run_dir: Path) -> pd.DataFrame:
    """The incidents with the columns the brief reads, their dates parsed once (``_date``)."""
    def read(path: Path) -> pd.DataFrame:
        names = [name for name in pq.read_schema(path).names if name not in UNREAD_COLUMNS]
        incidents = pd.read_parquet(path, columns=names)
        return incidents.assign(_date=parse_dates(incidents["date"])) if "date" in incidents else incidents

    return read_run_table(_require(run_dir, INCIDENTS_PARQUET), read)


def read_summary(path: Path) -> pd.DataFrame:
    """``summary_districts.csv`` of a run, checked for the columns the brief and compare need."""
    return read_run_table(
        path, lambda p: pd.read_csv(p, dtype={"district_id": "string"}), (*SUMMARY_COLUMNS, *KILLED_COLUMNS)
    )


def _read_summary(run_dir: Path) -> pd.DataFrame:
    return read_summary(_require(run_dir, SUMMARY_DISTRICTS_CSV))


def _district_tables(
    run_dir: Path,
    incidents: pd.DataFrame,
    summary: pd.DataFrame,
    measured: Period,
    periods: tuple[Period, ...],
    settings: Settings,
) -> list[pd.DataFrame]:
    """The district table of each period: the run's own where it measured that period."""
    border = bands = None
    out = []
    for period in periods:
        if period == measured:
            out.append(summary)
            continue
        if border is None:
            border = boundaries.load("border", boundaries_dir=settings.boundaries_dir).geometry.iloc[0]
            bands = boundaries.load("border_bands", boundaries_dir=settings.boundaries_dir)
        layers = unit_layers(
            incidents.drop(columns=["in_period"], errors="ignore"),
            settings,
            border,
            bands,
            period.as_tuple(),
            levels=("districts_risk",),
        )
        out.append(pd.DataFrame(layers.layers["districts_risk"].drop(columns="geometry")))
    return out


# ---------------------------------------------------------------- tables


def with_unknown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``killed_unknown``: killed whose category the source does not give."""
    known = frame[list(KILLED_COLUMNS)].sum(axis=1)
    return frame.assign(killed_unknown=(frame["killed"] - known).clip(lower=0).astype("int64"))


def _totals(frame: pd.DataFrame) -> pd.Series:
    frame = with_unknown(frame)
    return pd.Series({column: int(frame[column].sum()) for column, _ in MEASURES})


def change_columns(value: pd.Series, previous: pd.Series) -> pd.DataFrame:
    """Absolute change and change in % (NaN where the comparison is 0)."""
    value, previous = value.astype("int64"), previous.astype("int64")
    pct = ((value - previous) / previous.where(previous > 0) * 100.0).round(1)
    return pd.DataFrame({"change": value - previous, "change_pct": pct})


def headline_table(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Incidents, killed by category and injured in the period and the comparison period."""
    now, before = _totals(current), _totals(previous)
    table = pd.DataFrame(
        {
            "measure": [c for c, _ in MEASURES],
            "label": [label for _, label in MEASURES],
            "value": now.to_numpy(),
            "comparison": before.to_numpy(),
        }
    )
    return pd.concat([table, change_columns(table["value"], table["comparison"])], axis=1)


def province_table(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Per province (and in all): incidents, killed by victim category, injured."""
    columns = [c for c, _ in MEASURES]

    def per_province(frame: pd.DataFrame) -> pd.DataFrame:
        frame = with_unknown(frame)
        table = frame.groupby("province")[columns].sum().reindex(sorted(STUDY_PROVINCES), fill_value=0)
        table.loc["Total"] = table.sum()
        return table.astype("int64")

    now, before = per_province(current), per_province(previous)
    table = now.reset_index(names="province")
    table["killed_comparison"] = before["killed"].to_numpy()
    return pd.concat(
        [
            table,
            change_columns(table["killed"], table["killed_comparison"]).rename(
                columns={"change": "killed_change", "change_pct": "killed_change_pct"}
            ),
        ],
        axis=1,
    )


def monthly_table(run_dir: Path, incidents: pd.DataFrame, measured: Period, months: Period) -> pd.DataFrame:
    """Killed per province, month and victim category over the last 12 months."""
    if months == measured:
        table = pd.read_csv(
            _require(run_dir, MONTHLY_KILLED_BY_PROVINCE_CSV), dtype={"province": "string", "month": "string"}
        )
    else:
        table = monthly_by_province(incidents, months.start, months.end, STUDY_PROVINCES)
    table = with_unknown(table.drop(columns=["synthetic_data"], errors="ignore"))
    return table[["province", "month", *[c for c, _ in MEASURES]]].reset_index(drop=True)


def _rank(values: pd.Series, present_only: bool) -> pd.Series:
    ranks = values.rank(method="min", ascending=False)
    if present_only:
        ranks = ranks.where(values > 0)
    return ranks.astype("Int64")


def top_table(current: pd.DataFrame, previous: pd.DataFrame, column: str) -> pd.DataFrame:
    """The 10 first districts by ``column`` (ties share a rank), with their
    rank in the comparison period and the change (positive: moved up)."""
    by_killed = column == "killed"
    now = current[["district_id", "district", "province", column, "incidents", "risk_class"]].copy()
    now["rank"] = _rank(now[column], by_killed)
    before = previous.set_index("district_id")
    now[f"{column}_comparison"] = now["district_id"].map(before[column])
    now["rank_comparison"] = now["district_id"].map(_rank(before[column], by_killed))
    now["rank_change"] = (now["rank_comparison"] - now["rank"]).astype("Int64")
    if not by_killed:
        now["risk_class_comparison"] = now["district_id"].map(before["risk_class"])
    now = now[now["rank"].notna()].sort_values(["rank", "district"], ignore_index=True).head(TOP_N)
    first = ["rank", "district", "province", column]
    rest = [c for c in now.columns if c not in first and c != "district_id"]
    if by_killed:
        rest.remove("risk_class")
    return now[["district_id", *first, *rest]]


def _band_columns(frame: pd.DataFrame, kind: str) -> list[str]:
    return [c for c in frame.columns if c.startswith(f"{kind}_band_")]


def _band_label(column: str) -> tuple[str, float]:
    """``incidents_band_10_25`` → ("10–25 km", 25); ``…_over_100`` → ("over 100 km", inf)."""
    part = column.split("_band_", 1)[1]
    if part.startswith("over_"):
        return f"over {part[5:]} km", np.inf
    low, high = part.split("_")
    return f"{low}–{high} km", float(high)


def border_table(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Incidents and killed per distance band from the border, the share of
    each, and the bands within 50 km together."""
    rows = []
    for column in _band_columns(current, "incidents"):
        killed_column = column.replace("incidents_", "killed_", 1)
        label, reach = _band_label(column)
        rows.append(
            {
                "band": label,
                "reach_km": reach,
                "incidents": int(current[column].sum()),
                "killed": int(current[killed_column].sum()),
                "incidents_comparison": int(previous[column].sum()),
                "killed_comparison": int(previous[killed_column].sum()),
            }
        )
    table = pd.DataFrame(rows)
    near = table[table["reach_km"] <= BORDER_REACH_KM]
    within = {
        "band": f"within {BORDER_REACH_KM:g} km",
        "reach_km": BORDER_REACH_KM,
        **{
            c: int(near[c].sum())
            for c in ("incidents", "killed", "incidents_comparison", "killed_comparison")
        },
    }
    table = pd.concat([table, pd.DataFrame([within])], ignore_index=True)
    for kind in ("incidents", "killed"):
        for suffix in ("", "_comparison"):
            total = float(table[f"{kind}{suffix}"].iloc[:-1].sum())
            table[f"{kind}{suffix}_share"] = (table[f"{kind}{suffix}"] / total).round(4) if total else np.nan
    return table[
        [
            "band",
            "incidents",
            "incidents_share",
            "killed",
            "killed_share",
            "incidents_comparison",
            "incidents_comparison_share",
            "killed_comparison",
            "killed_comparison_share",
        ]
    ]


def actor_field(incidents: pd.DataFrame) -> str:
    """``"actor_group"`` when the run named the actors with geo's actor table
    (``geo/data/actors.csv``), ``"perpetrator"`` for an older run folder whose
    incidents lack that column."""
    return "actor_group" if "actor_group" in incidents else "perpetrator"


def _groups(incidents: pd.DataFrame) -> pd.DataFrame:
    """Attacks and killed per (group, family); no group known is ``unidentified``."""
    if actor_field(incidents) == "actor_group":
        group = incidents["actor_group"].astype("string").fillna(UNIDENTIFIED)
        family = (
            incidents["actor_family"].astype("string").fillna(UNIDENTIFIED)
            if "actor_family" in incidents
            else group
        )
    else:  # an older run: the source's perpetrator field as written, no family
        names = incidents["perpetrator"].astype("string").str.strip()
        unknown = names.isna() | names.str.lower().isin(UNKNOWN_GROUPS).fillna(True)
        group = names.mask(unknown, UNIDENTIFIED)
        family = pd.Series("", index=incidents.index, dtype="string")
    grouped = incidents.assign(group=group, family=family).groupby(["group", "family"])
    return pd.DataFrame({"attacks": grouped.size(), "killed": grouped["killed"].sum(min_count=1).fillna(0)})


def actor_table(incidents: pd.DataFrame, period: Period, comparison: Period) -> pd.DataFrame:
    """Attacks and killed per actor group (``actor_group``, with its
    ``actor_family``; in an older run folder without them, the source's
    perpetrator field with no family): the ``TOP_N`` groups with the most
    attacks, then one ``unidentified`` row for the attacks no group is known
    for (no name, "unknown", or a name the actor table lacks), so that the
    rows add up to every attack of the period while the groups are at most
    ``TOP_N``."""
    columns = ["actor_group", "actor_family", "perpetrator", "killed"]  # what _groups reads
    now, before = (
        _groups(study_period_incidents(incidents, period, columns)),
        _groups(study_period_incidents(incidents, comparison, columns)),
    )
    table = now.join(before.add_suffix("_comparison"), how="left").fillna(0).astype("int64")
    table = table.reset_index().sort_values(
        ["attacks", "killed", "group"], ascending=[False, False, True], ignore_index=True
    )
    unidentified = table["group"] == UNIDENTIFIED
    table = pd.concat([table[~unidentified].head(TOP_N), table[unidentified]], ignore_index=True)
    return table[["group", "family", "attacks", "killed", "attacks_comparison", "killed_comparison"]]


def class_change_table(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """The districts whose risk class differs from the comparison period's."""
    order = {label: i for i, label in enumerate(RISK_CLASS_LABELS)}
    before = previous.set_index("district_id")
    table = current[["district_id", "district", "province", "risk_class", "risk_score"]].copy()
    table["risk_class_comparison"] = table["district_id"].map(before["risk_class"])
    table["risk_score_comparison"] = table["district_id"].map(before["risk_score"])
    table = table[table["risk_class"] != table["risk_class_comparison"]].copy()
    rank = lambda column: table[column].map(order).astype("float64")  # noqa: E731  (empty tables too)
    step = rank("risk_class") - rank("risk_class_comparison")
    table["direction"] = np.where(step > 0, "higher", "lower")
    table["_step"] = -step
    table = table.sort_values(["direction", "_step", "district"], ignore_index=True)
    return table[
        [
            "district_id",
            "district",
            "province",
            "risk_class_comparison",
            "risk_class",
            "direction",
            "risk_score_comparison",
            "risk_score",
        ]
    ]
