"""Options shared by several commands, defined once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

import dataclasses

from geo.config import Settings, check_date_format, load_settings
from geo.filters import FilterError

config_option = click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None, help="TOML settings file (keys of geo.config.Settings); defaults otherwise.",
)
date_format_option = click.option(
    "--date-format", "date_format", default=None, metavar="FORMAT",
    help="How the input files write dates, e.g. %d/%m/%Y (day first) or %m/%d/%Y; needed when numeric "
         "dates could be either. Overrides [incidents] date_format of --config.",
)
no_link_option = click.option(
    "--no-link", "no_link", is_flag=True,
    help="Do not link reports of the same event: every accepted row is an event (the behaviour before linking). "
         "Same as link = false in --config.",
)
def filter_options(command):
    """``--event-type``, ``--actor-group``, ``--source`` (each repeatable) and
    ``--min-precision``: which events the run keeps (geo.filters); each given
    option replaces the same key of ``[filters]`` in --config."""
    options = [
        click.option("--event-type", "event_types", multiple=True, metavar="TYPE",
                     help="Keep events of this type (as the source writes it, or a taxonomy class such as "
                          "explosion, armed_assault, battle); repeat for several."),
        click.option("--actor-group", "actor_groups", multiple=True, metavar="GROUP",
                     help="Keep events of this actor group or family (geo/data/actors.csv); repeat for several."),
        click.option("--source", "sources", multiple=True, metavar="SOURCE",
                     help="Keep events that this source reported; repeat for several."),
        click.option("--min-precision", "min_precision", type=click.IntRange(1, 3), default=None,
                     help="Keep events placed this precisely or better: 1 exact place, 2 tehsil/district, "
                          "3 province."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or step messages.")


def check_period_order(start: datetime | None, end: datetime | None) -> None:
    """``--start`` after ``--end`` is a usage error (exit code 2), the same in every command."""
    if start is not None and end is not None and start > end:
        msg = f"--start {start.date()} is after --end {end.date()}"
        raise click.BadParameter(msg)


def counts_line(result) -> str:
    """``read N = accepted A + rejected R (reasons); E events`` of an ingest."""
    read = sum(f.read for f in result.files)
    accepted = sum(f.accepted for f in result.files)
    reasons = ", ".join(f"{k} {v}" for k, v in result.counts_by_reason.items()) or "none"
    return (f"read {read} = accepted {accepted} + rejected {len(result.rejects)} ({reasons}); "
            f"{len(result.incidents)} events")


def out_dir_option(default: str | None = None, help_text: str = "Output folder.", *,
                   optional: bool = False) -> click.Option:
    """``--out DIR``, created if missing; required unless it has a default or is ``optional``
    (None when not given: the command picks the folder)."""
    return click.option(
        "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
        default=default, required=default is None and not optional, show_default=default is not None,
        help=help_text,
    )


def settings_from(config_path: Path | None, date_format: str | None = None, *, no_link: bool = False,
                  filters: dict[str, object] | None = None) -> Settings:
    """Settings from ``--config``, ``--date-format``, ``--no-link`` and the
    filter options (a ``SettingsError`` becomes a one-line CLI error; a filter
    no event can match, a usage error)."""
    settings = load_settings(config_path)
    if no_link:
        settings = dataclasses.replace(settings, link=False)
    given = {k: (tuple(v) if isinstance(v, tuple | list) else v) for k, v in (filters or {}).items()
             if v not in ((), [], None)}
    if given:
        try:
            chosen = dataclasses.replace(settings.filters, **given)
        except FilterError as exc:
            raise click.BadParameter(str(exc)) from exc
        settings = dataclasses.replace(settings, filters=chosen)
    if date_format is None:
        return settings
    check_date_format(date_format, "--date-format")
    return dataclasses.replace(settings, incidents=dataclasses.replace(settings.incidents, date_format=date_format))
