"""Kernel density surfaces and their COG output."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from geo.config import Settings
from geo.export.raster import NODATA, write_cog
from geo.metrics.density import _fft_convolve, density_surface, kernel_weights

CRS = Settings().equal_area_crs
BOUNDS = (69.0, 32.0, 71.0, 34.0)


def test_surface_integrates_to_the_number_of_points():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(69.2, 70.8, 5000), rng.uniform(32.2, 33.8, 5000)
    for kernel in ("quartic", "gaussian"):
        surface = density_surface(lon, lat, bounds_lonlat=BOUNDS, crs=CRS, kernel=kernel, bandwidth_km=8)
        assert surface.integral() == pytest.approx(5000, rel=0.01)
    weighted = density_surface(lon, lat, weights=np.full(5000, 2.0), bounds_lonlat=BOUNDS, crs=CRS)
    assert weighted.integral() == pytest.approx(10000, rel=0.01)


def test_one_point_gives_the_kernel_shape():
    quartic = density_surface(np.array([70.0]), np.array([33.0]), bounds_lonlat=BOUNDS, crs=CRS, bandwidth_km=10)
    assert quartic.values.max() == pytest.approx(3 / (np.pi * 10**2), rel=0.01)  # 3/(πh²) at the centre
    assert (quartic.values > 0).sum() == pytest.approx(np.pi * 10**2, rel=0.05)  # a disc of radius h
    gaussian = density_surface(np.array([70.0]), np.array([33.0]), bounds_lonlat=BOUNDS, crs=CRS,
                               kernel="gaussian", bandwidth_km=10)
    assert gaussian.values.max() == pytest.approx(1 / (2 * np.pi * 10**2), rel=0.01)
    wide = density_surface(np.array([70.0]), np.array([33.0]), bounds_lonlat=BOUNDS, crs=CRS, bandwidth_km=20)
    assert wide.values.max() < quartic.values.max()


def test_fft_convolution_equals_the_direct_sum():
    rng = np.random.default_rng(2)
    grid = rng.poisson(0.3, size=(23, 31)).astype(float)
    kernel = kernel_weights("quartic", 3.0, 1.0)
    half = kernel.shape[0] // 2
    padded = np.pad(grid, half)
    direct = np.zeros_like(grid)
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            direct[r, c] = (padded[r: r + kernel.shape[0], c: c + kernel.shape[1]] * kernel[::-1, ::-1]).sum()
    np.testing.assert_allclose(_fft_convolve(grid, kernel), direct, atol=1e-12)


def test_bad_kernel_parameters_are_refused():
    with pytest.raises(ValueError, match="unknown kernel"):
        kernel_weights("epanechnikov", 5, 1)
    with pytest.raises(ValueError, match="positive"):
        kernel_weights("quartic", 0, 1)


def test_cog_has_tags_nodata_overviews_and_same_bytes(tmp_path):
    rng = np.random.default_rng(3)
    # a grid larger than one 512-pixel block, as the study area's is, gets overviews
    surface = density_surface(rng.uniform(69, 71, 300), rng.uniform(32, 34, 300), bounds_lonlat=(64, 27, 72, 35),
                              crs=CRS)
    first = write_cog(surface, tmp_path / "a.tif", {"synthetic_data": True})
    second = write_cog(surface, tmp_path / "b.tif", {"synthetic_data": True})
    assert first.read_bytes() == second.read_bytes()
    with rasterio.open(first) as raster:
        assert raster.nodata == NODATA and raster.crs.to_wkt()
        assert raster.profile["compress"].lower() == "deflate" and raster.profile["tiled"]
        assert raster.overviews(1)
        tags = raster.tags()
        assert tags["kernel"] == "quartic" and tags["bandwidth_km"] == "10.0" and tags["synthetic_data"] == "True"
        assert float(raster.read(1).sum()) * 1.0 == pytest.approx(300, rel=0.01)


def test_no_points_give_an_all_zero_surface():
    empty = density_surface(np.array([]), np.array([]), bounds_lonlat=BOUNDS, crs=CRS)
    assert empty.values.shape[0] > 0 and (empty.values == 0).all() and empty.integral() == 0.0
    missing = density_surface(np.array([np.nan]), np.array([np.nan]), weights=np.array([3.0]), bounds_lonlat=BOUNDS,
                              crs=CRS)
    assert missing.integral() == 0.0 and missing.values.shape == empty.values.shape
    outside = density_surface(np.array([60.0]), np.array([20.0]), bounds_lonlat=BOUNDS, crs=CRS)  # off the grid
    assert outside.integral() == 0.0
