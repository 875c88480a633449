"""The whole pipeline into one output folder: read → normalise → geocode → join →
measure → export → map.

:func:`run` is what ``geo run`` and ``make maps`` call. Everything is written
into a staging folder that replaces ``out_dir`` only when it is complete (see
:mod:`geo.export.folder`), so an interrupted run never leaves a mix of two runs.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from geo import boundaries as boundary_layers
from geo._errors import GeoError, NoIncidentsError
from geo.config import PROJECT_ROOT, Settings, default_settings
from geo.export.folder import seal, staged_folder
from geo.export.incidents import write_density_surfaces, write_ingest, write_timings
from geo.export.tables import write_csv
from geo.export.vector import atomic_path
from geo.incidents import IngestResult, ingest
from geo.incidents.synthetic import generate
from geo.metrics.units import resolve_period, within_period
from geo.timings import Timings

SAMPLE_EVENTS = PROJECT_ROOT / "geo" / "data" / "sample_events.csv"
SYNTHETIC_FILE = "synthetic_incidents.csv"
SYNTHETIC_EVENTS = 2000
SYNTHETIC_SEED = 20250228
_STEPS_AFTER_READING = 9  # geocode, join, distance, metrics, incident outputs, density, layers, maps, brief


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What one run did.

    Attributes
    ----------
    out_dir
        The folder that now holds the run's outputs.
    ingest
        Incidents, rejects and the account of each input file.
    period
        First and last day of the period measured.
    warnings
        One line each: what the run could not write on this machine
        (``report.pdf`` without Pango), recorded in run.json too.
    timings_s
        Seconds per stage, as ``timings.json`` holds them (without ``total_s``).
    """

    out_dir: Path
    ingest: IngestResult
    period: tuple[pd.Timestamp, pd.Timestamp]
    warnings: tuple[str, ...] = ()
    timings_s: dict[str, float] = dataclasses.field(default_factory=dict)


def step_count(n_inputs: int | None) -> int:
    """Steps reported to ``progress`` by a run on ``n_inputs`` files (None: the sample)."""
    return (n_inputs or 2) + _STEPS_AFTER_READING


def run(
    inputs: Sequence[Path] | None,
    out_dir: Path,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> RunResult:
    """Run the pipeline on ``inputs`` (None: the embedded sample) into ``out_dir``.

    Parameters
    ----------
    inputs
        Incident files (CSV or GeoJSON), or None for the embedded sample: the
        editorial's events and a seeded set of SYNTHETIC incidents.
    out_dir
        The output folder: missing, empty, or an earlier run's folder, which
        is replaced whole when the new run is complete.
    start, end
        The period measured (default: the 12 months ending with the latest
        month in the data).
    settings
        Every tunable; the defaults when None.
    progress
        Called with a message at the start of each step (:func:`step_count` steps).

    Raises
    ------
    NoIncidentsError
        No row was accepted; ``out_dir`` then holds the boundary layers, empty
        incident layers, ``rejected.csv`` and ``run.json``.
    GeoError
        Any other error a user can act on (unreadable input, bad settings,
        an output folder that cannot be written); ``out_dir`` is left as it was.
    """
    started = time.perf_counter()
    timings = Timings()
    with timings.stage("imports_s"):
        # Imported here, not at the top: `geo ingest` and `geo --help` never load the
        # statistics (esda, libpysal, pymannkendall) or the map libraries (folium, matplotlib).
        from geo.export.risk import write_risk_outputs
        from geo.maps import write_maps
        from geo.report import write_report

    settings = settings or default_settings()
    if start is not None and end is not None and pd.Timestamp(start) > pd.Timestamp(end):
        msg = f"--start {pd.Timestamp(start).date()} is after --end {pd.Timestamp(end).date()}"
        raise GeoError(msg)
    with staged_folder(out_dir) as staging:
        with timings.stage("sample_s"):
            files = [Path(p) for p in inputs] if inputs else _sample_inputs(staging, settings)
        result = ingest(files, settings=settings, progress=progress)
        timings.seconds.update(result.timings_s)
        run_settings = {
            **_reading_settings(settings, "auto", geocode_all=False),
            "kde": {"kernel": settings.kde_kernel, "bandwidth_km": settings.kde_bandwidth_km,
                    "cell_km": settings.kde_cell_km},
            "border_band_edges_km": list(settings.border_band_edges_km)}
        period = pdf_problem = None
        if len(result.incidents):
            progress("district and tehsil metrics, hotspots and risk")
            with timings.stage("metrics_s"):
                period = resolve_period(result.incidents["date"], start, end)
                # once, so that incidents.geojson, incidents.parquet and risk.gpkg agree
                result = dataclasses.replace(result, incidents=result.incidents.assign(
                    in_period=within_period(result.incidents["date"], *period)))
            _, risk_parameters = write_risk_outputs(result.incidents, settings, staging, period, timings=timings)
            run_settings["risk"] = risk_parameters
        progress("writing incident outputs")
        write_ingest(result, files, staging, run_settings, timings=timings)
        if period is not None:
            progress("kernel density surfaces")
            write_density_surfaces(result.incidents, settings, staging, period, timings=timings)
        progress("copying boundary layers")
        with timings.stage("boundary_layers_s"):
            _copy_boundary_layers(settings, staging)
        if period is not None:
            progress("drawing the maps")
            with timings.stage("maps_s"):
                write_maps(staging, settings.map_max_incidents)
            progress("writing the brief")
            with timings.stage("brief_s"):
                pdf_problem = write_report(staging, settings=settings).pdf_problem
        warnings = (f"report.pdf not written: {pdf_problem}",) if period is not None and pdf_problem else ()
        # every stage above; sealing run.json is the only step after it
        write_timings({**timings.seconds, "total_s": time.perf_counter() - started}, staging)
        seal(staging, {"status": "complete" if period is not None else "no accepted incidents",
                       **({"warnings": list(warnings)} if warnings else {})})
    if period is None:
        raise _nothing_accepted(result, Path(out_dir))
    return RunResult(Path(out_dir), result, period, warnings, timings.seconds)


def _reading_settings(settings: Settings, fmt: str, geocode_all: bool) -> dict[str, object]:
    """The settings that decide how inputs were read and joined, for run.json."""
    return {"format": fmt, "geocode_all": geocode_all, "incident_source": settings.incidents.source,
            "date_format": settings.incidents.date_format, "earliest_year": settings.earliest_year,
            "source_admin_edge_km": settings.source_admin_edge_km, "district_vintage": settings.district_vintage,
            "link": {"enabled": settings.link, "threshold": settings.link_threshold, "margin": settings.link_margin,
                     "duplicate_threshold": settings.link_duplicate_threshold, "days": settings.link_days,
                     "casualties": settings.link_casualties},
            "filters": settings.filters.as_record()}


def _nothing_accepted(result: IngestResult, out_dir: Path) -> NoIncidentsError:
    """The one-line error of a run whose rows were all rejected, with the top reasons."""
    reasons = sorted(result.counts_by_reason.items(), key=lambda item: (-item[1], item[0]))
    top = ", ".join(f"{reason} {count}" for reason, count in reasons[:3]) or "no data rows"
    read = sum(f.read for f in result.files)
    msg = f"no incident accepted: read {read} = rejected {len(result.rejects)} ({top}); see {out_dir / 'rejected.csv'}"
    return NoIncidentsError(msg)


def ingest_files(
    inputs: Sequence[Path],
    out_dir: Path,
    *,
    fmt: str = "auto",
    geocode_all: bool = False,
    settings: Settings | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> IngestResult:
    """Read, geocode and join ``inputs`` into ``out_dir`` (incidents, rejects,
    run record), replacing it whole as :func:`run` does; nothing is measured.

    Raises
    ------
    NoIncidentsError
        Rows were read but none was accepted; ``out_dir`` then holds the empty
        incident layers, ``rejected.csv`` and ``run.json`` that say why.
    GeoError
        Any other error a user can act on; ``out_dir`` is left as it was.
    """
    settings = settings or default_settings()
    with staged_folder(out_dir) as staging:
        result = ingest(list(inputs), fmt=fmt, settings=settings, geocode_all=geocode_all, progress=progress)
        progress("writing outputs")
        write_ingest(result, list(inputs), staging, _reading_settings(settings, fmt, geocode_all))
        nothing = len(result.incidents) == 0 and len(result.rejects) > 0
        seal(staging, {"status": "no accepted incidents" if nothing else "complete"})
    if nothing:
        raise _nothing_accepted(result, Path(out_dir))
    return result


def _sample_inputs(staging: Path, settings: Settings) -> list[Path]:
    synthetic = generate(SYNTHETIC_EVENTS, seed=SYNTHETIC_SEED, boundaries_dir=settings.boundaries_dir)
    return [SAMPLE_EVENTS, write_csv(synthetic, staging / SYNTHETIC_FILE)]


def _copy_boundary_layers(settings: Settings, folder: Path) -> None:
    names = [f"{layer}.geojson" for layer in boundary_layers.LAYERS] + [boundary_layers.GEOPACKAGE]
    for name in names:
        with atomic_path(folder / name) as tmp:
            shutil.copyfile(settings.boundaries_dir / name, tmp)
