"""Low-rank adapters (LoRA, Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models", eq. 3) on linears.

An adapted layer computes with W + (alpha / rank) * up @ down instead of W: `down` (rank, in) starts random,
`up` (out, rank) starts at zero, so an adapter changes nothing until it is trained. The adapter is a
`torch.nn.utils.parametrize` parametrization of the layer's `weight`, so the layer's own forward runs unchanged.
While adapters are attached the state dict has the parametrization's keys (`parametrizations.weight.original`,
`.0.down`, `.0.up`); `merged_state_dict` gives the checkpoint's own keys, each adapter folded into its `weight`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn
from torch.nn.utils import parametrize


class LowRankDelta(nn.Module):
    """The parametrization W -> W + scale * up @ down; attribute names `down`, `up` are the adapter file's keys."""

    def __init__(self, out_features: int, in_features: int, rank: int, alpha: float, generator: torch.Generator):
        super().__init__()
        bound = 1.0 / math.sqrt(in_features)  # nn.Linear's default initialisation of a (rank, in) weight
        down = (torch.rand(rank, in_features, generator=generator) * 2.0 - 1.0) * bound
        self.down = nn.Parameter(down)
        self.up = nn.Parameter(torch.zeros(out_features, rank))
        self.scale = alpha / rank

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight + self.scale * (self.up @ self.down).to(weight.dtype)


def add_adapters(layers: Iterable[nn.Linear], rank: int, alpha: float,
                 generator: torch.Generator) -> list[nn.Parameter]:
    """Attaches one adapter to each layer (on the layer's device, in float32); returns the adapters' parameters.

    The draws of every `down` come from `generator` (CPU) in the order the layers are given.
    """
    parameters = []
    for layer in layers:
        weight = layer.weight
        delta = LowRankDelta(weight.shape[0], weight.shape[1], rank, alpha, generator).to(weight.device)
        parametrize.register_parametrization(layer, "weight", delta)
        parameters += [delta.down, delta.up]
    return parameters


def merged_state_dict(module: nn.Module) -> dict[str, torch.Tensor]:
    """`module.state_dict()` with every adapter folded into its layer: `NAME.weight` (W + scale * up @ down, in the
    weight's dtype) in place of the parametrization's keys; the module itself keeps its adapters."""
    state = module.state_dict()
    for name, layer in module.named_modules():
        if parametrize.is_parametrized(layer, "weight"):
            prefix = f"{name}.parametrizations.weight."
            for key in [key for key in state if key.startswith(prefix)]:
                del state[key]
            state[f"{name}.weight"] = layer.weight.detach()
    return state
