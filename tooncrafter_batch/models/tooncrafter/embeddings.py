"""Sinusoidal embeddings of integer conditions (diffusion timestep, frame stride `fs`) and their MLP."""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_embedding(positions: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """(n,) integers -> (n, dim) float32 vectors [cos(n f_i), sin(n f_i)], f_i = max_period^(-i / (dim / 2)).

    The cosine half comes first, as `timestep_embedding` in the reference (the checkpoint was trained so).
    """
    half = dim // 2
    frequencies = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32,
                                                                 device=positions.device) / half)
    angles = positions.float()[:, None] * frequencies[None]  # (n, half)
    return torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)


def embedding_mlp(channels: int, embed_dim: int) -> nn.Sequential:
    """Linear -> SiLU -> Linear; the layout of `time_embed` and `fps_embedding` (keys `.0.*`, `.2.*`)."""
    return nn.Sequential(nn.Linear(channels, embed_dim), nn.SiLU(), nn.Linear(embed_dim, embed_dim))
