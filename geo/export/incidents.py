"""Outputs of an ingest: incidents (GeoJSON, Parquet), rejects (CSV), run.json."""

from __future__ import annotations

import importlib.metadata
import os
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from geo import __version__, threads
from geo.attribution import boundary_attribution, incident_attribution
from geo.boundaries.sources import sha256_of
from geo.config import Settings
from geo.export.layer_metadata import KEYWORDS, LayerMetadata, write_qmd
from geo.export.raster import write_cog
from geo.export.raster_style import density_style
from geo.export.styles import write_qml
from geo.export.tables import write_csv, write_json, write_parquet
from geo.export.vector import write_points_geojson
from geo.filenames import (
    DENSITY_INCIDENTS_TIF,
    DENSITY_KILLED_TIF,
    INCIDENTS_GEOJSON,
    INCIDENTS_PARQUET,
    MONTHLY_ACTOR_GROUPS_CSV,
    REJECTED_CSV,
    REPORTS_CSV,
    REPORTS_PARQUET,
    RUN_JSON,
    TIMINGS_JSON,
)
from geo.incidents.schema import REJECT_REASONS, IngestResult, has_synthetic
from geo.metrics.density import PeriodDensity
from geo.timings import Timings

_VERSIONED = ("geopandas", "shapely", "pyogrio", "pyproj", "pandas", "numpy", "pyarrow", "rapidfuzz")


def _versions() -> dict[str, str]:
    return {"geo": __version__, **{name: importlib.metadata.version(name) for name in _VERSIONED}}


def run_record(result: IngestResult, inputs: list[Path], settings: dict[str, object]) -> dict[str, object]:
    """What run.json says: inputs and their sha256, counts, versions, attribution.

    Nothing in it depends on the time or the folder of the run, so the same
    inputs and settings give the same file (timings go to timings.json).
    """
    synthetic = has_synthetic(result.incidents)
    read = sum(f.read for f in result.files)
    record: dict[str, object] = {
        "inputs": [
            {"file": Path(f.path).name, "sha256": sha256_of(Path(p)), "format": f.format, "encoding": f.encoding,
             "read": f.read, "accepted": f.accepted, "rejected": f.rejected}
            for f, p in zip(result.files, inputs, strict=True)
        ],
        "counts": {"read": read, "accepted": sum(f.accepted for f in result.files),
                   "rejected": len(result.rejects),
                   "rejected_by_reason": result.counts_by_reason, "events": len(result.incidents),
                   "linked_reports": _linked_reports(result),
                   "reports_filtered_out": _filtered_out(result)},
        "reject_reasons": REJECT_REASONS,
        "synthetic_data": synthetic,
        "settings": settings,
        "versions": _versions(),
        "attribution": incident_attribution(result.incidents),
    }
    if epoch := os.environ.get("SOURCE_DATE_EPOCH"):
        record["created"] = pd.Timestamp(int(epoch), unit="s", tz="UTC").isoformat()
    return record


def _linked_reports(result: IngestResult) -> int:
    """Reports that share their event with another report."""
    if result.reports is None or not len(result.reports) or result.reports["event_id"].is_unique:
        return 0  # (is_unique: one hash pass, where duplicated(keep=False) takes three)
    return int(result.reports["event_id"].duplicated(keep=False).sum())


def _filtered_out(result: IngestResult) -> int:
    """Reports whose event the run's filters leave out."""
    if result.reports is None or "in_filters" not in result.reports:
        return 0
    return int((~result.reports["in_filters"].astype(bool)).sum())


# The files of write_ingest, by stage name; those the brief and the maps read, which a run writes
# first (the others while its brief renders).
INGEST_FILE_STAGES = frozenset({"incidents_geojson_s", "incidents_parquet_s", "reports_parquet_s", "reports_csv_s",
                                "actor_groups_csv_s", "rejected_csv_s", "run_json_s"})
BRIEF_INPUT_STAGES = frozenset({"incidents_parquet_s", "actor_groups_csv_s", "run_json_s"})


def write_ingest(result: IngestResult, record: dict[str, object], actor_groups: pd.DataFrame, out_dir: Path, *,
                 timings: Timings | None = None, stages: Collection[str] | None = None) -> list[Path]:
    """Write the incident table (one row per event), the reports it was linked
    from, the monthly table per actor group (``actor_groups``, from
    :func:`geo.metrics.units.monthly_actor_groups`), the rejects and the run
    record (``record``, from :func:`run_record`) into ``out_dir``.

    ``timings.json`` holds ``result.timings_s`` and the stages in ``timings``,
    which gains one per file written here (``incidents_geojson_s``,
    ``incidents_parquet_s``, ``reports_parquet_s``, ``reports_csv_s``,
    ``actor_groups_csv_s``, ``rejected_csv_s``, ``run_json_s``); a run writes
    the file again at its end, with every later stage. ``stages``: the
    files to write, by stage name (None: all of them; see :data:`BRIEF_INPUT_STAGES`).
    From :data:`geo.threads.SPLIT_FROM` reports the two Parquet files are
    written in a thread beside the others, so that their stages overlap.
    """
    out_dir = Path(out_dir)
    timings = timings if timings is not None else Timings()
    metadata = {"attribution": record["attribution"], "synthetic_data": record["synthetic_data"]}
    incidents = result.incidents
    reports = result.reports if result.reports is not None else incidents.iloc[0:0]
    chosen = [(stage, write) for stage, write in (
        ("incidents_geojson_s", lambda: write_points_geojson(incidents, out_dir / INCIDENTS_GEOJSON, metadata)),
        ("incidents_parquet_s", lambda: write_parquet(incidents, out_dir / INCIDENTS_PARQUET)),
        ("reports_parquet_s", lambda: write_parquet(reports, out_dir / REPORTS_PARQUET)),
        ("reports_csv_s", lambda: write_csv(reports, out_dir / REPORTS_CSV)),
        ("actor_groups_csv_s", lambda: write_csv(actor_groups.assign(synthetic_data=record["synthetic_data"]),
                                                 out_dir / MONTHLY_ACTOR_GROUPS_CSV)),
        ("rejected_csv_s", lambda: write_csv(result.rejects, out_dir / REJECTED_CSV)),
        ("run_json_s", lambda: write_json(record, out_dir / RUN_JSON))) if stages is None or stage in stages]
    # Large tables: Parquet (whose encoder releases the GIL) in a thread beside the text outputs, whose Arrow
    # kernels release it too; 1M incidents: ~5 s of Parquet on the other core. Their stages then overlap.
    beside = {"incidents_parquet_s", "reports_parquet_s"} if len(reports) >= threads.SPLIT_FROM else set()
    paths: dict[str, Path] = {}
    with ThreadPoolExecutor(1) as pool:
        pending = {stage: pool.submit(_timed, write) for stage, write in chosen if stage in beside}
        for stage, write in chosen:
            if stage not in beside:
                with timings.stage(stage):
                    paths[stage] = write()
        for stage, future in pending.items():
            seconds, paths[stage] = future.result()
            timings.add(stage, seconds)
    written = [paths[stage] for stage, _ in chosen]
    written.append(write_timings({**result.timings_s, **timings.seconds}, out_dir))
    return written


def _timed(write: Callable[[], Path]) -> tuple[float, Path]:
    started = time.perf_counter()
    path = write()
    return time.perf_counter() - started, path


def write_timings(seconds: dict[str, float], out_dir: Path) -> Path:
    """``timings.json``: seconds per stage, rounded to milliseconds (keys sorted, as every JSON output)."""
    return write_json({name: round(value, 3) for name, value in seconds.items()}, Path(out_dir) / TIMINGS_JSON)




def write_density_surfaces(density: PeriodDensity, incidents: pd.DataFrame, settings: Settings,
                           out_dir: Path, *, timings: Timings | None = None) -> list[Path]:
    """The density surfaces of incidents and of killed (per km²) as COGs,
    each with its QGIS style (``.qml``) and metadata (``.qmd``); the period
    and the number of points go into the GeoTIFF tags (``period_start``,
    ``period_end``, ``points``).

    ``incidents`` (every accepted incident of the run) gives the attribution
    and the SYNTHETIC flag; ``settings`` the kernel named in the metadata.
    ``timings`` gains ``density_cog_s``.
    """
    timings = timings if timings is not None else Timings()
    synthetic = has_synthetic(incidents)
    first, last = density.period
    tags = {"attribution": boundary_attribution(), "synthetic_data": synthetic,
            "period_start": first, "period_end": last}
    written = []
    for name, surface, measure, units in (
            (DENSITY_INCIDENTS_TIF, density.incidents, "incidents per km2", "incidents per km²"),
            (DENSITY_KILLED_TIF, density.killed, "killed per km2 (unknown counts as 0)", "killed per km²")):
        path = Path(out_dir) / name
        with timings.stage("density_cog_s"):
            written.append(write_cog(surface, path, {**tags, "measure": measure, "points": density.points}))
            written.append(write_qml(density_style(surface.values, units), path.with_suffix(".qml")))
            about = _density_metadata(name, units, settings, incidents, synthetic, (first, last))
            written.append(write_qmd(about, path.with_suffix(".qmd")))
    return written


def _density_metadata(name: str, units: str, settings: Settings, incidents: pd.DataFrame,
                      synthetic: bool, period: tuple[str, str]) -> LayerMetadata:
    label = " Includes SYNTHETIC data." if synthetic else ""
    flag = " (includes SYNTHETIC data)" if synthetic else ""
    first, last = period
    return LayerMetadata(
        identifier=f"geo:{Path(name).stem}",
        title=f"Kernel density, {units}, {first} to {last}{flag}",
        abstract=(f"Kernel density of the incidents of the period {first} to {last} inside Khyber "
                  f"Pakhtunkhwa and Balochistan, as in the risk layers ({settings.kde_kernel} kernel, "
                  f"{settings.kde_bandwidth_km:g} km bandwidth, {settings.kde_cell_km:g} km cells, equal-area "
                  f"projection), {units}; cells below 1 % of the maximum are drawn transparent.{label}"),
        rights=(incident_attribution(incidents),),
        keywords=KEYWORDS + ("kernel density",),
        period=period,
    )
