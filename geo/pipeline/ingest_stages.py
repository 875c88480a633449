"""The ingest sequence: read → normalise → geocode → join → border distance →
actor names → link → filters, for a list of files.

:func:`ingest` returns the events, the rejects, the reports they were linked
from and an account of each file, with ``read == accepted + rejected`` for
every file.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo import boundaries
from geo.actors import acting_party, name_actors
from geo.arrow_text import large_text
from geo.boundaries.names import slug
from geo.config import Settings, default_settings
from geo.geocode import Gazetteer, geocode, parsed_places
from geo.incidents import FORMAT_CHOICES, normalise_table, read_table
from geo.incidents.csvtable import InputFileError, RawTable
from geo.incidents.normalise import DateRules, check_coordinates, first_error
from geo.incidents.readers import Normalised
from geo.incidents.schema import INCIDENT_COLUMNS, REJECT_REASONS, FileAccount, IngestResult, Rejects, conform
from geo.join import JoinLayers, join_incidents
from geo.linking import link_reports
from geo.metrics.proximity import BorderDistance, add_border_distance
from geo.pipeline.garbage import seldom_collections


class _Run:
    """The rows of one ingest in flight: canonical values plus each row's raw
    source values, so that any stage can move a row to the rejects as it was read."""

    def __init__(self) -> None:
        self.rejects = Rejects()
        self.raw: list[pd.DataFrame] = []  # per file: the source's own columns
        self.formats: list[str] = []
        self.rejected: list[int] = []  # per file

    def add_file(self, raw: pd.DataFrame, chosen: str, rejected_on_reading: int) -> int:
        self.raw.append(raw)
        self.formats.append(chosen)
        self.rejected.append(rejected_on_reading)
        return len(self.raw) - 1

    def reject(self, frame: pd.DataFrame, mask: np.ndarray, reason: str, detail: pd.Series | str = "") -> None:
        """Move the rows of ``frame`` where ``mask`` holds to the rejects."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        for file_index in np.unique(frame["_file"].to_numpy()[mask]):
            in_file = mask & (frame["_file"].to_numpy() == file_index)
            self.rejected[file_index] += int(in_file.sum())
            positions = frame["_row"].to_numpy()[in_file]
            raw = self.raw[file_index].iloc[positions]
            details = detail.to_numpy()[in_file] if isinstance(detail, pd.Series) else detail
            self.rejects.add(raw, np.ones(len(raw), dtype=bool), reason,
                             detail=pd.Series(details, index=raw.index) if isinstance(detail, pd.Series) else details,
                             source=self.formats[file_index])


@seldom_collections()
def ingest(
    paths: list[Path],
    *,
    fmt: str = "auto",
    settings: Settings | None = None,
    geocode_all: bool = False,
    progress=lambda message: None,
) -> IngestResult:
    """Read, normalise, geocode and join incident files, measure each
    incident's geodesic distance to the border, name its actor
    (:mod:`geo.actors`) and link the reports of the same event
    (:mod:`geo.linking`; ``settings.link`` False keeps one event per report),
    and keep the events that pass ``settings.filters`` (:mod:`geo.filters`;
    the others stay in ``reports`` with ``in_filters`` false).

    Parameters
    ----------
    paths
        Input files (CSV or GeoJSON).
    fmt
        ``auto`` (detect from the header) or one of ``acled``, ``ucdp``, ``gtd``, ``csv``.
    settings
        Boundaries folder, column mapping of plain tables (``settings.incidents``),
        border bands; the defaults when None.
    geocode_all
        Geocode every row by place name, not only rows without coordinates
        (rows whose name fails keep their own coordinates).

    Raises
    ------
    InputFileError
        A file cannot be read at all.
    """
    if fmt not in FORMAT_CHOICES:
        msg = f"unknown format {fmt!r}; choose one of {', '.join(FORMAT_CHOICES)}"
        raise ValueError(msg)
    if not paths:
        msg = "no input files"
        raise InputFileError(msg)
    settings = settings or default_settings()
    mapping, boundaries_dir = settings.incidents, settings.boundaries_dir
    rules = DateRules(earliest_year=settings.earliest_year, date_format=mapping.date_format)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    study_area = shapely.union_all(boundaries.load("provinces", boundaries_dir=boundaries_dir).geometry.values)
    run = _Run()
    frames, accounts = [], []
    for path in map(Path, paths):
        progress(f"reading {path.name}")
        before = len(run.rejects)
        raw = read_table(path, run.rejects)
        chosen, normalised = normalise_table(raw, path, fmt, mapping, rules)
        file_index = run.add_file(raw.frame, chosen, len(run.rejects) - before)
        frames.append(_checked(normalised, raw, file_index, study_area, run))
        accounts.append(FileAccount(str(path), chosen, raw.encoding, raw.rows_read))
    frame = pd.concat(frames, ignore_index=True)
    # The same source id twice in one run: the first (by file, then line) wins.
    source_ids = frame["source_id"].astype("string")
    if not source_ids.is_unique:  # unique ids (the common case) need no hash of a million pairs
        ids = pd.DataFrame({"source": frame["source"].astype("string"), "source_id": source_ids})
        duplicate = (source_ids.notna() & ids.duplicated(keep="first")).to_numpy()
        if duplicate.any():
            run.reject(frame, duplicate, "duplicate_id", detail="source_id=" + source_ids.fillna(""))
            frame = frame.loc[~duplicate]
    timings["read_normalise_s"] = time.perf_counter() - started

    started = time.perf_counter()
    progress("geocoding place names")
    frame = _geocode(frame, run, Gazetteer(boundaries_dir) if _needs_gazetteer(frame, geocode_all) else None,
                     geocode_all)
    timings["geocode_s"] = time.perf_counter() - started

    started = time.perf_counter()
    progress("joining to tehsils and districts")
    accepted = np.bincount(frame["_file"].to_numpy(dtype=np.int64), minlength=len(accounts))
    incidents = conform(frame.drop(columns=["_file", "_row"]).reset_index(drop=True))
    incidents["incident_id"] = _incident_ids(incidents)
    joined = join_incidents(incidents, JoinLayers.load(boundaries_dir, settings.district_vintage),
                            settings.source_admin_edge_km, settings.equal_area_crs)
    timings["join_s"] = time.perf_counter() - started

    started = time.perf_counter()
    progress("measuring distance to the border")
    border = boundaries.load("border", boundaries_dir=boundaries_dir).geometry.iloc[0]
    joined = add_border_distance(joined, BorderDistance.build(border, settings.equal_area_crs),
                                 settings.border_band_edges_km)
    timings["border_distance_s"] = time.perf_counter() - started

    started = time.perf_counter()
    joined = pd.concat([joined, name_actors(acting_party(joined))], axis=1)
    linked = link_reports(joined, threshold=settings.link_threshold, margin=settings.link_margin,
                          duplicate_threshold=settings.link_duplicate_threshold, link_days=settings.link_days,
                          casualties=settings.link_casualties, enabled=settings.link)
    timings["link_s"] = time.perf_counter() - started
    keep = settings.filters.mask(linked.events)
    if keep.all():  # no filter, or none that drops an event: no copy, no lookup of a million ids
        events = linked.events.reset_index(drop=True)
        in_filters = np.ones(len(linked.reports), dtype=bool)
    else:
        events = linked.events.loc[keep].reset_index(drop=True)
        # by position of each report's event (isin on a million arrow strings takes seconds)
        event_of = pd.Index(linked.events["event_id"].to_numpy(dtype=object)).get_indexer(
            linked.reports["event_id"].to_numpy(dtype=object))
        in_filters = keep[event_of]
    reports = linked.reports.assign(in_filters=in_filters)

    for account, n_accepted, n_rejected in zip(accounts, accepted, run.rejected, strict=True):
        account.accepted, account.rejected = int(n_accepted), int(n_rejected)
    return IngestResult(events, run.rejects.table(), accounts, timings, reports=reports)


def _checked(normalised: Normalised, raw: RawTable, file_index: int, study_area: shapely.Geometry,
             run: _Run) -> pd.DataFrame:
    """Canonical rows of one file that pass the value checks; the others go to the rejects."""
    frame = normalised.frame
    for column, dtype in INCIDENT_COLUMNS.items():
        if column not in frame:  # typed, so that conform() has nothing to convert (1M rows: 1 s)
            frame[column] = pd.Series(index=frame.index, dtype=dtype)
    frame["input_file"] = raw.frame["input_file"].array  # by position, as Arrow text (not a million str objects)
    frame["line_no"] = raw.frame["line_no"].to_numpy()
    frame["synthetic"] = frame["synthetic"].fillna(False).astype(bool)
    frame["_file"] = file_index
    frame["_row"] = np.arange(len(frame))
    lat, lon, checks = check_coordinates(frame["lat"], frame["lon"], study_area)
    frame["lat"], frame["lon"] = lat, lon
    frame["coordinates_fixed"] = pd.Series(pd.array(np.where(checks["swapped"], "swapped", None), dtype="string")
                                           if checks["swapped"].any() else pd.NA, index=frame.index, dtype="string")
    problems = {**normalised.problems, "coordinates_out_of_range": checks["out_of_range"],
                "zero_coordinates": checks["zero"]}
    failed, reason = first_error(problems, len(frame))
    coordinates = _coordinate_details(frame, (reason == "coordinates_out_of_range") | (reason == "zero_coordinates"))
    details = {**normalised.details, "coordinates_out_of_range": coordinates, "zero_coordinates": coordinates}
    for name in REJECT_REASONS:
        run.reject(frame, reason == name, name, detail=details.get(name, ""))
    return frame.loc[~failed]


def _coordinate_details(frame: pd.DataFrame, rejected: np.ndarray) -> pd.Series:
    """``lat=… lon=…`` for the rejected rows, by position (the others are never read):
    text for a million coordinates costs seconds, for the few rejected ones nothing."""
    details = np.full(len(frame), "", dtype=object)
    rejected = np.asarray(rejected, dtype=bool)
    if rejected.any():
        some = frame.loc[rejected]
        details[rejected] = ("lat=" + some["lat"].astype("string").fillna("") + " lon="
                             + some["lon"].astype("string").fillna("")).to_numpy(dtype=object)
    return pd.Series(details, index=frame.index, dtype="string")


def _needs_gazetteer(frame: pd.DataFrame, geocode_all: bool) -> bool:
    return bool(geocode_all or (frame["lat"].isna() | frame["lon"].isna()).any())


def _geocode(frame: pd.DataFrame, run: _Run, gazetteer: Gazetteer | None, geocode_all: bool) -> pd.DataFrame:
    """Coordinates for rows without them (or all rows), from the place name."""
    has_coordinates = (frame["lat"].notna() & frame["lon"].notna()).to_numpy()
    frame["geocode_method"] = pd.Series(np.where(has_coordinates, "source_coordinates", None), index=frame.index)
    frame["place_parsed"] = parsed_places(frame["place"])
    nameless = (frame["place"].isna() & frame["source_admin2"].isna()).to_numpy()
    missing = ~has_coordinates & nameless
    run.reject(frame, missing, "missing_location")
    todo = (~has_coordinates | geocode_all) & ~nameless
    if gazetteer is None or not todo.any():
        return frame.loc[~missing]
    found = geocode(frame.loc[todo], gazetteer)
    detail = pd.Series("", index=frame.index, dtype="string")
    detail.loc[found.index] = found["detail"]
    reason = pd.Series("", index=frame.index, dtype="string")
    reason.loc[found.index] = found["reason"]
    for name in ("unknown_place", "ambiguous_place"):
        # with geocode_all, rows with their own coordinates keep them when the name fails
        run.reject(frame, (reason == name).to_numpy() & ~has_coordinates, name, detail=detail)
    ok = found[found["reason"] == ""]
    for column in ("lat", "lon", "geocode_method", "geocode_score", "geo_precision", "place_parsed"):
        # in the frame's dtype: a column the reader lacked is already typed (None cannot go into float64)
        frame.loc[ok.index, column] = ok[column].astype(frame[column].dtype).to_numpy()
    failed = (reason != "").to_numpy() & ~has_coordinates
    return frame.loc[~(failed | missing)]


def _incident_ids(incidents: pd.DataFrame) -> pd.Series:
    """``source-slug:source_id``, or ``source-slug:file:line`` for rows without an id."""
    ids = incidents["source_id"].astype("string")
    missing = ids.isna().to_numpy()
    if missing.any():  # the fallback text for those rows alone, not a million of it
        some = incidents.loc[missing]
        ids = ids.mask(missing, some["input_file"].astype("string") + ":" + some["line_no"].astype("string"))
    # each source's slug once, then taken per row and joined in Arrow (no missing source: no id)
    codes, sources = pd.factorize(incidents["source"].astype("string"))
    large = pa.large_string()
    prefix = pa.array([slug(source) for source in sources], type=large).take(pa.array(codes, mask=codes < 0))
    joined = pc.binary_join_element_wise(prefix, large_text(ids), pa.scalar(":", large))
    return pd.Series(pd.array(joined, dtype="string"), index=incidents.index)
