"""Backward warping by a pixel flow field."""

import pytest
import torch

from tooncrafter_batch.models.warp import backward_warp


def _image(height=12, width=16, dtype=torch.float32):
    return torch.rand(2, 3, height, width, generator=torch.Generator().manual_seed(0)).to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16], ids=str)
def test_zero_flow_is_identity(dtype):
    image = _image(dtype=dtype)
    warped = backward_warp(image, torch.zeros(2, 2, 12, 16, dtype=dtype))
    assert warped.dtype == dtype
    torch.testing.assert_close(warped, image, atol=1e-5, rtol=0)


@pytest.mark.parametrize("shift_x, shift_y", [(3, 0), (0, -2), (2, 5)], ids=["right", "up", "diagonal"])
def test_integer_flow_moves_pixels_exactly(shift_x, shift_y):
    image = _image()
    flow = torch.zeros(2, 2, 12, 16)
    flow[:, 0], flow[:, 1] = shift_x, shift_y
    warped = backward_warp(image, flow)
    # output (y, x) samples input (y + shift_y, x + shift_x); compare where that stays inside the frame
    rows = slice(max(0, -shift_y), 12 - max(0, shift_y))
    cols = slice(max(0, -shift_x), 16 - max(0, shift_x))
    source = image[:, :, rows.start + shift_y:rows.stop + shift_y, cols.start + shift_x:cols.stop + shift_x]
    torch.testing.assert_close(warped[:, :, rows, cols], source, atol=1e-5, rtol=0)


def test_outside_the_frame_repeats_the_border():
    image = _image()
    flow = torch.zeros(2, 2, 12, 16)
    flow[:, 0] = 100.0
    warped = backward_warp(image, flow)
    torch.testing.assert_close(warped, image[:, :, :, -1:].expand_as(image), atol=1e-5, rtol=0)


def test_half_step_blends_neighbours():
    image = _image()
    flow = torch.zeros(2, 2, 12, 16)
    flow[:, 0] = 0.5
    warped = backward_warp(image, flow)
    torch.testing.assert_close(warped[..., :-1], (image[..., :-1] + image[..., 1:]) / 2, atol=1e-5, rtol=0)


def test_works_under_inference_mode_then_with_autograd():
    image = _image(height=8, width=8)
    with torch.inference_mode():
        backward_warp(image, torch.zeros(2, 2, 8, 8))  # caches the grid as an inference tensor would break
    flow = torch.zeros(2, 2, 8, 8, requires_grad=True)
    backward_warp(image, flow).sum().backward()
    assert flow.grad is not None
