"""Low-rank adapters: nothing changes until trained, and the merged weights give the adapted forward."""

import copy

import pytest
import torch
from torch import nn

from tooncrafter_batch.models.tooncrafter.attention import Attention
from tooncrafter_batch.models.tooncrafter.lora import add_adapters, merged_state_dict


def _projections(network: nn.Module) -> list[nn.Linear]:
    return [layer for module in network.modules() if isinstance(module, Attention)
            for layer in module.modules() if isinstance(layer, nn.Linear)]


@pytest.fixture(autouse=True)
def one_thread():  # two threads on a busy 2-core machine are 30x slower for this tiny network
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def inputs(tiny_config):
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(1, 8, 16, 8, 12, generator=generator)
    context = torch.randn(1, 77 + 16 * 16, tiny_config.unet.context_dim, generator=generator)
    return x, torch.tensor([500]), context, torch.tensor([10])


@torch.no_grad()
def test_merged_weights_load_into_a_plain_network_and_give_the_adapted_forward(tiny_unet, inputs):
    unet = copy.deepcopy(tiny_unet)  # the session's network stays as it is
    plain = unet(*inputs)
    parameters = add_adapters(_projections(unet), rank=2, alpha=4.0, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(unet(*inputs), plain, atol=0, rtol=0)  # `up` starts at zero: no change yet
    generator = torch.Generator().manual_seed(2)
    for parameter in parameters:
        parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    adapted = unet(*inputs)
    assert (adapted - plain).abs().max() > 1e-3
    merged = copy.deepcopy(tiny_unet)
    merged.load_state_dict(merged_state_dict(unet), strict=True)
    torch.testing.assert_close(merged(*inputs), adapted, atol=1e-5, rtol=1e-5)
