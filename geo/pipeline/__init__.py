"""The pipeline: read → normalise → geocode → link → join → measure, in
memory (:func:`run`, giving a :class:`Run`), then export → map → brief into
one output folder (:meth:`Run.write`).

:func:`run` is what ``geo.run()``, ``geo run`` and ``make maps`` call. A run
folder is written into a staging folder that replaces ``out_dir`` only when it
is complete (see :mod:`geo.export.folder`), so an interrupted run never leaves
a mix of two runs. The ingest sequence itself is :func:`ingest`
(:mod:`geo.pipeline.ingest_stages`).
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import boundaries as boundary_layers
from geo._errors import GeoError, NoIncidentsError
from geo.atomic import atomic_path
from geo.config import PROJECT_ROOT, Settings, default_settings
from geo.export.folder import seal, staged_folder
from geo.export.incidents import (
    BRIEF_INPUT_STAGES,
    INGEST_FILE_STAGES,
    run_record,
    write_density_surfaces,
    write_ingest,
    write_timings,
)
from geo.export.tables import write_csv
from geo.filenames import BOUNDARIES_GPKG, SYNTHETIC_INCIDENTS_CSV
from geo.incidents.schema import FileAccount, IngestResult
from geo.incidents.synthetic import generate
from geo.metrics.units import PERIOD_YEARS, monthly_actor_groups, resolve_period, within_period
from geo.pipeline.brief_process import BriefProcess, can_fork
from geo.pipeline.forked import ForkedCall
from geo.pipeline.garbage import seldom_collections
from geo.pipeline.ingest_stages import ingest
from geo.timings import Timings

if TYPE_CHECKING:  # imported with the statistics libraries, when a run measures
    from geo.metrics.density import PeriodDensity
    from geo.export.risk import GeoPackageLayers
    from geo.metrics.layers import UnitLayers

__all__ = ["Run", "ingest", "ingest_files", "run", "step_count"]

SAMPLE_EVENTS = PROJECT_ROOT / "geo" / "data" / "sample_events.csv"
SYNTHETIC_EVENTS = 2000
SYNTHETIC_SEED = 20250228
# From this many incidents risk.gpkg (which holds every incident) is written in
# a child process while the run writes the incident tables and draws the maps:
# 1M incidents spend ~17 s in it. Below it a fork's start costs more than it saves.
FORK_RISK_LAYERS_FROM = 100_000
_STEPS_AFTER_READING = 9  # geocode, join, distance, metrics, density, incident outputs, layers, maps, brief


@dataclasses.dataclass
class Run:
    """One run of the pipeline, in memory: every table and surface its output
    folder holds, before (or without) writing it.

    Attributes
    ----------
    ingest
        Incidents (one row per event), rejects, reports and the account of
        each input file (:class:`geo.incidents.IngestResult`).
    settings
        The settings the run was made with.
    period
        First and last day of the period measured (None when no incident was accepted).
    units
        The district and tehsil layers with every metric and risk column, their
        monthly series and the parameters behind them
        (:class:`geo.metrics.layers.UnitLayers`; None without incidents).
    density
        The period's density surfaces of incidents and of killed
        (:class:`geo.metrics.density.PeriodDensity`: values, affine transform, CRS).
    actor_groups
        Events and killed per actor group and month (``monthly_actor_groups.csv``).
    record
        What ``run.json`` says (inputs and their sha256, counts, settings, versions, attribution).
    border, bands
        The Pakistan–Afghanistan border and its distance bands (boundary layers).
    sample
        The seeded SYNTHETIC incidents of the embedded sample (written as
        ``synthetic_incidents.csv``), or None for a run on files.
    timings_s
        Seconds per stage so far (``timings.json``).
    out_dir
        Where :meth:`write` last wrote the run (None until then).
    warnings
        One line each: what the last :meth:`write` could not write on this
        machine (``report.pdf`` without Pango), recorded in run.json too.
    """

    ingest: IngestResult
    settings: Settings
    period: tuple[pd.Timestamp, pd.Timestamp] | None
    units: UnitLayers | None
    density: PeriodDensity | None
    actor_groups: pd.DataFrame
    record: dict[str, object]
    border: gpd.GeoDataFrame
    bands: gpd.GeoDataFrame
    sample: pd.DataFrame | None = None
    timings_s: dict[str, float] = dataclasses.field(default_factory=dict)
    out_dir: Path | None = None
    warnings: tuple[str, ...] = ()

    @property
    def incidents(self) -> pd.DataFrame:
        """Every accepted event (all dates), with ``in_period``."""
        return self.ingest.incidents

    @property
    def rejects(self) -> pd.DataFrame:
        """Every rejected row with its reason (``rejected.csv``)."""
        return self.ingest.rejects

    @property
    def reports(self) -> pd.DataFrame | None:
        """One row per accepted input row, with its ``event_id`` (``reports.parquet``)."""
        return self.ingest.reports

    @property
    def files(self) -> list[FileAccount]:
        """What happened to the rows of each input file."""
        return self.ingest.files

    @property
    def districts(self) -> gpd.GeoDataFrame | None:
        """Every district with every metric and risk column (``districts_risk``)."""
        return self.units.layers["districts_risk"] if self.units is not None else None

    @property
    def tehsils(self) -> gpd.GeoDataFrame | None:
        """Every tehsil with every metric and risk column (``tehsils_risk``)."""
        return self.units.layers["tehsils_risk"] if self.units is not None else None

    @property
    def monthly(self) -> dict[str, pd.DataFrame]:
        """Monthly incidents and killed per ``districts``, ``tehsils`` and
        ``provinces`` (KP and Balochistan) over the period."""
        if self.units is None:
            return {}
        return {"districts": self.units.monthly["districts_risk"], "tehsils": self.units.monthly["tehsils_risk"],
                "provinces": self.units.provinces}

    def write(self, out_dir: Path, *, progress: Callable[[str], None] = lambda message: None,
              brief: BriefProcess | None = None, density: ForkedCall[PeriodDensity] | None = None) -> Path:
        """Write every output of the run into ``out_dir`` (missing, empty, or an
        earlier run's folder, replaced whole once the new one is complete).

        ``brief``: the child process that writes the brief, already started
        (:func:`run` starts it before measuring); started here when None and
        the machine can (:func:`geo.pipeline.brief_process.can_fork`). Ended here either way.
        ``density``: the child computing :attr:`density` (:func:`run` starts it
        beside the unit metrics), waited for once the brief's inputs are
        written (at once from ``FORK_RISK_LAYERS_FROM`` incidents, when the
        brief waits for every incident table); it sets :attr:`density`. Ended here either way.

        Raises
        ------
        NoIncidentsError
            The run accepted no incident; ``out_dir`` then holds the boundary
            layers, empty incident layers, ``rejected.csv`` and ``run.json``.
        GeoError
            The folder cannot be written; ``out_dir`` is left as it was.
        """
        try:
            return self._write(Path(out_dir), progress, brief, density)
        finally:
            for child in (brief, density):  # already ended, unless the staging folder could not be made
                if child is not None:
                    child.stop()

    def _write(self, out_dir: Path, progress: Callable[[str], None], brief: BriefProcess | None,
               density: ForkedCall[PeriodDensity] | None) -> Path:
        """:meth:`write`, whose caller ends ``brief`` and ``density`` if this fails before it does."""
        from geo.export.risk import GeoPackageLayers, write_risk_geopackage
        from geo.maps import write_map_html, write_map_png

        started = time.perf_counter()
        timings = Timings(dict(self.timings_s))
        pdf_problem = None
        risk: ForkedCall[dict[str, float]] | None = None
        with staged_folder(out_dir) as staging:
            # The brief renders in a child process while the maps are drawn (brief_process).
            if brief is None and self.period is not None and can_fork():
                brief = BriefProcess(self.settings)
            if self.period is None and brief is not None:
                brief.stop()
                brief = None
            try:
                progress("writing the risk layers, incident layers and tables")
                # With a brief to render, what it and the maps read comes first; risk.gpkg and the
                # other incident tables are written while it renders (below, after map.png).
                early = brief is not None and len(self.incidents) < FORK_RISK_LAYERS_FROM

                def collect_density() -> None:
                    # The density child ends once collected. Not later than needed: until then it holds
                    # copies of the pages this process changes (the GeoJSON of a million incidents...).
                    nonlocal density
                    if density is not None:
                        with timings.stage("density_s"):  # the wait for the child: stages stay disjoint
                            self.density = density.result()
                        density = None

                if not early:  # the brief (if any) waits for every incident table: nothing to gain by waiting
                    collect_density()
                # From FORK_RISK_LAYERS_FROM incidents risk.gpkg (its incidents layer) is written by a child
                # while this process writes the incident tables and draws the maps.
                fork_geopackage = len(self.incidents) >= FORK_RISK_LAYERS_FROM and can_fork()
                layers = None
                if self.units is not None:
                    if early or fork_geopackage:  # made once for the layers' styles now and risk.gpkg later
                        with timings.stage("styles_s"):
                            layers = GeoPackageLayers.of(self.units, self.incidents, self.border, self.bands)
                    # the risk layers' GeoJSON and tables (the maps and the brief read them)
                    seconds = _write_risk_layers(self, staging, geopackage=layers is None, layers=layers)
                    _add_seconds(timings, seconds)
                    if fork_geopackage:
                        geopackage = functools.partial(_write_geopackage_timed, layers, staging)
                        risk = ForkedCall(geopackage, "risk.gpkg")
                write_ingest(self.ingest, self.record, self.actor_groups, staging, timings=timings,
                             stages=BRIEF_INPUT_STAGES if early else None)
                if brief is not None:
                    brief.tables_written(staging)  # run.json, incidents.parquet and the summaries
                collect_density()  # once the brief's child, which waits for its inputs, has them
                if self.sample is not None:  # which the brief does not read
                    with timings.stage("sample_s"):
                        write_csv(self.sample, staging / SYNTHETIC_INCIDENTS_CSV)
                progress("copying boundary layers")
                with timings.stage("boundary_layers_s"):
                    _copy_boundary_layers(self.settings, staging)
                content = None
                if self.period is not None:
                    progress("drawing the maps")
                    with timings.stage("maps_s"):
                        content = write_map_png(staging, self.settings.map_max_incidents)
                    if brief is not None:
                        brief.map_written()  # the brief renders while the rest is written
                if early:
                    if layers is not None:
                        write_risk_geopackage(layers, staging, timings=timings)
                    write_ingest(self.ingest, self.record, self.actor_groups, staging, timings=timings,
                                 stages=INGEST_FILE_STAGES - BRIEF_INPUT_STAGES)
                # after map.png (which does not draw them), before map.html (which does)
                if self.density is not None:
                    write_density_surfaces(self.density, self.incidents, self.settings, staging, timings=timings)
                if content is not None:
                    with timings.stage("maps_s"):
                        write_map_html(staging, content)
                    progress("writing the brief")
                    # with a child, brief_s is the wait for it: the stages stay disjoint in wall time
                    with timings.stage("brief_s"):
                        pdf_problem = brief.result() if brief is not None else _write_brief(staging, self.settings)
                if risk is not None:
                    with timings.stage("risk_layers_wait_s"):
                        seconds = risk.result()
                    _add_seconds(timings, seconds)  # the child's stage, which overlapped the tables and maps
                    risk = None
            finally:
                for child in (brief, risk, density):
                    if child is not None:
                        child.stop()
            warnings = (f"report.pdf not written: {pdf_problem}",) if pdf_problem else ()
            total = self.timings_s.get("total_s", 0.0) + time.perf_counter() - started
            # every stage above; sealing run.json is the only step after it
            write_timings({**timings.seconds, "total_s": total}, staging)
            seal(staging, {"status": "complete" if self.period is not None else "no accepted incidents",
                           **({"warnings": list(warnings)} if warnings else {})})
        self.out_dir, self.warnings = Path(out_dir), warnings
        self.timings_s = {**timings.seconds, "total_s": total}
        if self.period is None:
            raise _nothing_accepted(self.ingest, Path(out_dir))
        return Path(out_dir)


def _write_geopackage_timed(layers: GeoPackageLayers, staging: Path) -> dict[str, float]:
    """``risk.gpkg`` of ``layers`` into ``staging``; the seconds of its stage (``risk_gpkg_s``)."""
    from geo.export.risk import write_risk_geopackage

    timings = Timings()
    write_risk_geopackage(layers, staging, timings=timings)
    return timings.seconds


def _write_risk_layers(run: Run, staging: Path, geopackage: bool = True,
                       layers: GeoPackageLayers | None = None) -> dict[str, float]:
    """Write the risk layers of ``run`` into ``staging`` (``risk.gpkg`` too if
    ``geopackage``; ``layers`` as :func:`geo.export.risk.write_risk_outputs`
    takes them); the seconds of each stage."""
    from geo.export.risk import write_risk_outputs

    timings = Timings()
    write_risk_outputs(run.units, run.incidents, run.settings, staging, border=run.border, bands=run.bands,
                       timings=timings, geopackage=geopackage, layers=layers)
    return timings.seconds


def _write_brief(staging: Path, settings: Settings) -> str | None:
    """The brief written in this process (no child: see :func:`can_fork`); why
    ``report.pdf`` was not written (None if it was)."""
    from geo.report import write_report

    return write_report(staging, settings=settings).pdf_problem


def _add_seconds(timings: Timings, seconds: dict[str, float]) -> None:
    for name, value in seconds.items():
        timings.add(name, value)


def step_count(n_inputs: int | None) -> int:
    """Steps reported to ``progress`` by a run on ``n_inputs`` files (None: the sample)."""
    return (n_inputs or 2) + _STEPS_AFTER_READING


@seldom_collections()
def run(
    inputs: Sequence[Path] | None = None,
    out_dir: Path | None = None,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] = lambda message: None,
) -> Run:
    """Run the pipeline on ``inputs`` (None: the embedded sample) and, given
    ``out_dir``, write every output there.

    Parameters
    ----------
    inputs
        Incident files (CSV or GeoJSON), or None for the embedded sample: the
        editorial's events and a seeded set of SYNTHETIC incidents.
    out_dir
        The output folder (see :meth:`Run.write`), or None to write nothing.
    start, end
        The period measured (default: the 12 months ending with the latest
        month in the data).
    settings
        Every tunable; the defaults when None.
    progress
        Called with a message at the start of each step (:func:`step_count` steps).

    Returns
    -------
    Run
        Every table and surface of the run (written to ``out_dir`` if given).

    Raises
    ------
    NoIncidentsError
        No row was accepted; with ``out_dir``, it then holds the boundary
        layers, empty incident layers, ``rejected.csv`` and ``run.json``.
    GeoError
        Any other error a user can act on (unreadable input, bad settings,
        an output folder that cannot be written); ``out_dir`` is left as it was.
    """
    started = time.perf_counter()
    timings = Timings()
    settings = settings or default_settings()
    with timings.stage("imports_s"):
        # Imported here, not at the top: `geo ingest` and `geo --help` never load the statistics
        # and drawing libraries. Before the brief's child is forked, which uses them too (scipy
        # for its comparison period, matplotlib for its chart): imported once for both.
        from geo.metrics.density import period_density  # noqa: F401
        from geo.metrics.layers import unit_layers  # noqa: F401
        if out_dir is not None:
            import geo.maps.static  # noqa: F401
    # Then the brief's child, which imports WeasyPrint and the report while this process measures.
    brief = BriefProcess(settings) if out_dir is not None and can_fork() else None
    try:
        return _run(inputs, out_dir, start, end, settings, progress, started, timings, brief)
    finally:
        if brief is not None:
            brief.stop()  # already ended by Run.write, unless the run failed before it


def _run(inputs: Sequence[Path] | None, out_dir: Path | None, start: pd.Timestamp | None,
         end: pd.Timestamp | None, settings: Settings, progress: Callable[[str], None], started: float,
         timings: Timings, brief: BriefProcess | None) -> Run:
    """:func:`run` once the brief's child process (``brief``) is started."""
    from geo.metrics.density import period_density
    from geo.metrics.layers import unit_layers

    if start is not None and end is not None and pd.Timestamp(start) > pd.Timestamp(end):
        msg = f"--start {pd.Timestamp(start).date()} is after --end {pd.Timestamp(end).date()}"
        raise GeoError(msg)
    for name, day in (("--start", start), ("--end", end)):
        # a period of centuries would cost gigabytes (units x months) in the emerging hot spots
        if day is not None and not PERIOD_YEARS[0] <= pd.Timestamp(day).year <= PERIOD_YEARS[1]:
            msg = (f"{name} {pd.Timestamp(day).date()} is outside the years "
                   f"{PERIOD_YEARS[0]}-{PERIOD_YEARS[1]} a run can measure")
            raise GeoError(msg)
    run_settings = {
        **_reading_settings(settings, "auto", geocode_all=False),
        "kde": {"kernel": settings.kde_kernel, "bandwidth_km": settings.kde_bandwidth_km,
                "cell_km": settings.kde_cell_km},
        "border_band_edges_km": list(settings.border_band_edges_km)}
    sample = pending = None
    try:
        with tempfile.TemporaryDirectory(prefix="geo-sample-") as folder:
            if inputs:
                files = [Path(p) for p in inputs]
            else:
                with timings.stage("sample_s"):
                    sample = generate(SYNTHETIC_EVENTS, seed=SYNTHETIC_SEED, boundaries_dir=settings.boundaries_dir)
                    files = [SAMPLE_EVENTS, write_csv(sample, Path(folder) / SYNTHETIC_INCIDENTS_CSV)]
            result = ingest(files, settings=settings, progress=progress)
            timings.seconds.update(result.timings_s)
            border = boundary_layers.load("border", boundaries_dir=settings.boundaries_dir)
            bands = boundary_layers.load("border_bands", boundaries_dir=settings.boundaries_dir)
            period = units = density = None
            if len(result.incidents):
                progress("district and tehsil metrics, hotspots and risk")
                with timings.stage("metrics_s"):
                    period = resolve_period(result.incidents["date"], start, end)
                    # once, so that incidents.geojson, incidents.parquet and risk.gpkg agree
                    result = dataclasses.replace(result, incidents=result.incidents.assign(
                        in_period=within_period(result.incidents["date"], *period)))
                bounds = tuple(boundary_layers.load("provinces", boundaries_dir=settings.boundaries_dir).total_bounds)
                surfaces = functools.partial(
                    period_density, result.incidents, period, bounds, crs=settings.equal_area_crs,
                    kernel=settings.kde_kernel, bandwidth_km=settings.kde_bandwidth_km, cell_km=settings.kde_cell_km)
                # Beside the unit metrics, in a child, when the brief's child shows there is a second core.
                # A run that writes collects it in Run.write, once the brief's inputs (which the brief's
                # child waits for) are written.
                pending = ForkedCall(surfaces, "density surfaces") if brief is not None else None
                units = unit_layers(result.incidents, settings, border.geometry.iloc[0], bands, period,
                                    timings=timings)
                run_settings["risk"] = units.parameters
                progress("kernel density surfaces")
                if pending is None or out_dir is None:
                    # with a child, density_s is the wait for it: the stages stay disjoint in wall time
                    with timings.stage("density_s"):
                        density = pending.result() if pending is not None else surfaces()
                    pending = None
            with timings.stage("run_json_s"):
                record = run_record(result, files, run_settings)  # reads the inputs' sha256 while they exist
        outcome = Run(result, settings, period, units, density, monthly_actor_groups(result.incidents), record,
                      border, bands, sample, {**timings.seconds, "total_s": time.perf_counter() - started})
        if out_dir is not None:
            outcome.write(Path(out_dir), progress=progress, brief=brief, density=pending)
        elif period is None:
            raise _nothing_accepted(result, None)
        return outcome
    finally:
        if pending is not None:
            pending.stop()  # already ended by Run.write, unless the run failed before it


def _reading_settings(settings: Settings, fmt: str, geocode_all: bool) -> dict[str, object]:
    """The settings that decide how inputs were read and joined, for run.json."""
    return {"format": fmt, "geocode_all": geocode_all, "incident_source": settings.incidents.source,
            "date_format": settings.incidents.date_format, "earliest_year": settings.earliest_year,
            "source_admin_edge_km": settings.source_admin_edge_km, "district_vintage": settings.district_vintage,
            "link": {"enabled": settings.link, "threshold": settings.link_threshold, "margin": settings.link_margin,
                     "duplicate_threshold": settings.link_duplicate_threshold, "days": settings.link_days,
                     "casualties": settings.link_casualties},
            "filters": settings.filters.as_record()}


def _nothing_accepted(result: IngestResult, out_dir: Path | None) -> NoIncidentsError:
    """The one-line error of a run whose rows were all rejected, with the top reasons."""
    reasons = sorted(result.counts_by_reason.items(), key=lambda item: (-item[1], item[0]))
    top = ", ".join(f"{reason} {count}" for reason, count in reasons[:3]) or "no data rows"
    read = sum(f.read for f in result.files)
    accepted = sum(f.accepted for f in result.files)
    if accepted and result.reports is not None and "in_filters" in result.reports and len(result.reports):
        # rows were accepted: the filters (--event-type, --actor-group, --source, --min-precision) kept none
        where = f"see {out_dir / 'reports.csv'}" if out_dir is not None else "the run's reports list them"
        msg = (f"no event passes the filters: read {read} = accepted {accepted} + rejected {len(result.rejects)}, "
               f"and --event-type/--actor-group/--source/--min-precision (or [filters] of --config) "
               f"left out all {len(result.reports)} accepted reports; {where}")
        return NoIncidentsError(msg)
    where = f"see {out_dir / 'rejected.csv'}" if out_dir is not None else "the run's rejects list them"
    msg = f"no incident accepted: read {read} = rejected {len(result.rejects)} ({top}); {where}"
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
        record = run_record(result, list(inputs), _reading_settings(settings, fmt, geocode_all))
        write_ingest(result, record, monthly_actor_groups(result.incidents), staging)
        filtered = result.reports is not None and "in_filters" in result.reports and len(result.reports) > 0
        nothing = len(result.incidents) == 0 and (len(result.rejects) > 0 or filtered)
        seal(staging, {"status": "no accepted incidents" if nothing else "complete"})
    if nothing:
        raise _nothing_accepted(result, Path(out_dir))
    return result


def _copy_boundary_layers(settings: Settings, folder: Path) -> None:
    names = [f"{layer}.geojson" for layer in boundary_layers.LAYERS] + [BOUNDARIES_GPKG]
    for name in names:
        with atomic_path(folder / name) as tmp:
            shutil.copyfile(settings.boundaries_dir / name, tmp)
