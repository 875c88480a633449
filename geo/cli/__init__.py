"""The ``geo`` command line: a thin layer over the Python API.

Errors the user can act on (:class:`geo.GeoError`) print as one line and exit 1;
usage errors exit 2.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import NoReturn

import click

from geo import __version__
from geo._errors import DISK_ERRNOS, GeoError
from geo.cli.boundaries import boundaries_group
from geo.cli.ingest import ingest_command
from geo.cli.map import map_command
from geo.cli.report import compare_command, report_command
from geo.cli.run import run_command
from geo.cli.synthetic import synthetic_command


class _GeoGroup(click.Group):
    """A group that turns ``GeoError`` (and a full or failing disk) into a
    one-line error and exit code 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except GeoError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            if exc.errno not in DISK_ERRNOS:
                raise
            # a disk that fails outside a staged folder (geo report's files, say): one line too
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(f"cannot write{where}: {exc.strerror or exc}") from None


@click.group(cls=_GeoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geo")
def cli() -> None:
    """Offline risk mapping of militant violence in Khyber Pakhtunkhwa,
    Balochistan and along the Pakistan–Afghanistan border.

    \b
    geo boundaries build   rebuild boundaries/ from the pinned source packages
    geo boundaries check   fail if boundaries/ differs from a rebuild
    geo ingest FILE...     read, geocode and join incident files
    geo synthetic FILE     write a seeded file of SYNTHETIC incidents
    geo run --out DIR      run the pipeline on the embedded sample (or on inputs)
    geo map DIR            write the interactive map of an earlier run
    geo report DIR         write the security brief (HTML, PDF, XLSX) of an earlier run
    geo compare DIR DIR    write the per-district change between two runs
    """


cli.add_command(boundaries_group)
cli.add_command(ingest_command)
cli.add_command(run_command)
cli.add_command(map_command)
cli.add_command(synthetic_command)
cli.add_command(report_command)
cli.add_command(compare_command)


def main() -> None:
    """Entry point of the ``geo`` console script."""
    try:
        cli(prog_name="geo")
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
        if isinstance(code, int) and _nothing_left_running():
            _exit_without_teardown(code)
        raise
    finally:
        # The interpreter's last garbage collection, at exit, walks every object of the
        # imported libraries (0.3 s of a `geo run`); frozen, they are skipped.
        gc.freeze()


def _nothing_left_running() -> bool:
    """Whether this process runs no child process and no thread that a normal
    exit would wait for (every writer and child of a run is joined by then:
    this checks it). Daemon threads, such as tqdm's monitor, end with the process either way."""
    import multiprocessing
    import threading

    others = [thread for thread in threading.enumerate() if thread is not threading.main_thread()]
    return all(thread.daemon for thread in others) and not multiprocessing.active_children()


def _exit_without_teardown(code: int) -> NoReturn:
    """End the process with ``code`` once its output is flushed, skipping the
    interpreter's teardown: unloading pandas, GDAL (twice), Pango and the rest
    takes 0.1 s of every command (0.6 s without ``gc.freeze``). Every output
    is written, closed and renamed into place before the command returns."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`geo --help | head -1`): nothing more to say
            pass
    os._exit(code)
