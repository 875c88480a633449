"""``geo compare DIR_A DIR_B``: the change per district between two runs, for
ad-hoc before/after work (``compare_districts.csv`` and an xlsx sheet)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from geo.export.folder import make_folder
from geo.export.tables import write_csv
from geo.filenames import COMPARE_DISTRICTS_CSV, COMPARE_DISTRICTS_XLSX, RUN_JSON, SUMMARY_DISTRICTS_CSV
from geo.report.figures import ReportInputError, read_summary, with_unknown
from geo.report.xlsx import write_workbook
COMPARED = (
    "incidents",
    "killed",
    "killed_civilians",
    "killed_security",
    "killed_militants",
    "killed_unknown",
    "injured",
    "risk_score",
)


def _summary(run_dir: Path) -> pd.DataFrame:
    path = Path(run_dir) / SUMMARY_DISTRICTS_CSV
    if not path.is_file():
        msg = f"{run_dir} lacks {SUMMARY_DISTRICTS_CSV}: give the folders of two `geo run`s"
        raise ReportInputError(msg)
    return with_unknown(read_summary(path))


def _vintage(run_dir: Path) -> str | None:
    """The district vintage of a run (settings.district_vintage of its run.json),
    None where run.json is missing or does not say."""
    try:
        settings = json.loads((Path(run_dir) / RUN_JSON).read_text(encoding="utf-8")).get("settings")
    except (OSError, ValueError, AttributeError):
        return None
    vintage = settings.get("district_vintage") if isinstance(settings, dict) else None
    return vintage if isinstance(vintage, str) else None


def compare_table(run_a: Path, run_b: Path) -> pd.DataFrame:
    """One row per district of either run: each measure in A and B, the change
    and the change in % (empty where A is 0), risk class and rank in both.

    Raises
    ------
    ReportInputError
        A folder is not a run, or the runs count by different district vintages
        (their districts cannot be matched one to one).
    """
    a, b = _summary(run_a), _summary(run_b)
    vintage_a, vintage_b = _vintage(run_a), _vintage(run_b)
    if vintage_a is not None and vintage_b is not None and vintage_a != vintage_b:
        msg = (
            f"{run_a} counts by {vintage_a} districts and {run_b} by {vintage_b} districts: "
            "compare runs of one district_vintage"
        )
        raise ReportInputError(msg)
    keys = ["district_id", "district", "province"]
    table = a[keys].merge(b[keys], on=keys, how="outer")
    for side, frame in (("a", a), ("b", b)):
        frame = frame.assign(
            risk_rank=frame["risk_score"].rank(method="min", ascending=False).astype("int64")
        )
        picked = frame[["district_id", *COMPARED, "risk_class", "risk_rank"]].rename(
            columns={c: f"{c}_{side}" for c in (*COMPARED, "risk_class", "risk_rank")}
        )
        table = table.merge(picked, on="district_id", how="left")
    for column in COMPARED:
        before, after = table[f"{column}_a"], table[f"{column}_b"]
        table[f"{column}_change"] = (after - before).round(3)
        table[f"{column}_change_pct"] = ((after - before) / before.where(before > 0) * 100.0).round(1)
    table["risk_class_changed"] = table["risk_class_a"] != table["risk_class_b"]
    table["risk_rank_change"] = table["risk_rank_a"] - table["risk_rank_b"]
    table.insert(3, "period_a", f"{a['period_start'].iloc[0]}..{a['period_end'].iloc[0]}")
    table.insert(4, "period_b", f"{b['period_start'].iloc[0]}..{b['period_end'].iloc[0]}")
    # either run's SYNTHETIC records reach every change it takes part in
    table["synthetic_data"] = any(bool(frame.get("synthetic_data", pd.Series(False)).fillna(False).any())
                                  for frame in (a, b))
    return table.sort_values(["province", "district"], ignore_index=True)


def write_compare(run_a: Path, run_b: Path, out_dir: Path) -> tuple[Path, Path]:
    """Write ``compare_districts.csv`` and ``compare_districts.xlsx`` into ``out_dir``."""
    table = compare_table(run_a, run_b)
    out_dir = make_folder(out_dir)
    end = max(pd.Timestamp(p.split("..")[1]) for p in (table["period_a"].iloc[0], table["period_b"].iloc[0]))
    notes = [
        ("runs", f"A: {run_a} ({table['period_a'].iloc[0]}); B: {run_b} ({table['period_b'].iloc[0]})"),
        (
            "change",
            "B minus A; change_pct is empty where A is 0. risk_rank_change: positive when the "
            "district moved up (higher risk rank) in B.",
        ),
    ]
    if table["synthetic_data"].any():
        notes.append(("SYNTHETIC data", "A run compared includes SYNTHETIC records made by geo's generator, "
                                        "not real events."))
    sheet = table.assign(risk_class_changed=table["risk_class_changed"].map({True: "yes", False: "no"}))
    return (
        write_csv(table, out_dir / COMPARE_DISTRICTS_CSV),
        write_workbook(
            out_dir / COMPARE_DISTRICTS_XLSX,
            {"compare_districts": sheet},
            notes,
            end + pd.Timedelta(days=1),
            "Per-district change between two geo runs",
        ),
    )
