"""``geo ingest``: incident files → one canonical, joined incident table."""

from __future__ import annotations

from pathlib import Path

import click

from geo import pipeline
from geo.cli.options import (
    config_option,
    counts_line,
    date_format_option,
    filter_options,
    no_link_option,
    out_dir_option,
    quiet_option,
    settings_from,
)
from geo.cli.progress import step_bar
from geo.incidents import FORMAT_CHOICES


@click.command(name="ingest")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMAT_CHOICES), default="auto", show_default=True,
              help="Source format; auto detects ACLED, UCDP GED and GTD by their headers.")
@click.option("--geocode-all", is_flag=True, help="Geocode every row by place name, not only rows without coordinates.")
@out_dir_option(help_text="Folder for incidents.geojson, incidents.parquet, rejected.csv and run.json; "
                "an earlier run's folder is replaced whole once the new one is complete.")
@date_format_option
@no_link_option
@filter_options
@config_option
@quiet_option
def ingest_command(inputs: tuple[Path, ...], fmt: str, geocode_all: bool, out_dir: Path,
                   config_path: Path | None, date_format: str | None, no_link: bool,
                   event_types: tuple[str, ...], actor_groups: tuple[str, ...], sources: tuple[str, ...], min_precision: int | None,
                   quiet: bool) -> None:
    """Read, geocode and join INPUTS (CSV or GeoJSON) into OUT.

    Every input row ends either in reports.* (and, linked into events, in
    incidents.*) or in rejected.csv with its line number, its original values
    and a reason.
    """
    settings = settings_from(config_path, date_format, no_link=no_link,
                             filters={"event_types": event_types, "actor_groups": actor_groups,
                                      "sources": sources, "min_precision": min_precision})
    advance, close = step_bar(len(inputs) + 4, quiet)
    try:
        result = pipeline.ingest_files(list(inputs), out_dir, fmt=fmt, geocode_all=geocode_all,
                                       settings=settings, progress=advance)
    finally:
        close()
    click.echo(f"{counts_line(result)}; wrote {out_dir}/", err=True)
