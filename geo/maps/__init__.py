"""Maps of a run, drawn from its output folder.

``map.html``: the interactive risk map, one self-contained file that opens
offline (see :mod:`geo.maps.interactive`); ``map.png``: a static overview for
reports and email bodies (see :mod:`geo.maps.static`).
"""

from __future__ import annotations

from pathlib import Path

from geo.config import Settings
from geo.filenames import MAP_HTML, MAP_PNG
from geo.maps.content import MapContent, MapInputError, load_map_content, with_density
from geo.maps.static import write_overview_png

__all__ = ["MapContent", "MapInputError", "load_map_content", "write_map_html", "write_map_png", "write_maps"]


def write_maps(run_dir: Path, max_incidents: int = Settings.map_max_incidents) -> tuple[Path, Path]:
    """Write ``map.html`` and ``map.png`` into ``run_dir`` from the outputs there.

    Raises
    ------
    MapInputError
        If ``run_dir`` lacks an output of ``geo run``.
    """
    content = write_map_png(run_dir, max_incidents)
    return write_map_html(run_dir, content), Path(run_dir) / MAP_PNG


def write_map_png(run_dir: Path, max_incidents: int = Settings.map_max_incidents) -> MapContent:
    """Write ``map.png`` into ``run_dir``; the content read, without the
    density overlay (which only ``map.html`` draws), for :func:`write_map_html`.

    ``geo run`` calls the two apart: its brief, which embeds ``map.png``,
    renders while ``map.html`` is written and the density GeoTIFFs it reads
    are not needed before (see :mod:`geo.pipeline.brief_process`).
    """
    run_dir = Path(run_dir)
    content = load_map_content(run_dir, max_incidents, density=False)
    write_overview_png(content, run_dir / MAP_PNG)
    return content


def write_map_html(run_dir: Path, content: MapContent) -> Path:
    """Write ``map.html`` into ``run_dir`` from ``content`` (its density overlay read here)."""
    from geo.maps.interactive import risk_map
    from geo.maps.page import write_page

    run_dir = Path(run_dir)
    return write_page(risk_map(with_density(content, run_dir)), run_dir / MAP_HTML)
