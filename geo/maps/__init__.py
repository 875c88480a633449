"""Maps of a run, drawn from its output folder.

``map.html``: the interactive risk map, one self-contained file that opens
offline (see :mod:`geo.maps.interactive`); ``map.png``: a static overview for
reports and email bodies (see :mod:`geo.maps.static`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo.config import Settings
from geo.maps.content import MapContent, MapInputError, load_map_content
from geo.maps.interactive import risk_map
from geo.maps.page import render_self_contained, write_page
from geo.maps.static import write_overview_png

MAP_HTML = "map.html"
MAP_PNG = "map.png"

__all__ = ["MAP_HTML", "MAP_PNG", "MapContent", "MapInputError", "load_map_content",
           "render_self_contained", "risk_map", "write_maps"]


def write_maps(run_dir: Path, max_incidents: int = Settings.map_max_incidents, *,
               png_written: Callable[[], None] | None = None) -> tuple[Path, Path]:
    """Write ``map.html`` and ``map.png`` into ``run_dir`` from the outputs there.

    ``map.png`` first, then ``png_written`` is called (``geo run``'s brief,
    which embeds it, renders while ``map.html`` is written).

    Raises
    ------
    MapInputError
        If ``run_dir`` lacks an output of ``geo run``.
    """
    run_dir = Path(run_dir)
    content = load_map_content(run_dir, max_incidents)
    png_path = write_overview_png(content, run_dir / MAP_PNG)
    if png_written is not None:
        png_written()
    html_path = write_page(risk_map(content), run_dir / MAP_HTML)
    return html_path, png_path
