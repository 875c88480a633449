"""``geo run``: the whole pipeline into one output folder.

Until incident ingestion lands, a run writes the boundary layers and their map.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from geo import boundaries as boundary_layers
from geo.cli.map import BOUNDARIES_MAP, layers_for_map
from geo.cli.options import config_option, out_dir_option, quiet_option, settings_from
from geo.export.vector import atomic_path
from geo.maps import boundaries_map, write_map


@click.command(name="run")
@out_dir_option(default="outputs", help_text="Folder for every output of the run.")
@config_option
@quiet_option
def run_command(out_dir: Path, config_path: Path | None, quiet: bool) -> None:
    """Run the pipeline on the embedded defaults and write OUT."""
    settings = settings_from(config_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [f"{layer}.geojson" for layer in boundary_layers.LAYERS] + [boundary_layers.GEOPACKAGE]
    for name in names:
        with atomic_path(out_dir / name) as tmp:
            shutil.copyfile(settings.boundaries_dir / name, tmp)
    write_map(boundaries_map(layers_for_map(out_dir, settings.boundaries_dir)), out_dir / BOUNDARIES_MAP)
    if not quiet:
        click.echo(f"wrote {len(names) + 1} files to {out_dir}/ (boundary layers and {BOUNDARIES_MAP})", err=True)
