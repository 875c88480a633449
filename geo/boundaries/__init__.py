"""Boundary layers of the study area: tehsils, districts and provinces of Khyber
Pakhtunkhwa and Balochistan, the Pakistan–Afghanistan border, its distance bands
and the Afghan districts along it.

The layers are committed in ``boundaries/`` and rebuilt by
:func:`geo.boundaries.build.build_layers` (``make boundaries``).

Examples
--------
>>> from geo import boundaries
>>> districts = boundaries.load("districts")
>>> sorted(districts.columns)[:3]
['area_km2', 'district', 'district_id']
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from geo._errors import LayerNotFoundError
from geo.config import default_settings

LAYERS = ("tehsils", "districts", "provinces", "border", "border_bands", "afghan_border_districts",
          "afghan_districts", "countries")
GEOPACKAGE = "boundaries.gpkg"

__all__ = ["LAYERS", "LayerNotFoundError", "layer_path", "load"]


def layer_path(layer: str, boundaries_dir: Path | None = None, suffix: str = ".geojson") -> Path:
    """The file of a committed boundary layer: its GeoJSON, or with ``suffix=".gpkg"``
    the GeoPackage that holds every layer."""
    if layer not in LAYERS:
        msg = f"unknown boundary layer {layer!r}; choose one of {', '.join(LAYERS)}"
        raise LayerNotFoundError(msg)
    folder = Path(boundaries_dir) if boundaries_dir is not None else default_settings().boundaries_dir
    path = folder / (GEOPACKAGE if suffix == ".gpkg" else f"{layer}{suffix}")
    if not path.exists():
        msg = f"boundary layer file {path} is missing; run `make boundaries` to rebuild it"
        raise LayerNotFoundError(msg)
    return path


def load(layer: str, *, boundaries_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Load one boundary layer as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    layer
        One of :data:`LAYERS`.
    boundaries_dir
        Folder of the layers; defaults to the project's ``boundaries/``.

    Returns
    -------
    GeoDataFrame whose id columns (``tehsil_id``, ``district_id``, ``province``)
    are the ones every later output uses.
    """
    # The GeoPackage reads twice as fast as the GeoJSON files and holds the same data.
    frame = pyogrio.read_dataframe(layer_path(layer, boundaries_dir, ".gpkg"), layer=layer, use_arrow=True)
    return frame.set_crs("EPSG:4326", allow_override=True)
