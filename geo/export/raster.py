"""Cloud-Optimized GeoTIFF output of density surfaces."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyproj
import rasterio
import rasterio.shutil
from rasterio.io import MemoryFile

from geo.config import STUDY_AREA_EQUAL_AREA_CRS_NAME
from geo.atomic import atomic_path
from geo.metrics.density import Surface

NODATA = -9999.0


def named_crs(crs: str, name: str = STUDY_AREA_EQUAL_AREA_CRS_NAME) -> str:
    """The WKT of ``crs``, named ``name`` when it has no name of its own (a
    PROJ string such as the study area's Albers): GIS then show the name, not
    "unknown". An EPSG code keeps its own name."""
    parsed = pyproj.CRS(crs)
    if parsed.name not in ("", "unknown", "undefined"):
        return parsed.to_wkt()
    definition = parsed.to_json_dict()
    definition["name"] = name
    base = definition.get("base_crs", {})
    if base.get("name") in ("", "unknown") and parsed.datum.name == "World Geodetic System 1984":
        base["name"] = "WGS 84"
    return pyproj.CRS.from_json_dict(definition).to_wkt()


def write_cog(surface: Surface, path: Path, tags: Mapping[str, object] | None = None) -> Path:
    """Write ``surface`` as a compressed COG with overviews, nodata and its
    making (kernel, bandwidth, cell size, units) in the GeoTIFF tags."""
    profile = {
        "driver": "GTiff", "height": surface.values.shape[0], "width": surface.values.shape[1], "count": 1,
        "dtype": "float32", "crs": named_crs(surface.crs), "transform": surface.transform, "nodata": NODATA,
    }
    all_tags = {"kernel": surface.kernel, "bandwidth_km": surface.bandwidth_km, "cell_km": surface.cell_km,
                "units": "per km2", **(tags or {})}
    with MemoryFile() as memory:
        with memory.open(**profile) as staging:
            staging.write(np.asarray(surface.values, dtype=np.float32), 1)
            staging.update_tags(**{k: str(v) for k, v in all_tags.items()})
        with memory.open() as staged, atomic_path(Path(path)) as tmp:
            rasterio.shutil.copy(staged, tmp, driver="COG", compress="DEFLATE", predictor="3",
                                 overview_resampling="average", blocksize=512)
    return Path(path)
