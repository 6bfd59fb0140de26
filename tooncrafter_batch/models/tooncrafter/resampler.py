"""The image-context projector (`image_proj_model`): a Perceiver resampler from CLIP image tokens to 16 tokens per frame.

As the reference's `Resampler` (after IP-Adapter / Flamingo): learned latent queries, each layer a cross-attention
from the latents to [image tokens ; latents], then a GELU feed-forward; finally a projection and a LayerNorm.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ...errors import SettingsError
from .attention import attend


@dataclass(frozen=True)
class ResamplerConfig:
    """Sizes of the resampler; defaults are the official 512 model."""

    dim: int = 1024
    depth: int = 4
    dim_head: int = 64
    heads: int = 12
    num_queries: int = 16        # tokens per frame
    embedding_dim: int = 1280    # width of the CLIP image tokens
    output_dim: int = 1024       # the UNet's context_dim
    ff_mult: int = 4
    video_length: int = 16

    def __post_init__(self):
        if min(self.dim, self.depth, self.dim_head, self.heads, self.num_queries, self.video_length) < 1:
            raise SettingsError(f"every resampler size must be positive, got {self}")


class PerceiverAttention(nn.Module):
    """Latents attend to [norm1(x) ; norm2(latents)]. Attribute names are the checkpoint contract."""

    def __init__(self, dim: int, dim_head: int, heads: int):
        super().__init__()
        inner_dim = dim_head * heads
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner_dim, bias=False)
        self.to_kv = nn.Linear(dim, inner_dim * 2, bias=False)
        self.to_out = nn.Linear(inner_dim, dim, bias=False)

    def forward(self, x: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """x (b, n, dim) image features, latents (b, q, dim) -> (b, q, dim) update (residual not added)."""
        x, latents = self.norm1(x), self.norm2(latents)
        keys, values = self.to_kv(torch.cat([x, latents], dim=1)).chunk(2, dim=-1)
        # The reference scales q and k by dim_head^-1/4 each and takes the softmax in float32: the same
        # softmax(q k^T / sqrt(dim_head)) that SDPA computes (with float32 accumulation).
        return self.to_out(attend(self.to_q(latents), keys, values, self.heads))


def _feed_forward(dim: int, mult: int) -> nn.Sequential:
    """LayerNorm -> Linear -> GELU -> Linear, no biases on the linears (keys `.0`, `.1`, `.3`)."""
    return nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim * mult, bias=False), nn.GELU(),
                         nn.Linear(dim * mult, dim, bias=False))


class Resampler(nn.Module):
    """(b, n, embedding_dim) CLIP image tokens -> (b, video_length * num_queries, output_dim), frame-major.

    Attribute names are the checkpoint contract (keys under `image_proj_model.`).
    """

    def __init__(self, config: ResamplerConfig):
        super().__init__()
        num_latents = config.num_queries * config.video_length
        self.latents = nn.Parameter(torch.randn(1, num_latents, config.dim) / config.dim ** 0.5)
        self.proj_in = nn.Linear(config.embedding_dim, config.dim)
        self.proj_out = nn.Linear(config.dim, config.output_dim)
        self.norm_out = nn.LayerNorm(config.output_dim)
        self.layers = nn.ModuleList([
            nn.ModuleList([PerceiverAttention(config.dim, config.dim_head, config.heads),
                           _feed_forward(config.dim, config.ff_mult)])
            for _ in range(config.depth)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        latents = self.latents.expand(x.shape[0], -1, -1)  # (b, q, dim)
        x = self.proj_in(x)
        for attention, feed_forward in self.layers:
            latents = latents + attention(x, latents)
            latents = latents + feed_forward(latents)
        return self.norm_out(self.proj_out(latents))
