"""``geo boundaries``: rebuild, check and describe the boundary layers."""

from __future__ import annotations

import filecmp
import json
import tempfile
import time
from pathlib import Path

import click

from geo import boundaries as boundary_layers
from geo._errors import BoundaryBuildError
from geo.boundaries.build import build_layers
from geo.boundaries.gazetteer_tables import TABLE_FILES
from geo.cli.options import config_option, quiet_option, settings_from
from geo.cli.progress import step_bar
from geo.export.boundaries import write_layers
from geo.filenames import (
    BOUNDARIES_GPKG,
    BUILD_REPORT_JSON,
    DISTRICT_CROSSWALK_CSV,
    GEONAMES_PLACES_CSV,
    NATURAL_EARTH_BORDER_GEOJSON,
    OVERRIDES_CSV,
    UNIT_GEOMETRY_METRICS_CSV,
)

BUILD_STEPS = 8
GENERATED_FILES = (
    *(f"{layer}.geojson" for layer in boundary_layers.LAYERS),
    BOUNDARIES_GPKG, NATURAL_EARTH_BORDER_GEOJSON, GEONAMES_PLACES_CSV, DISTRICT_CROSSWALK_CSV,
    UNIT_GEOMETRY_METRICS_CSV, BUILD_REPORT_JSON, *TABLE_FILES,
)


@click.group(name="boundaries")
def boundaries_group() -> None:
    """Boundary layers: tehsils, districts, provinces, border and its bands."""


@boundaries_group.command(name="build")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write here instead of the committed boundaries/ folder.")
@config_option
@quiet_option
def build_command(out_dir: Path | None, config_path: Path | None, quiet: bool) -> None:
    """Rebuild the layers from the pinned source packages (downloads them once)."""
    settings = settings_from(config_path)
    target = out_dir or settings.boundaries_dir
    started = time.perf_counter()
    advance, close = step_bar(BUILD_STEPS, quiet)
    try:
        result = build_layers(settings, progress=advance)
    finally:
        close()
    written = write_layers(result, target)
    if not quiet:
        report = result.report
        click.echo(
            f"wrote {len(written)} files to {target} in {time.perf_counter() - started:.1f} s: "
            f"tehsils {report['tehsils_per_province']}, districts {report['districts_per_province']} "
            f"(pre2022 {report['districts_pre2022_per_province']}), "
            f"border {report['border_length_km']} km", err=True)


@boundaries_group.command(name="check")
@config_option
@quiet_option
def check_command(config_path: Path | None, quiet: bool) -> None:
    """Rebuild into a temporary folder and fail if any committed file differs."""
    settings = settings_from(config_path)
    advance, close = step_bar(BUILD_STEPS, quiet)
    try:
        result = build_layers(settings, progress=advance)
    finally:
        close()
    with tempfile.TemporaryDirectory(prefix="geo-boundaries-") as tmp:
        write_layers(result, Path(tmp))
        differing = [
            name for name in GENERATED_FILES
            if not (settings.boundaries_dir / name).exists()
            or not filecmp.cmp(Path(tmp) / name, settings.boundaries_dir / name, shallow=False)
        ]
    if differing:
        msg = (f"the committed layers differ from a rebuild: {', '.join(differing)} "
               "(run `make boundaries` and commit, or find what changed)")
        raise BoundaryBuildError(msg)
    if not quiet:
        click.echo(f"{len(GENERATED_FILES)} files in {settings.boundaries_dir} match the rebuild byte for byte",
                   err=True)


@boundaries_group.command(name="info")
@config_option
def info_command(config_path: Path | None) -> None:
    """Summarise the committed layers and how they were built."""
    settings = settings_from(config_path)
    started = time.perf_counter()
    layers = {name: boundary_layers.load(name, boundaries_dir=settings.boundaries_dir)
              for name in boundary_layers.LAYERS}
    elapsed = time.perf_counter() - started
    for name, frame in layers.items():
        click.echo(f"{name:<26} {len(frame):>4} features")
    report = json.loads((settings.boundaries_dir / BUILD_REPORT_JSON).read_text(encoding="utf-8"))
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    size = sum(p.stat().st_size for p in settings.boundaries_dir.iterdir() if p.is_file())
    click.echo(f"boundaries/ holds {size / 1e6:.2f} MB; loading all layers took {elapsed:.2f} s")
    overrides = settings.boundaries_dir / OVERRIDES_CSV
    click.echo(f"override table: {overrides}")
