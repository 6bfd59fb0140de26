"""Low-rank adapters: nothing changes until trained, merging gives the adapted forward, and the keys come back."""

import pytest
import torch
from torch import nn

from conftest import submodule_state
from tooncrafter_batch.models.tooncrafter.attention import Attention
from tooncrafter_batch.models.tooncrafter.lora import add_adapters, merge_adapters
from tooncrafter_batch.models.tooncrafter.unet import UNet3D


@pytest.fixture
def unet(tiny_config, tiny_state_dict):
    network = UNet3D(tiny_config.unet).eval()
    network.load_state_dict(submodule_state(tiny_state_dict, "model.diffusion_model."), strict=True)
    return network


def _projections(network: nn.Module) -> list[nn.Linear]:
    return [layer for module in network.modules() if isinstance(module, Attention)
            for layer in module.modules() if isinstance(layer, nn.Linear)]


def _inputs(tiny_config):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, 8, 16, 8, 12, generator=generator)
    context = torch.randn(1, 77 + 16 * 16, tiny_config.unet.context_dim, generator=generator)
    return x, torch.tensor([500]), context, torch.tensor([10])


@torch.no_grad()
def test_merged_adapters_give_the_adapted_forward_and_the_plain_keys(unet, tiny_config):
    inputs = _inputs(tiny_config)
    plain = unet(*inputs)
    keys = list(unet.state_dict())
    parameters = add_adapters(_projections(unet), rank=2, alpha=4.0, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(unet(*inputs), plain, atol=0, rtol=0)  # `up` starts at zero: no change yet
    generator = torch.Generator().manual_seed(2)
    for parameter in parameters:
        parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    adapted = unet(*inputs)
    assert (adapted - plain).abs().max() > 1e-3
    assert merge_adapters(unet) == len(parameters) // 2
    assert sorted(unet.state_dict()) == sorted(keys)  # (a merged weight is listed after its bias)
    torch.testing.assert_close(unet(*inputs), adapted, atol=1e-5, rtol=1e-5)
