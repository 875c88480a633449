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
>>> older = boundaries.load("districts", district_vintage="pre2022")
>>> "PK-KP-south-waziristan" in set(older["district_id"])
True
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio

from geo._errors import LayerNotFoundError
from geo.config import DISTRICT_VINTAGES, SettingsError, default_settings
from geo.filenames import BOUNDARIES_GPKG

# One district layer per vintage: today's is plain "districts".
DISTRICT_LAYERS = {v: "districts" if i == 0 else f"districts_{v}" for i, v in enumerate(DISTRICT_VINTAGES)}
LAYERS = ("tehsils", *DISTRICT_LAYERS.values(), "provinces", "border", "border_bands",
          "afghan_border_districts", "afghan_districts", "countries")

__all__ = ["DISTRICT_LAYERS", "LAYERS", "LayerNotFoundError", "district_columns", "layer_path", "load"]


def district_columns(vintage: str) -> tuple[str, str]:
    """The tehsil layer's (district id, district name) columns of ``vintage``:
    ``district_id``/``district`` for today's districts, ``district_id_pre2022``/
    ``district_pre2022`` for the older set."""
    if vintage not in DISTRICT_LAYERS:
        msg = f"unknown district vintage {vintage!r}; choose one of {', '.join(DISTRICT_VINTAGES)}"
        raise SettingsError(msg)
    suffix = "" if vintage == DISTRICT_VINTAGES[0] else f"_{vintage}"
    return f"district_id{suffix}", f"district{suffix}"


def layer_path(layer: str, boundaries_dir: Path | None = None, suffix: str = ".geojson") -> Path:
    """The file of a committed boundary layer: its GeoJSON, or with ``suffix=".gpkg"``
    the GeoPackage that holds every layer."""
    if layer not in LAYERS:
        msg = f"unknown boundary layer {layer!r}; choose one of {', '.join(LAYERS)}"
        raise LayerNotFoundError(msg)
    folder = Path(boundaries_dir) if boundaries_dir is not None else default_settings().boundaries_dir
    path = folder / (BOUNDARIES_GPKG if suffix == ".gpkg" else f"{layer}{suffix}")
    if not path.exists():
        msg = f"boundary layer file {path} is missing; run `make boundaries` to rebuild it"
        raise LayerNotFoundError(msg)
    return path


def load(layer: str, *, boundaries_dir: Path | None = None,
         district_vintage: str = DISTRICT_VINTAGES[0]) -> gpd.GeoDataFrame:
    """Load one boundary layer as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    layer
        One of :data:`LAYERS`.
    boundaries_dir
        Folder of the layers; defaults to the project's ``boundaries/``.
    district_vintage
        Which districts ``"districts"`` and the ``district_id``/``district``
        columns of ``"tehsils"`` hold: ``current`` (today's) or ``pre2022``
        (other layers do not depend on it).

    Returns
    -------
    GeoDataFrame whose id columns (``tehsil_id``, ``district_id``, ``province``)
    are the ones every later output uses.
    """
    id_column, name_column = district_columns(district_vintage)
    if layer == "districts":
        layer = DISTRICT_LAYERS[district_vintage]
    # The GeoPackage reads twice as fast as the GeoJSON files and holds the same data.
    frame = pyogrio.read_dataframe(layer_path(layer, boundaries_dir, ".gpkg"), layer=layer, use_arrow=True)
    if layer == "tehsils" and id_column != "district_id":
        frame = frame.assign(district_id=frame[id_column], district=frame[name_column])
    return frame.set_crs("EPSG:4326", allow_override=True)
