"""Kernel density surfaces of incidents on a regular grid in an equal-area projection.

Points are binned into grid cells and the bin counts are convolved with a
discretised kernel by FFT (numpy), so the cost does not grow with the number of
points beyond the binning. The discrete kernel sums to one and the grid is
padded by the kernel's reach, so the surface integrates to the number (or the
weight) of the points it was given.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from affine import Affine
from pyproj import Transformer

from geo.metrics.units import period_incidents

KERNELS = ("quartic", "gaussian")
GAUSSIAN_REACH = 4.0  # a Gaussian kernel is cut at 4 standard deviations


@dataclasses.dataclass(frozen=True)
class Surface:
    """A density grid: values per km², the affine transform of its cells (in
    ``crs``), and how it was made."""

    values: np.ndarray  # (rows, cols), north up
    transform: Affine
    crs: str
    cell_km: float
    kernel: str
    bandwidth_km: float

    def integral(self) -> float:
        """Sum of density × cell area: the number (or weight) of points."""
        return float(self.values.sum() * self.cell_km**2)


def kernel_weights(kernel: str, bandwidth_km: float, cell_km: float) -> np.ndarray:
    """The kernel sampled at cell centres, normalised to sum to one.

    ``quartic`` (as QGIS's heatmap): (1 − d²/h²)² within the bandwidth h;
    ``gaussian``: exp(−d²/2h²), cut at 4h.
    """
    if kernel not in KERNELS:
        msg = f"unknown kernel {kernel!r}; choose one of {', '.join(KERNELS)}"
        raise ValueError(msg)
    if bandwidth_km <= 0 or cell_km <= 0:
        msg = "bandwidth and cell size must be positive"
        raise ValueError(msg)
    reach = bandwidth_km * (GAUSSIAN_REACH if kernel == "gaussian" else 1.0)
    radius = int(np.ceil(reach / cell_km))
    offsets = np.arange(-radius, radius + 1) * cell_km
    dx, dy = np.meshgrid(offsets, offsets)
    d2 = (dx**2 + dy**2) / bandwidth_km**2
    if kernel == "quartic":
        weights = np.where(d2 < 1.0, (1.0 - d2) ** 2, 0.0)
    else:
        weights = np.where(d2 <= GAUSSIAN_REACH**2, np.exp(-0.5 * d2), 0.0)
    if weights.sum() == 0:  # bandwidth below the cell size: all in the centre cell
        weights[radius, radius] = 1.0
    return weights / weights.sum()


def density_surface(
    lon: np.ndarray, lat: np.ndarray, *, bounds_lonlat: tuple[float, float, float, float], crs: str,
    weights: np.ndarray | None = None, kernel: str = "quartic", bandwidth_km: float = 10.0, cell_km: float = 1.0,
) -> Surface:
    """Density per km² of points (optionally weighted) over ``bounds_lonlat``.

    Parameters
    ----------
    lon, lat
        Point coordinates (WGS84); NaN points are ignored.
    bounds_lonlat
        West, south, east, north of the area to cover; the grid adds the
        kernel's reach on every side.
    crs
        Equal-area projected CRS (metres) in which the grid is regular.
    weights
        Weight of each point (e.g. killed); 1 when None.

    Points outside the grid (or with NaN coordinates or weight) add nothing;
    with no point left the surface is all 0, on the same grid.
    """
    weights_kernel = kernel_weights(kernel, bandwidth_km, cell_km)
    pad_cells = weights_kernel.shape[0] // 2
    to_grid = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    west, south, east, north = bounds_lonlat
    corner_x, corner_y = to_grid.transform([west, west, east, east], [south, north, south, north])
    cell_m = cell_km * 1000.0
    x0 = np.floor(min(corner_x) / cell_m) * cell_m - pad_cells * cell_m
    y1 = np.ceil(max(corner_y) / cell_m) * cell_m + pad_cells * cell_m
    cols = int(np.ceil((max(corner_x) + pad_cells * cell_m - x0) / cell_m))
    rows = int(np.ceil((y1 - (min(corner_y) - pad_cells * cell_m)) / cell_m))

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w = np.ones(lon.shape) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat) & np.isfinite(w)
    x, y = to_grid.transform(lon[ok], lat[ok])
    col = np.floor((np.asarray(x) - x0) / cell_m).astype(np.int64)
    row = np.floor((y1 - np.asarray(y)) / cell_m).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    counts = np.zeros((rows, cols))
    np.add.at(counts, (row[inside], col[inside]), w[ok][inside])

    values = _fft_convolve(counts, weights_kernel) / (cell_km**2)
    values[values < 1e-12] = 0.0  # FFT round-off
    return Surface(values, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1), crs, cell_km, kernel, bandwidth_km)


def _fft_convolve(grid: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Same-size linear convolution of ``grid`` with an odd, centred ``kernel``."""
    k = kernel.shape[0]
    shape = (grid.shape[0] + k - 1, grid.shape[1] + k - 1)
    fast = tuple(_next_fast_len(n) for n in shape)
    spectrum = np.fft.rfft2(grid, fast) * np.fft.rfft2(kernel, fast)
    full = np.fft.irfft2(spectrum, fast)[: shape[0], : shape[1]]
    half = k // 2
    return full[half: half + grid.shape[0], half: half + grid.shape[1]]


def _next_fast_len(n: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ n (sizes numpy's FFT handles quickly)."""
    best = 1 << int(np.ceil(np.log2(n)))
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            p235 = p35
            while p235 < n:
                p235 *= 2
            best = min(best, p235)
            p35 *= 3
        p5 *= 5
    return best


@dataclasses.dataclass(frozen=True)
class PeriodDensity:
    """The density surfaces of one period: of incidents and of killed (per
    km²), from the incidents of the period inside the study area.

    Attributes
    ----------
    incidents, killed
        The two surfaces (values, transform and CRS: :class:`Surface`).
    points
        How many incidents went into them (those with coordinates).
    period
        First and last day of the period (ISO dates).
    """

    incidents: Surface
    killed: Surface
    points: int
    period: tuple[str, str]


def period_density(incidents: pd.DataFrame, period: tuple[pd.Timestamp, pd.Timestamp],
                   bounds_lonlat: tuple[float, float, float, float], *, crs: str, kernel: str = "quartic",
                   bandwidth_km: float = 10.0, cell_km: float = 1.0) -> PeriodDensity:
    """Kernel density of the incidents of ``period`` inside the study area
    (:func:`geo.metrics.units.period_incidents`) and of their killed (unknown
    counts as 0), over ``bounds_lonlat``."""
    chosen = period_incidents(incidents, *period)
    lon = chosen["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = chosen["lat"].to_numpy(dtype=float, na_value=np.nan)
    killed = chosen["killed"].to_numpy(dtype=float, na_value=0.0)
    common = {"bounds_lonlat": bounds_lonlat, "crs": crs, "kernel": kernel, "bandwidth_km": bandwidth_km,
              "cell_km": cell_km}
    first, last = (pd.Timestamp(day).date().isoformat() for day in period)
    return PeriodDensity(density_surface(lon, lat, **common), density_surface(lon, lat, weights=killed, **common),
                         int(np.isfinite(lon).sum()), (first, last))
