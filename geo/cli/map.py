"""``geo map``: the interactive map and the overview image of a run's outputs."""

from __future__ import annotations

from pathlib import Path

import click

from geo.cli.options import config_option, quiet_option, settings_from
from geo.cli.progress import step_bar


@click.command(name="map")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--max-incidents", type=click.IntRange(min=1), default=None,
              help="Incidents drawn in the HTML map (default: map_max_incidents, 20,000); with more, "
                   "the deadliest half of this many plus a seeded random sample of the rest.")
@config_option
@quiet_option
def map_command(run_dir: Path, max_incidents: int | None, config_path: Path | None, quiet: bool) -> None:
    """Write RUN_DIR/map.html (interactive, self-contained, opens offline) and
    RUN_DIR/map.png (static overview) from the outputs of an earlier `geo run`."""
    from geo.maps import write_maps  # folium and matplotlib only for the verbs that draw

    settings = settings_from(config_path)
    advance, close = step_bar(1, quiet)
    try:
        advance("drawing the maps")
        html_path, png_path = write_maps(run_dir, max_incidents or settings.map_max_incidents)
    finally:
        close()
    if not quiet:
        click.echo(f"wrote {html_path} ({html_path.stat().st_size / 1e6:.1f} MB) and {png_path}", err=True)
