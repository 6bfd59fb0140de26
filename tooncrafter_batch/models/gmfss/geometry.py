"""Backward warping with zeros outside the frame, as GMFlow and GMFSS's MetricNet sample along a flow."""

import torch
import torch.nn.functional as F


def warp_zero_padded(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """`image` sampled at (x + flow[:, 0], y + flow[:, 1]) for every pixel (x, y), zero outside the frame.

    image (n, c, h, w); flow (n, 2, h, w) in pixels. Bilinear, pixel centres at -1..1 (align_corners=True), as
    flow_warp in the reference's gmflow/geometry.py; ..warp.backward_warp is the RIFE one (border padding).
    """
    height, width = flow.shape[-2:]
    xs = torch.linspace(-1.0, 1.0, width, device=flow.device, dtype=flow.dtype)
    ys = torch.linspace(-1.0, 1.0, height, device=flow.device, dtype=flow.dtype).unsqueeze(1)
    grid = torch.stack((xs + flow[:, 0] * (2.0 / (width - 1)), ys + flow[:, 1] * (2.0 / (height - 1))), dim=-1)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)  # grid (n, h, w, 2)
