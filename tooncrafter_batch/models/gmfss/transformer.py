"""GMFlow's feature transformer: alternating self- and cross-attention over (shifted) windows, as in Swin.

Features here are channel-last, (n, h, w, c). A frame is cut into num_splits x num_splits windows; odd blocks
shift the windows by half a window (and mask pairs of tokens that the shift brought together from opposite
edges, with -100 as the reference does). Every op but attention acts on single tokens, so each block cuts the
features into windows once and runs both of its layers in that layout.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

# Added to the attention scores of token pairs from different regions of a shifted window (Swin's mask value).
SHIFTED_WINDOW_MASK = -100.0
NUM_BLOCKS = 6
MLP_EXPANSION = 4  # the MLP's hidden width, per channel of its input [source, message]


def window_partition(features: torch.Tensor, num_splits: int) -> torch.Tensor:
    """(n, h, w, c) -> (n, num_splits**2, h/num_splits * w/num_splits, c), windows in row-major order."""
    num, height, width, channels = features.shape
    windows = features.reshape(num, num_splits, height // num_splits, num_splits, width // num_splits, channels)
    return windows.transpose(2, 3).reshape(num, num_splits * num_splits, -1, channels)  # (n, k*k, l, c)


def window_merge(windows: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Inverse of window_partition: (n, k*k, l, c) -> (n, h, w, c)."""
    num, num_windows, _, channels = windows.shape
    num_splits = math.isqrt(num_windows)
    windows = windows.view(num, num_splits, num_splits, height // num_splits, width // num_splits, channels)
    # (n, k, k, wh, ww, c) -> (n, k, wh, k, ww, c)
    return windows.transpose(2, 3).reshape(num, height, width, channels)  # (n, h, w, c)


def window_position_encoding(height: int, width: int, channels: int, device: torch.device,
                             dtype: torch.dtype) -> torch.Tensor:
    """Sine position encoding of one window (DETR's PositionEmbeddingSine, normalised): (height, width, channels).

    The first half of the channels encodes the row, the second the column; within each half, channel pairs
    (2i, 2i + 1) hold sin and cos of position / 10000**(2i / half), with positions 1..size scaled to (0, 2 pi].
    """
    half = channels // 2
    frequencies = 10000.0 ** (2 * (torch.arange(half, device=device) // 2) / half)  # (half,)
    is_sine = torch.arange(half, device=device) % 2 == 0

    def encode(size: int) -> torch.Tensor:
        positions = torch.arange(1, size + 1, device=device, dtype=torch.float32) / (size + 1e-6) * 2 * math.pi
        angles = positions.unsqueeze(1) / frequencies  # (size, half)
        return torch.where(is_sine, angles.sin(), angles.cos())

    rows = encode(height).unsqueeze(1).expand(height, width, half)
    columns = encode(width).unsqueeze(0).expand(height, width, half)
    return torch.cat((rows, columns), dim=-1).to(dtype)  # (h, w, c)


def add_window_position(features: torch.Tensor, num_splits: int) -> torch.Tensor:
    """Add the position encoding of a window to every window of features (n, h, w, c)."""
    num, height, width, channels = features.shape
    window_height, window_width = height // num_splits, width // num_splits
    encoding = window_position_encoding(window_height, window_width, channels, features.device, features.dtype)
    windows = features.view(num, num_splits, window_height, num_splits, window_width, channels)  # (n, k, wh, k, ww, c)
    return (windows + encoding.unsqueeze(1)).reshape(num, height, width, channels)  # encoding (wh, 1, ww, c)


def shifted_window_mask(height: int, width: int, num_splits: int, device: torch.device,
                        dtype: torch.dtype) -> torch.Tensor:
    """Attention mask of the shifted windows, (k*k, l, l): 0 within a region, -100 across regions.

    After rolling by half a window, the last row and column of windows hold tokens from up to three regions
    each way (as generate_shift_window_attn_mask in the reference).
    """
    def regions(size: int) -> torch.Tensor:
        window = size // num_splits
        coordinates = torch.arange(size, device=device)
        return (coordinates >= size - window).long() + (coordinates >= size - window // 2).long()

    labels = regions(height).unsqueeze(1) * 3 + regions(width)  # (h, w)
    labels = window_partition(labels.view(1, height, width, 1), num_splits).view(num_splits ** 2, -1)  # (k*k, l)
    is_same_region = labels.unsqueeze(2) == labels.unsqueeze(1)  # (k*k, l, l)
    return torch.zeros(is_same_region.shape, device=device, dtype=dtype).masked_fill_(~is_same_region,
                                                                                        SHIFTED_WINDOW_MASK)


class TransformerLayer(nn.Module):
    """Single-head attention from source to target tokens, then (cross layers) an MLP on [source, message]."""

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self, channels: int, has_mlp: bool):
        super().__init__()
        self.q_proj = nn.Linear(channels, channels, bias=False)
        self.k_proj = nn.Linear(channels, channels, bias=False)
        self.v_proj = nn.Linear(channels, channels, bias=False)
        self.merge = nn.Linear(channels, channels, bias=False)
        self.norm1 = nn.LayerNorm(channels)
        self.has_mlp = has_mlp
        if has_mlp:
            hidden = 2 * channels * MLP_EXPANSION
            self.mlp = nn.Sequential(nn.Linear(2 * channels, hidden, bias=False), nn.GELU(),
                                     nn.Linear(hidden, channels, bias=False))
            self.norm2 = nn.LayerNorm(channels)

    def forward(self, source: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """source, target (n, windows, l, c) -> source updated; scores scaled by 1/sqrt(c)."""
        message = F.scaled_dot_product_attention(self.q_proj(source), self.k_proj(target), self.v_proj(target),
                                                 attn_mask=mask)
        message = self.norm1(self.merge(message))
        if self.has_mlp:
            message = self.norm2(self.mlp(torch.cat((source, message), dim=-1)))
        return source + message


class TransformerBlock(nn.Module):
    """Self-attention, then cross-attention with the MLP, both within the same (maybe shifted) windows."""

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self, channels: int, is_shifted: bool):
        super().__init__()
        self.self_attn = TransformerLayer(channels, has_mlp=False)
        self.cross_attn_ffn = TransformerLayer(channels, has_mlp=True)
        self.is_shifted = is_shifted

    def forward(self, source: torch.Tensor, target: torch.Tensor, num_splits: int,
                mask: torch.Tensor | None) -> torch.Tensor:
        """source, target (n, h, w, c) -> source updated."""
        height, width = source.shape[1:3]
        shift = (-(height // num_splits // 2), -(width // num_splits // 2))
        is_shifted = self.is_shifted and num_splits > 1
        if is_shifted:
            source, target = source.roll(shift, dims=(1, 2)), target.roll(shift, dims=(1, 2))
        source_windows = window_partition(source, num_splits)
        target_windows = window_partition(target, num_splits)
        window_mask = mask if is_shifted else None
        source_windows = self.self_attn(source_windows, source_windows, window_mask)
        source_windows = self.cross_attn_ffn(source_windows, target_windows, window_mask)
        source = window_merge(source_windows, height, width)
        return source.roll((-shift[0], -shift[1]), dims=(1, 2)) if is_shifted else source


class FeatureTransformer(nn.Module):
    """Six blocks that update the features of two frames by attending to themselves and to each other."""

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self, channels: int):
        super().__init__()
        self.layers = nn.ModuleList(TransformerBlock(channels, is_shifted=index % 2 == 1)
                                    for index in range(NUM_BLOCKS))

    def forward(self, features0: torch.Tensor, features1: torch.Tensor,
                num_splits: int) -> tuple[torch.Tensor, torch.Tensor]:
        """features0, features1 (n, h, w, c) with h, w multiples of num_splits -> both updated."""
        num, height, width, _ = features0.shape
        mask = shifted_window_mask(height, width, num_splits, features0.device, features0.dtype)
        sources = torch.cat((features0, features1))  # (2n, h, w, c): both frames update at once
        for layer in self.layers:
            targets = torch.cat((sources[num:], sources[:num]))  # each frame attends to the other
            sources = layer(sources, targets, num_splits, mask)
        return sources[:num], sources[num:]
