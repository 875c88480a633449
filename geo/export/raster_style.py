"""QGIS style (.qml) of a density surface: singleband pseudocolor on a viridis
ramp (distinct from the risk layers' yellow–red), zero and near-zero cells
transparent, legend labels in the raster's units.

QGIS loads ``NAME.qml`` beside ``NAME.tif`` when the raster is added. The
colour stops sit at quantiles of the non-zero cells, so the skewed densities
use the whole ramp; their values come from the data, so the same surface gives
the same style.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from geo.export.layer_metadata import QGIS_DTD
from geo.export.styles import QGIS_VERSION

# viridis at 0, 0.25, 0.5, 0.75 and 1
RAMP = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
STOP_QUANTILES = (0.0, 0.5, 0.75, 0.9, 1.0)  # of the cells above the near-zero threshold
NEAR_ZERO_SHARE = 0.01  # cells below 1 % of the maximum are drawn transparent
OPACITY = "0.85"


def _value(value: float) -> str:
    return f"{value:.6g}"


def _label(value: float, units: str) -> str:
    return f"{value:.3g} {units}"


def density_stops(values: np.ndarray) -> tuple[float, list[float]]:
    """The near-zero threshold and the value of each colour stop of ``values``
    (NaN and nodata excluded by the caller); all 0 for an empty surface."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    top = float(finite.max()) if finite.size else 0.0
    if top <= 0:
        return 0.0, [0.0] * len(RAMP)
    threshold = top * NEAR_ZERO_SHARE
    shown = finite[finite >= threshold]
    stops = [float(v) for v in np.quantile(shown, STOP_QUANTILES)]
    return threshold, stops


def density_style(values: np.ndarray, units: str = "per km²") -> str:
    """The ``.qml`` of a density surface whose cells are ``values`` (nodata
    removed or NaN)."""
    threshold, stops = density_stops(values)
    top = stops[-1]
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    pipe = ET.SubElement(root, "pipe")
    renderer = ET.SubElement(pipe, "rasterrenderer", type="singlebandpseudocolor", band="1", opacity=OPACITY,
                             alphaBand="-1", nodataColor="", classificationMin=_value(threshold),
                             classificationMax=_value(top))
    transparency = ET.SubElement(renderer, "rasterTransparency")
    pixels = ET.SubElement(transparency, "singleValuePixelList")
    ET.SubElement(pixels, "pixelListEntry", min="0", max=_value(threshold), percentTransparent="100")
    origin = ET.SubElement(renderer, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"), ("statAccuracy", "Estimated"),
                      ("cumulativeCutLower", "0.02"), ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):
        ET.SubElement(origin, tag).text = text
    shader = ET.SubElement(ET.SubElement(renderer, "rastershader"), "colorrampshader", colorRampType="INTERPOLATED",
                           classificationMode="3", clip="0", minimumValue=_value(threshold),
                           maximumValue=_value(top), labelPrecision="4")
    # below the threshold: transparent (zero is "no incident within the kernel's reach")
    ET.SubElement(shader, "item", value="0", alpha="0", color=RAMP[0], label=f"0 {units} (transparent)")
    for value, colour in zip(stops, RAMP, strict=True):
        ET.SubElement(shader, "item", value=_value(value), alpha="255", color=colour, label=_label(value, units))
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", grayscaleMode="0", colorizeOn="0",
                  colorizeRed="255", colorizeGreen="128", colorizeBlue="128", colorizeStrength="100")
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    ET.indent(root)
    return QGIS_DTD + "\n" + ET.tostring(root, encoding="unicode") + "\n"
