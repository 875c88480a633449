"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

from geo.config import Settings, load_settings

config_option = click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None, help="TOML settings file (keys of geo.config.Settings); defaults otherwise.",
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars or step messages.")


def out_dir_option(default: str | None = None, help_text: str = "Output folder.") -> click.Option:
    """``--out DIR``, created if missing."""
    return click.option(
        "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
        default=default, required=default is None, show_default=default is not None, help=help_text,
    )


def settings_from(config_path: Path | None) -> Settings:
    """Settings from ``--config`` (a ``SettingsError`` becomes a one-line CLI error)."""
    return load_settings(config_path)
