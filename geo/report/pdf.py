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
from collections.abc import Callable, Mapping
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


class _ResourceFailed(BaseException):
    """Why a resource of :func:`write_pdf` failed: the cause of the
    ``FatalURLFetchingError`` raised through WeasyPrint (which turns any other
    error of a fetch into a warning and a page without its image), unwrapped
    by :func:`write_pdf` into ``error``, the resource's own exception."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def write_pdf(html: str, path: Path, resources: Mapping[str, Callable[[], bytes]] | None = None) -> Path:
    """Print ``html`` to ``path`` (A4, as its print CSS says).

    ``resources``: PNG images the page names by URL, each fetched (called) when
    WeasyPrint reaches it, so that the page is parsed and styled while an
    image is still being drawn (``geo run``'s map); every other URL is a
    ``data:`` URI. An error of a resource is raised here as it is.

    Raises
    ------
    PdfUnavailableError
        If WeasyPrint or Pango is missing.
    """
    if problem := pdf_engine_problem():
        raise PdfUnavailableError(f"report.pdf not written: {problem}")
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class Fetcher(URLFetcher):
        def fetch(self, url: str, headers=None) -> URLFetcherResponse:
            if resources and url in resources:
                try:
                    body = resources[url]()
                except BaseException as exc:  # noqa: BLE001  (raised again by write_pdf, unwrapped)
                    raise FatalURLFetchingError(url) from _ResourceFailed(exc)
                return URLFetcherResponse(url, body, headers={"Content-Type": "image/png"})
            return super().fetch(url, headers)

    # The page is self-contained: data: URIs only (and ``resources``), nothing is ever fetched.
    fetcher = Fetcher(allowed_protocols={"data"})
    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)  # not the SVG presentation attributes it reads but reports as CSS
    try:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    except FatalURLFetchingError as exc:
        if isinstance(exc.__cause__, _ResourceFailed):
            raise exc.__cause__.error from None
        raise
    finally:
        log.setLevel(level)
    with atomic_path(Path(path)) as tmp:
        document.write_pdf(tmp, pdf_identifier=b"geo-security-brief", uncompressed_pdf=False)
    return Path(path)
