"""``geo run``: the whole pipeline into one output folder.

Without inputs it runs on the embedded sample: the events named in the source
editorial (by place name) and a seeded set of SYNTHETIC incidents.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from geo import boundaries as boundary_layers
from geo.cli.options import config_option, out_dir_option, quiet_option, settings_from
from geo.cli.progress import step_bar
from geo.config import PROJECT_ROOT
from geo.export.incidents import write_density_surfaces, write_ingest
from geo.export.risk import write_risk_outputs
from geo.export.tables import write_csv
from geo.export.vector import atomic_path
from geo.incidents import ingest
from geo.incidents.synthetic import generate
from geo.maps import write_maps
from geo.metrics.units import resolve_period

SAMPLE_EVENTS = PROJECT_ROOT / "geo" / "data" / "sample_events.csv"
SYNTHETIC_FILE = "synthetic_incidents.csv"
SYNTHETIC_EVENTS = 2000
SYNTHETIC_SEED = 20250228


@click.command(name="run")
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@out_dir_option(default="outputs", help_text="Folder for every output of the run.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the period measured (default: 12 months before --end).")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the period measured (default: the end of the latest month in the data).")
@config_option
@quiet_option
def run_command(inputs: tuple[Path, ...], out_dir: Path, start, end, config_path: Path | None,
                quiet: bool) -> None:
    """Run the pipeline on INPUTS (default: the embedded sample) and write OUT."""
    settings = settings_from(config_path)
    if start is not None and end is not None and start > end:
        msg = f"--start {start.date()} is after --end {end.date()}"
        raise click.BadParameter(msg)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = list(inputs)
    if not files:
        synthetic = generate(SYNTHETIC_EVENTS, seed=SYNTHETIC_SEED, boundaries_dir=settings.boundaries_dir)
        files = [SAMPLE_EVENTS, write_csv(synthetic, out_dir / SYNTHETIC_FILE)]
    advance, close = step_bar(len(files) + 8, quiet)
    try:
        result = ingest(files, settings=settings, progress=advance)
        advance("district and tehsil metrics, hotspots and risk")
        _, risk_parameters = write_risk_outputs(result.incidents, settings, out_dir,
                                                resolve_period(result.incidents["date"], start, end))
        advance("writing incident outputs")
        write_ingest(result, files, out_dir, {
            "format": "auto", "geocode_all": False, "incident_source": settings.incidents.source,
            "kde": {"kernel": settings.kde_kernel, "bandwidth_km": settings.kde_bandwidth_km,
                    "cell_km": settings.kde_cell_km},
            "border_band_edges_km": list(settings.border_band_edges_km), "risk": risk_parameters})
        advance("kernel density surfaces")
        write_density_surfaces(result.incidents, settings, out_dir)
        advance("copying boundary layers")
        names = [f"{layer}.geojson" for layer in boundary_layers.LAYERS] + [boundary_layers.GEOPACKAGE]
        for name in names:
            with atomic_path(out_dir / name) as tmp:
                shutil.copyfile(settings.boundaries_dir / name, tmp)
        advance("drawing the maps")
        write_maps(out_dir, settings.map_max_incidents)
    finally:
        close()
    if not quiet:
        read = sum(f.read for f in result.files)
        click.echo(f"read {read} = accepted {len(result.incidents)} + rejected {len(result.rejects)}; "
                   f"wrote {out_dir}/", err=True)
