"""``geo report`` and ``geo compare``: the security brief of an earlier run, and
the per-district change between two runs."""

from __future__ import annotations

from pathlib import Path

import click

from geo.cli.options import check_period_order, config_option, out_dir_option, quiet_option, settings_from
from geo.export.folder import disk_errors


@click.command(name="report")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--month", default=None, metavar="YYYY-MM", help="Report one calendar month.")
@click.option(
    "--start",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="First day of the period reported (with --end; default: the run's period).",
)
@click.option(
    "--end", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Last day of the period reported."
)
@click.option(
    "--compare-to",
    "compare_to",
    default="previous",
    show_default=True,
    metavar="previous|START..END",
    help="The comparison period: the period of equal length just before, or two dates.",
)
@out_dir_option(help_text="Folder for report.html, report.pdf and tables.xlsx (default: RUN_DIR).", optional=True)
@config_option
@quiet_option
def report_command(
    run_dir: Path,
    month: str | None,
    start,
    end,
    compare_to: str,
    out_dir: Path | None,
    config_path: Path | None,
    quiet: bool,
) -> None:
    """Write the security brief of RUN_DIR (an earlier `geo run`'s outputs):
    report.html (self-contained, offline), report.pdf (A4) and tables.xlsx."""
    # here, not at the top: the brief's metrics and charts cost seconds to import
    from geo.report import make_period, month_period, write_report
    from geo.report.pdf import PdfUnavailableError

    if month is not None and (start is not None or end is not None):
        raise click.UsageError("give --month or --start/--end, not both")
    if (start is None) != (end is None):
        raise click.UsageError("--start and --end go together")
    check_period_order(start, end)
    period = month_period(month) if month else (make_period(start, end) if start is not None else None)
    with disk_errors(out_dir or run_dir):
        result = write_report(
            run_dir, out_dir, period=period, compare_to=compare_to, settings=settings_from(config_path)
        )
    if result.pdf is None:
        raise PdfUnavailableError(
            f"report.pdf not written ({result.html.name} and {result.xlsx.name} were): {result.pdf_problem}"
        )
    if not quiet:
        size = result.pdf.stat().st_size / 1e6
        click.echo(f"wrote {result.html}, {result.pdf} ({size:.1f} MB) and {result.xlsx}", err=True)


@click.command(name="compare")
@click.argument("run_a", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("run_b", type=click.Path(exists=True, file_okay=False, path_type=Path))
@out_dir_option(help_text="Folder for compare_districts.csv and .xlsx (default: RUN_B).", optional=True)
@quiet_option
def compare_command(run_a: Path, run_b: Path, out_dir: Path | None, quiet: bool) -> None:
    """Write the per-district change from RUN_A to RUN_B (two `geo run` folders)
    as compare_districts.csv and compare_districts.xlsx."""
    from geo.report import write_compare

    with disk_errors(out_dir or run_b):
        csv_path, xlsx_path = write_compare(run_a, run_b, out_dir or run_b)
    if not quiet:
        click.echo(f"wrote {csv_path} and {xlsx_path}", err=True)
