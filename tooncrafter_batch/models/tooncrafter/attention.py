"""Attention layers of the 3D UNet: spatial transformers (with per-frame image cross-attention) and temporal ones.

All softmax attention goes through `torch.nn.functional.scaled_dot_product_attention` (flash / memory-efficient
kernels on GPU); the math is the reference's softmax(q k^T / sqrt(d)) v.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

TEXT_CONTEXT_LENGTH = 77  # CLIP text tokens at the front of every context; the rest are image tokens


class GroupNorm32(nn.GroupNorm):
    """GroupNorm computed in float32 and returned in the input dtype (stable under bf16/fp16)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.group_norm(x.float(), self.num_groups, self.weight.float(), self.bias.float(),
                            self.eps).to(x.dtype)


def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, heads: int) -> torch.Tensor:
    """Multi-head softmax attention on (n, tokens, heads * d) projections -> (n, query tokens, heads * d)."""
    query, key, value = (rearrange(x, "n l (h d) -> n h l d", h=heads) for x in (query, key, value))
    out = F.scaled_dot_product_attention(query, key, value)  # (n, h, l, d)
    return rearrange(out, "n h l d -> n l (h d)")


class Attention(nn.Module):
    """Self- or cross-attention; with `image_cross_attention`, a second key/value set for the image tokens.

    The context's first 77 tokens (text) go through `to_k`/`to_v`, the remaining ones (image) through
    `to_k_ip`/`to_v_ip`; the two attention results share the query and are summed (weight 1.0) before `to_out`.
    Attribute names are the checkpoint contract (reference `CrossAttention`).
    """

    def __init__(self, query_dim: int, heads: int, dim_head: int, context_dim: int | None = None,
                 image_cross_attention: bool = False):
        super().__init__()
        inner_dim = heads * dim_head
        context_dim = context_dim or query_dim
        self.heads = heads
        self.to_q = nn.Linear(query_dim, inner_dim, bias=False)
        self.to_k = nn.Linear(context_dim, inner_dim, bias=False)
        self.to_v = nn.Linear(context_dim, inner_dim, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner_dim, query_dim))
        self.image_cross_attention = image_cross_attention
        if image_cross_attention:
            self.to_k_ip = nn.Linear(context_dim, inner_dim, bias=False)
            self.to_v_ip = nn.Linear(context_dim, inner_dim, bias=False)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """x (n, l, query_dim), context (n, m, context_dim) or None for self-attention."""
        context = x if context is None else context
        query = self.to_q(x)
        if not self.image_cross_attention:
            return self.to_out(attend(query, self.to_k(context), self.to_v(context), self.heads))
        text, image = context[:, :TEXT_CONTEXT_LENGTH], context[:, TEXT_CONTEXT_LENGTH:]
        out = attend(query, self.to_k(text), self.to_v(text), self.heads)
        out = out + attend(query, self.to_k_ip(image), self.to_v_ip(image), self.heads)
        return self.to_out(out)


class GEGLU(nn.Module):
    """Linear to 2 * dim_out, then first half * GELU(second half) (exact erf GELU)."""

    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden, gate = self.proj(x).chunk(2, dim=-1)
        return hidden * F.gelu(gate)


class FeedForward(nn.Module):
    """GEGLU feed-forward with 4x inner width; keys `net.0.proj`, `net.2` (checkpoint contract)."""

    def __init__(self, dim: int, mult: int = 4):
        super().__init__()
        # net.1 is the reference's dropout (p = 0); an Identity keeps the output layer at index 2.
        self.net = nn.Sequential(GEGLU(dim, dim * mult), nn.Identity(), nn.Linear(dim * mult, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class TransformerBlock(nn.Module):
    """Pre-LayerNorm block: x += attn1(norm1 x); x += attn2(norm2 x, context); x += ff(norm3 x).

    `context_dim=None` makes attn2 a second self-attention (temporal transformers). Attribute names are the
    checkpoint contract (reference `BasicTransformerBlock`).
    """

    def __init__(self, dim: int, heads: int, dim_head: int, context_dim: int | None,
                 image_cross_attention: bool = False):
        super().__init__()
        self.attn1 = Attention(dim, heads, dim_head)
        self.ff = FeedForward(dim)
        self.attn2 = Attention(dim, heads, dim_head, context_dim, image_cross_attention)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), context)
        return x + self.ff(self.norm3(x))


class SpatialTransformer(nn.Module):
    """Per-frame transformer over the h*w tokens with cross-attention to the per-frame context.

    Input (b t, c, h, w); context (b t, 77 + 16, context_dim). Attribute names are the checkpoint contract.
    """

    def __init__(self, channels: int, heads: int, dim_head: int, context_dim: int,
                 image_cross_attention: bool = True):
        super().__init__()
        inner_dim = heads * dim_head
        self.norm = GroupNorm32(32, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, inner_dim)
        self.transformer_blocks = nn.ModuleList([
            TransformerBlock(inner_dim, heads, dim_head, context_dim, image_cross_attention)])
        self.proj_out = nn.Linear(inner_dim, channels)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        height = x.shape[2]
        h = rearrange(self.norm(x), "n c h w -> n (h w) c")
        h = self.proj_in(h)
        for block in self.transformer_blocks:
            h = block(h, context)
        h = self.proj_out(h)
        return x + rearrange(h, "n (h w) c -> n c h w", h=height)


class TemporalTransformer(nn.Module):
    """Self-attention across the frames at every pixel (attn1 and attn2 both self-attention).

    Input (b, c, t, h, w); the GroupNorm statistics span all frames of a sample. `use_linear=False` gives
    Conv1d(k=1) projections, as in `init_attn` of the reference. Attribute names are the checkpoint contract.
    """

    def __init__(self, channels: int, heads: int, dim_head: int, use_linear: bool = True):
        super().__init__()
        inner_dim = heads * dim_head
        self.use_linear = use_linear
        self.norm = GroupNorm32(32, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, inner_dim) if use_linear else nn.Conv1d(channels, inner_dim, 1)
        self.transformer_blocks = nn.ModuleList([TransformerBlock(inner_dim, heads, dim_head, context_dim=None)])
        self.proj_out = nn.Linear(inner_dim, channels) if use_linear else nn.Conv1d(inner_dim, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, _, height, width = x.shape
        h = rearrange(self.norm(x), "b c t h w -> (b h w) t c")
        h = self._project(self.proj_in, h)
        for block in self.transformer_blocks:
            h = block(h)
        h = self._project(self.proj_out, h)
        return x + rearrange(h, "(b h w) t c -> b c t h w", h=height, w=width)

    def _project(self, layer: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
        """(n, t, c) -> (n, t, c') through a Linear, or a Conv1d over the channel axis."""
        if self.use_linear:
            return layer(tokens)
        return layer(tokens.transpose(1, 2)).transpose(1, 2)
