"""``report.pdf``: the brief's HTML printed to A4 by WeasyPrint (PyPI).

Why WeasyPrint and not Chromium's print-to-PDF: it is a Python package pinned
like every other dependency, needs no browser at run time and writes the same
bytes for the same HTML (the dates come from the page's ``dcterms.created``).
It needs the Pango text library from the system (Debian ``libpango-1.0-0``,
``libpangoft2-1.0-0``; most desktops have it, ``.ci/run`` installs it). Where
Pango is missing, :func:`pdf_engine_problem` says so in one line and the
brief is written without its PDF.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from geo._errors import GeoError
from geo.atomic import atomic_path

PANGO_HINT = "WeasyPrint needs the Pango library (Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"


class PdfUnavailableError(GeoError, RuntimeError):
    """The PDF engine (WeasyPrint with Pango) cannot run on this machine."""


@functools.cache
def pdf_engine_problem() -> str | None:
    """None when WeasyPrint loads; else why not, in one line."""
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi at import)
    except (OSError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{PANGO_HINT}: {first}"
    return None


def write_pdf(html: str, path: Path) -> Path:
    """Print ``html`` to ``path`` (A4, as its print CSS says).

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint or Pango is missing.
    """
    if problem := pdf_engine_problem():
        raise PdfUnavailableError(f"report.pdf not written: {problem}")
    import weasyprint
    from weasyprint.urls import URLFetcher

    # The page is self-contained: data: URIs only, nothing is ever fetched.
    fetcher = URLFetcher(allowed_protocols={"data"})
    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)  # not the SVG presentation attributes it reads but reports as CSS
    try:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    finally:
        log.setLevel(level)
    with atomic_path(Path(path)) as tmp:
        document.write_pdf(tmp, pdf_identifier=b"geo-security-brief", uncompressed_pdf=False)
    return Path(path)
