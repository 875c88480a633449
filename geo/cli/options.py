"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

import dataclasses

from geo.config import Settings, check_date_format, load_settings

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
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or step messages.")


def counts_line(result) -> str:
    """``read N = accepted A + rejected R (reasons); E events`` of an ingest."""
    read = sum(f.read for f in result.files)
    accepted = sum(f.accepted for f in result.files)
    reasons = ", ".join(f"{k} {v}" for k, v in result.counts_by_reason.items()) or "none"
    return (f"read {read} = accepted {accepted} + rejected {len(result.rejects)} ({reasons}); "
            f"{len(result.incidents)} events")


def out_dir_option(default: str | None = None, help_text: str = "Output folder.") -> click.Option:
    """``--out DIR``, created if missing."""
    return click.option(
        "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
        default=default, required=default is None, show_default=default is not None, help=help_text,
    )


def settings_from(config_path: Path | None, date_format: str | None = None, *, no_link: bool = False) -> Settings:
    """Settings from ``--config``, ``--date-format`` and ``--no-link`` (a
    ``SettingsError`` becomes a one-line CLI error)."""
    settings = load_settings(config_path)
    if no_link:
        settings = dataclasses.replace(settings, link=False)
    if date_format is None:
        return settings
    check_date_format(date_format, "--date-format")
    return dataclasses.replace(settings, incidents=dataclasses.replace(settings.incidents, date_format=date_format))
