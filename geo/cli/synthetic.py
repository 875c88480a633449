"""``geo synthetic``: write a file of SYNTHETIC incidents (labelled as such)."""

from __future__ import annotations

from pathlib import Path

import click

from geo.cli.options import config_option, settings_from
from geo.export.folder import disk_errors
from geo.export.tables import write_csv
from geo.incidents.synthetic import generate, to_acled


@click.command(name="synthetic")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-n", "--events", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Number of incidents.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same file.")
@click.option("--format", "fmt", type=click.Choice(["csv", "acled"]), default="csv", show_default=True,
              help="csv: canonical columns with victim split; acled: an ACLED export layout (for benchmarks).")
@click.option("--start", default="2024-01-01", show_default=True, help="First day (YYYY-MM-DD).")
@click.option("--end", default="2025-03-31", show_default=True, help="Last day (YYYY-MM-DD).")
@config_option
def synthetic_command(output: Path, events: int, seed: int, fmt: str, start: str, end: str,
                      config_path: Path | None) -> None:
    """Write OUTPUT, a seeded file of SYNTHETIC incidents (every record says so)."""
    settings = settings_from(config_path)
    frame = generate(events, seed=seed, start=start, end=end, boundaries_dir=settings.boundaries_dir)
    with disk_errors(output):
        write_csv(to_acled(frame) if fmt == "acled" else frame, output)
    click.echo(f"wrote {events} SYNTHETIC incidents to {output}", err=True)
