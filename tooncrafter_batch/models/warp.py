"""Backward warping: sample an image where a per-pixel flow points (the warp of RIFE and GMFSS)."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


def backward_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """`image` sampled at (x + flow[:, 0], y + flow[:, 1]) for every output pixel (x, y).

    image (n, c, h, w); flow (n, 2, h, w) in pixels, channel 0 along x (width). Bilinear, borders repeated,
    pixel centres at -1..1 (align_corners=True), as warplayer.warp in the RIFE reference. Half-precision
    inputs are warped in float32 (sampling coordinates need the precision) and returned in their own dtype.
    """
    compute_dtype = torch.promote_types(image.dtype, torch.float32)
    height, width = flow.shape[-2:]
    base_grid, pixel_to_grid = _identity_grid(height, width, flow.device, compute_dtype)
    offsets = flow.to(compute_dtype).permute(0, 2, 3, 1)  # (n, h, w, 2): grid_sample wants x, y last
    grid = torch.addcmul(base_grid, offsets, pixel_to_grid)  # (n, h, w, 2) in -1..1
    warped = F.grid_sample(image.to(compute_dtype), grid, mode="bilinear", padding_mode="border",
                           align_corners=True)
    return warped.to(image.dtype)


@functools.lru_cache(maxsize=32)
def _identity_grid(height: int, width: int, device: torch.device,
                   dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The sampling grid of zero flow, (1, h, w, 2), and the pixel -> grid-unit factors (x, y), per size/device."""
    # Built outside inference mode, so a grid first made under torch.inference_mode also serves autograd calls.
    with torch.inference_mode(False):
        ys = torch.linspace(-1.0, 1.0, height, device=device, dtype=dtype)
        xs = torch.linspace(-1.0, 1.0, width, device=device, dtype=dtype)
        base_grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1).unsqueeze(0)  # (1, h, w, 2)
        pixel_to_grid = torch.tensor([2.0 / max(width - 1, 1), 2.0 / max(height - 1, 1)], device=device,
                                     dtype=dtype)
    return base_grid, pixel_to_grid
