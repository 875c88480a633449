"""``geo map``: the interactive map of a run's outputs."""

from __future__ import annotations

from pathlib import Path

import click

from geo import boundaries as boundary_layers
from geo.cli.options import config_option, settings_from
from geo.maps import boundaries_map, write_map

BOUNDARIES_MAP = "boundaries.html"


def layers_for_map(folder: Path, fallback: Path) -> dict:
    """The boundary layers of ``folder``'s GeoPackage, or the committed ones if it has none."""
    source = folder if (folder / boundary_layers.GEOPACKAGE).exists() else fallback
    return {name: boundary_layers.load(name, boundaries_dir=source) for name in boundary_layers.LAYERS}


@click.command(name="map")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@config_option
def map_command(run_dir: Path, config_path: Path | None) -> None:
    """Write RUN_DIR/boundaries.html from the layers of an earlier run."""
    settings = settings_from(config_path)
    path = write_map(boundaries_map(layers_for_map(run_dir, settings.boundaries_dir)), run_dir / BOUNDARIES_MAP)
    click.echo(f"wrote {path}", err=True)
