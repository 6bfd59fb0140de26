"""The image-context resampler of the tiny config with the tiny weights against golden_resampler.safetensors."""

import torch


@torch.no_grad()
def test_resampler_golden(tiny_resampler, golden_resampler):
    output = tiny_resampler(golden_resampler["input_image_tokens"])
    torch.testing.assert_close(output, golden_resampler["output"], atol=1e-4, rtol=1e-4)
