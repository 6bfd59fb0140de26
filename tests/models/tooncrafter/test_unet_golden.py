"""The 3D UNet of the tiny config with the tiny weights against golden_unet.safetensors."""

import pytest
import torch

from tooncrafter_batch.models.tooncrafter.embeddings import sinusoidal_embedding
from tooncrafter_batch.models.tooncrafter.unet import frame_context


@torch.no_grad()
def test_unet_golden(tiny_unet, golden_unet):
    output = tiny_unet(golden_unet["unet_input"], golden_unet["timesteps"], golden_unet["context"],
                       golden_unet["fs"])
    torch.testing.assert_close(output, golden_unet["output"], atol=1e-4, rtol=1e-4)


@torch.no_grad()
def test_unet_default_fs_golden(tiny_unet, golden_unet):
    output = tiny_unet(golden_unet["unet_input"], golden_unet["timesteps"], golden_unet["context"])
    torch.testing.assert_close(output, golden_unet["output_fs_none"], atol=1e-4, rtol=1e-4)


def test_sinusoid_puts_cosine_first():
    embedding = sinusoidal_embedding(torch.tensor([0, 3]), 8)
    assert embedding[0].tolist() == [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert embedding[1, 0] == pytest.approx(torch.cos(torch.tensor(3.0)).item())
    assert embedding[1, 4] == pytest.approx(torch.sin(torch.tensor(3.0)).item())


def test_frame_context_gives_each_frame_its_own_image_tokens():
    text = torch.arange(77.0)[None, :, None].expand(2, 77, 1)
    image = torch.arange(100.0, 100.0 + 16 * 16)[None, :, None].expand(2, 256, 1)
    context = frame_context(torch.cat([text, image], dim=1), num_frames=16)  # (32, 93, 1)
    assert context.shape == (32, 93, 1)
    assert torch.equal(context[17, :77, 0], torch.arange(77.0))
    assert torch.equal(context[17, 77:, 0], torch.arange(116.0, 132.0))  # sample 1, frame 1


def test_frame_context_repeats_other_lengths_whole():
    context = torch.randn(2, 10, 4)
    repeated = frame_context(context, num_frames=3)
    assert repeated.shape == (6, 10, 4) and torch.equal(repeated[4], context[1])
