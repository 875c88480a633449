"""``geo run``: the whole pipeline into one output folder (see :func:`geo.pipeline.run`).

Without inputs it runs on the embedded sample: the events named in the source
editorial (by place name) and a seeded set of SYNTHETIC incidents.
"""

from __future__ import annotations

from pathlib import Path

import click

from geo import pipeline
from geo.cli.options import (
    check_period_order,
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


@click.command(name="run")
@click.argument("inputs", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@out_dir_option(default="outputs", help_text="Folder for every output of the run; an earlier run's "
                "folder is replaced whole once the new run is complete.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the period measured (default: 12 months before --end).")
@click.option("--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the period measured (default: the end of the latest month in the data).")
@date_format_option
@no_link_option
@filter_options
@config_option
@quiet_option
def run_command(inputs: tuple[Path, ...], out_dir: Path, start, end, config_path: Path | None,
                date_format: str | None, no_link: bool, event_types: tuple[str, ...],
                actor_groups: tuple[str, ...], sources: tuple[str, ...], min_precision: int | None,
                quiet: bool) -> None:
    """Run the pipeline on INPUTS (default: the embedded sample) and write OUT."""
    settings = settings_from(config_path, date_format, no_link=no_link,
                             filters={"event_types": event_types, "actor_groups": actor_groups,
                                      "sources": sources, "min_precision": min_precision})
    check_period_order(start, end)
    advance, close = step_bar(pipeline.step_count(len(inputs) or None), quiet)
    try:
        result = pipeline.run(list(inputs) or None, out_dir, start=start, end=end, settings=settings,
                              progress=advance)
    finally:
        close()
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if not quiet:
        click.echo(f"{counts_line(result.ingest)}; wrote {result.out_dir}/", err=True)
