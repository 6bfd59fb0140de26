"""Forward (sum and softmax) splatting along a pixel flow."""

import pytest
import torch

from tooncrafter_batch.models.splat import softmax_splat, splat_sum


def _single_pixel(flow_x, flow_y, height=3, width=4, row=1, column=1):
    """A frame with one pixel of value 1 at (row, column), and a flow that moves only that pixel."""
    image = torch.zeros(1, 1, height, width)
    image[0, 0, row, column] = 1.0
    flow = torch.zeros(1, 2, height, width)
    flow[0, :, row, column] = torch.tensor([flow_x, flow_y])
    return image, flow


def test_matches_reference_softmax_splat(golden_learned):
    expected = golden_learned["splat.soft"]
    splatted = softmax_splat(golden_learned["splat.in"], golden_learned["splat.flow"], golden_learned["splat.metric"])
    value_range = (expected.max() - expected.min()).item()
    assert (splatted - expected).abs().max().item() <= 1e-4 * value_range


def test_half_pixel_move_splits_the_value_in_half():
    image, flow = _single_pixel(0.5, 0.0)
    expected = torch.zeros(1, 1, 3, 4)
    expected[0, 0, 1, 1:3] = 0.5
    torch.testing.assert_close(splat_sum(image, flow), expected, atol=1e-7, rtol=0)


@pytest.mark.parametrize("flow_x, flow_y, expected_sum", [
    pytest.param(0.25, 0.75, 1.0, id="inside"),
    pytest.param(2.5, 0.0, 0.5, id="half-out-right"),
    pytest.param(-1.5, -1.5, 0.25, id="mostly-out-top-left"),
    pytest.param(50.0, 0.0, 0.0, id="far-out"),
    pytest.param(float("nan"), 0.0, 0.0, id="nan-flow"),
    pytest.param(float("inf"), 0.0, 0.0, id="inf-flow"),
])
def test_what_lands_outside_the_frame_is_dropped(flow_x, flow_y, expected_sum):
    image, flow = _single_pixel(flow_x, flow_y)
    splatted = splat_sum(image, flow)
    assert torch.isfinite(splatted).all()
    assert splatted.sum().item() == pytest.approx(expected_sum, abs=1e-6)


def test_bilinear_weights_of_a_fractional_target():
    image, flow = _single_pixel(0.25, 0.75)
    splatted = splat_sum(image, flow)[0, 0]
    expected = torch.tensor([[0.75 * 0.25, 0.25 * 0.25], [0.75 * 0.75, 0.25 * 0.75]])  # rows 1-2, columns 1-2
    torch.testing.assert_close(splatted[1:3, 1:3], expected, atol=1e-7, rtol=0)


def test_softmax_splat_keeps_values_and_lets_the_larger_metric_win():
    image = torch.tensor([[[[0.2, 0.9, 0.0]]]])
    flow = torch.tensor([[[[1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]]]])  # pixel 0 lands on pixel 1
    metric = torch.tensor([[[[0.0, 5.0, 0.0]]]])
    splatted = softmax_splat(image, flow, metric)[0, 0, 0]
    assert splatted[0].item() == 0.0  # nothing lands there
    expected = (0.2 + 0.9 * torch.e ** 5) / (1 + torch.e ** 5)
    assert splatted[1].item() == pytest.approx(expected, abs=1e-6)
    assert splatted[2].item() == 0.0


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64], ids=str)
def test_other_dtypes_come_back_in_their_dtype(dtype):
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 8, 10, generator=generator)
    flow = torch.randn(2, 2, 8, 10, generator=generator) * 3
    metric = torch.randn(2, 1, 8, 10, generator=generator)
    splatted = softmax_splat(image.to(dtype), flow.to(dtype), metric.to(dtype))
    assert splatted.dtype == dtype
    reference = softmax_splat(image.to(dtype).float(), flow.to(dtype).float(), metric.to(dtype).float())
    torch.testing.assert_close(splatted.float(), reference, atol=1e-2, rtol=0)
