"""Fitting keyframes to the model grid and back."""

import numpy as np
import pytest

from tooncrafter_batch.imaging.grid_fit import FitMode, GridFit


def _gradient(height, width):
    rows = np.linspace(0, 255, height)[:, None].repeat(width, 1)
    cols = np.linspace(0, 255, width)[None, :].repeat(height, 0)
    return np.stack([rows, cols, np.full_like(rows, 128)], -1).astype(np.uint8)


@pytest.mark.parametrize("size", [(480, 640), (720, 1280), (320, 512), (404, 480), (201, 333)],
                         ids=["4:3", "16:9", "exact", "eisai", "odd"])
@pytest.mark.parametrize("mode", list(FitMode))
def test_round_trip_keeps_size_and_picture(size, mode):
    image = _gradient(*size)
    fit = GridFit.plan(mode, size, (320, 512))
    grid = fit.to_grid(image)
    assert grid.shape == (320, 512, 3)
    back = fit.from_grid(grid, image)
    assert back.shape == image.shape
    error = np.abs(back.astype(int) - image.astype(int)).mean()
    assert error < 3.0, f"round trip error {error:.2f}"


def test_pad_never_crops_4_3_footage():
    fit = GridFit.plan(FitMode.pad, (480, 640), (320, 512))
    assert fit.scaled_size == (320, 427) and fit.offset == (0, 42)


def test_crop_matches_reference_preprocessing_geometry():
    fit = GridFit.plan(FitMode.crop, (720, 1280), (320, 512))
    assert fit.scaled_size == (320, 568) and fit.offset == (0, -28)
    image = _gradient(720, 1280)
    grid = fit.to_grid(image)
    assert grid[:, 0].mean() > 0, "window taken from the middle of the scaled frame"
