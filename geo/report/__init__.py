"""The security brief of a run: ``report.html``, ``report.pdf`` and ``tables.xlsx``.

Read from a run's output folder (so that ``geo report DIR`` works on any earlier
run): :mod:`geo.report.figures` computes every table, :mod:`geo.report.html`
renders them (with :mod:`geo.report.chart`'s SVG and the run's ``map.png``),
:mod:`geo.report.pdf` prints that HTML to A4 and :mod:`geo.report.xlsx`
writes the same tables as a workbook. :mod:`geo.report.compare` compares two runs.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from geo.atomic import atomic_path
from geo.config import Settings, default_settings
from geo.export.folder import make_folder
from geo.filenames import MAP_PNG, REPORT_HTML, REPORT_PDF, TABLES_XLSX
from geo.report.compare import write_compare
from geo.report.figures import Brief, ReportInputError, build_brief, read_map_png, run_period
from geo.report.html import PDF_MAP_URL, brief_chart, created_timestamp, render_html
from geo.report.pdf import PdfUnavailableError, pdf_engine_problem, write_pdf
from geo.report.periods import Period, ReportPeriodError, comparison_period, make_period, month_period
from geo.report.xlsx import write_workbook

__all__ = [
    "Brief",
    "Period",
    "PdfUnavailableError",
    "ReportInputError",
    "ReportPeriodError",
    "ReportResult",
    "build_brief",
    "comparison_period",
    "make_period",
    "month_period",
    "pdf_engine_problem",
    "write_compare",
    "write_report",
]


@dataclasses.dataclass(frozen=True)
class ReportResult:
    """What :func:`write_report` wrote.

    Attributes
    ----------
    html, xlsx
        The paths of ``report.html`` and ``tables.xlsx``.
    pdf
        The path of ``report.pdf``, or None when the PDF engine cannot run here.
    pdf_problem
        Why there is no PDF (one line), or None.
    brief
        The content.
    """

    html: Path
    xlsx: Path
    pdf: Path | None
    pdf_problem: str | None
    brief: Brief


def write_report(
    run_dir: Path,
    out_dir: Path | None = None,
    *,
    period: Period | None = None,
    compare_to: str | Period | None = None,
    settings: Settings | None = None,
    pdf: bool = True,
    map_ready: Callable[[], None] | None = None,
) -> ReportResult:
    """Write the brief of ``run_dir`` into ``out_dir`` (default: ``run_dir``).

    Parameters
    ----------
    run_dir
        The output folder of a ``geo run``.
    period
        The period reported (default: the run's period).
    compare_to
        ``"previous"`` or None (the period of equal length just before), a
        ``START..END`` string or a :class:`Period`.
    pdf
        Whether to print ``report.pdf``; skipped, with ``pdf_problem`` saying
        why, where WeasyPrint cannot load Pango.
    map_ready
        Called before ``map.png`` is read: the tables, the chart and the
        workbook are made first, and the PDF's page parsed and styled
        (``geo run`` draws the map meanwhile, see :mod:`geo.pipeline.brief_process`).

    Raises
    ------
    ReportInputError
        ``run_dir`` lacks an output the brief needs.
    ReportPeriodError
        ``compare_to`` cannot be read.
    """
    run_dir = Path(run_dir)
    out_dir = Path(out_dir) if out_dir is not None else run_dir
    settings = settings or default_settings()
    period = period or run_period(run_dir)
    comparison = compare_to if isinstance(compare_to, Period) else comparison_period(period, compare_to)
    brief = build_brief(run_dir, period, comparison, settings, with_map=map_ready is None)
    chart = brief_chart(brief)
    make_folder(out_dir)
    created = pd.Timestamp(created_timestamp(brief)).tz_localize(None)
    title = f"Security brief, {brief.period.label}" + (
        " (includes SYNTHETIC data)" if brief.synthetic else ""
    )
    problem = pdf_engine_problem() if pdf else "not asked for"

    @functools.cache
    def map_png() -> bytes | None:
        """map.png, read once ``map_ready`` says it is written."""
        if map_ready is None:
            return brief.map_png
        map_ready()
        return read_map_png(run_dir)

    def pdf_map() -> bytes:
        if (png := map_png()) is None:
            raise ReportInputError(f"{run_dir / MAP_PNG} is missing: draw the maps first (`geo map`)")
        return png

    # The three files are written aside and put in place together, once all are written: a brief
    # that fails half-way (a full disk, say) leaves the earlier brief of the folder as it was.
    with tempfile.TemporaryDirectory(prefix=".brief-", dir=out_dir) as folder:
        aside = Path(folder)
        names = [write_workbook(aside / TABLES_XLSX, brief.tables, brief.notes, created, title).name]
        if problem is None:
            # The PDF's page names the map by URL: WeasyPrint parses and styles the page (a third of
            # its time) before it asks for the map, which `geo run` is drawing meanwhile.
            with_map = map_ready is not None or brief.map_png is not None
            pdf_html = render_html(brief, chart, map_url=PDF_MAP_URL if with_map else None)
            names.append(write_pdf(pdf_html, aside / REPORT_PDF, resources={PDF_MAP_URL: pdf_map}).name)
        brief = dataclasses.replace(brief, map_png=map_png())
        with atomic_path(aside / REPORT_HTML) as tmp:
            tmp.write_text(render_html(brief, chart), encoding="utf-8")
        names.append(REPORT_HTML)
        for name in names:
            os.replace(aside / name, out_dir / name)
    html_path, xlsx_path = out_dir / REPORT_HTML, out_dir / TABLES_XLSX
    pdf_path = out_dir / REPORT_PDF if problem is None else None
    return ReportResult(html_path, xlsx_path, pdf_path, problem, brief)
