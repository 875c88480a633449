"""The brief of a run, written by a forked child process while the run draws
its maps (issue 12, "Fast everyday run").

The brief (``report.html``, ``tables.xlsx`` and WeasyPrint's ``report.pdf``)
takes seconds of one core and reads only finished outputs of the run, so
:meth:`geo.pipeline.Run.write` starts it in a child process (``fork``: the
child inherits the run's imported libraries and settings, nothing is pickled
but messages) and tells it when its inputs are in the staging folder:

1. at once (:func:`geo.pipeline.run` starts it before measuring), the child
   imports the report modules and WeasyPrint (and loads its fonts) while the
   run reads, measures and writes the risk layers and the incident tables;
2. ``TABLES`` with the staging folder: the tables are written; the child
   computes the brief's tables and chart and waits for the map;
3. ``MAP``: ``map.png`` is written; the child renders and prints the brief
   while the run writes ``map.html``.

The child writes into the same staging folder as the run, so the folder is
still all-or-nothing: the run waits for the child before sealing it, and an
error in the child is raised again in the run (the same exception, or a
:class:`geo._errors.GeoError` with its message), which leaves ``out_dir`` as it was.
Where ``fork`` is missing (Windows) or one core is all there is,
:func:`can_fork` is False and the run writes the brief itself, as before.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path

from geo._errors import GeoError
from geo.config import Settings
from geo.pipeline.forked import ForkedChild, picklable

TABLES = "tables"
MAP = "map"
_SERIAL_ENV = "GEO_SERIAL_BRIEF"  # set to 1 to write the brief in the run's own process


def can_fork() -> bool:
    """Whether the brief can render in a child process here (POSIX ``fork``, two cores or more)."""
    if os.environ.get(_SERIAL_ENV, "") not in ("", "0"):
        return False
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


class BriefProcess(ForkedChild):
    """``write_report(staging)`` in a forked child, fed with :data:`TABLES` and :data:`MAP`.

    Use :meth:`tables_written` and :meth:`map_written` for the messages,
    :meth:`result` for the reason ``report.pdf`` was not written (None if it
    was; the child's error, raised again here, when the brief could not be
    written) and :meth:`stop` (always, e.g. in ``finally``) to end the child
    if the run fails first.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(_child, (settings,), "brief", duplex=True)

    def tables_written(self, staging: Path) -> None:
        """Tell the child that ``run.json``, ``incidents.parquet`` and the summary
        tables are in ``staging`` (where it then writes the brief)."""
        self._send(TABLES, str(staging))

    def map_written(self) -> None:
        """Tell the child that ``map.png`` is written."""
        self._send(MAP, None)

    def _send(self, kind: str, value: str | None) -> None:
        try:
            self._connection.send((kind, value))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the child has ended, with an error that result() raises


def _child(connection: Connection, settings: Settings) -> None:
    """The child: warm WeasyPrint up, then write the brief as the messages allow."""

    def expect(message: str) -> str | None:
        kind, value = connection.recv()  # EOFError when the run stopped: the child just ends
        if kind != message:
            raise GeoError(f"the brief's process expected {message!r}, got {kind!r}")
        return value

    try:
        try:
            from geo.report import write_report

            _warm_up()
            staging = Path(expect(TABLES))
            result = write_report(staging, settings=settings, map_ready=lambda: expect(MAP))
            outcome = ("ok", result.pdf_problem)
        except EOFError:
            return  # the run stopped (or was killed) before the brief's inputs were written
        except BaseException as exc:  # noqa: BLE001  (every error reaches the run, which raises it)
            outcome = ("error", picklable(exc))
        connection.send(outcome)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the run has ended: nobody waits for the brief
    finally:
        connection.close()


_WARM_UP_HTML = (
    '<p style="font-family: \'DejaVu Sans\'"><b>warm-up</b> 1,234</p><table><tr><td>a</td><td>b</td></tr></table>'
    '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><path d="M 0 0 L 10 10 z" '
    'style="fill: #e69f00"/><text x="1" y="9" style="font: 4px \'DejaVu Sans\'">x</text></svg>'
)


def _warm_up() -> None:
    """Import WeasyPrint, lay out and print a scrap of what the brief holds (text,
    a table, an SVG with text) to nowhere: its fonts, stylesheets, cffi types
    (about 0.3 s of C declarations parsed on first use) and font subsetter load
    while the run is still writing the brief's inputs."""
    from geo.report.pdf import pdf_engine_problem

    if pdf_engine_problem() is None:
        import io

        import weasyprint

        weasyprint.HTML(string=_WARM_UP_HTML).render().write_pdf(io.BytesIO())
