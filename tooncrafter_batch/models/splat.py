"""Forward warping by splatting (Niklaus & Liu, "Softmax Splatting for Video Frame Interpolation", CVPR 2020).

Pure torch (CPU and CUDA): the reference does this with a CUDA kernel of atomic adds; here each of the four
bilinear corners is one `scatter_add_` over flattened pixel indices. Any float dtype goes in; the sums are
computed in float32 and the result comes back in the input's dtype.
"""

import torch
from torch import Tensor

# Added to the splatted weights before dividing, as softsplat(..., strMode='soft') in the reference.
NORMALIZE_EPSILON = 1e-7

# (dx, dy) of the four integer neighbours of a target point, from its top-left one.
_CORNERS = ((0, 0), (1, 0), (0, 1), (1, 1))


def _splat_flat(values: Tensor, flow: Tensor) -> Tensor:
    """Sum-splat float32 values (n, c, h, w) along flow (n, 2, h, w); returns (n, c, h*w + 1).

    The last column collects what lands outside the frame (or comes from a non-finite flow); callers
    drop it, so no corner needs masking of its value.
    """
    num, channels, height, width = values.shape
    num_pixels = height * width
    device = values.device
    columns = torch.arange(width, device=device, dtype=torch.float32)
    rows = torch.arange(height, device=device, dtype=torch.float32).unsqueeze(1)
    target_x = (flow[:, 0] + columns).reshape(num, 1, num_pixels)  # (n, 1, h*w)
    target_y = (flow[:, 1] + rows).reshape(num, 1, num_pixels)
    is_dropped = ~(torch.isfinite(target_x) & torch.isfinite(target_y))
    # Far-away targets are clamped to where all four corners are still outside, so the int cast is safe.
    target_x = target_x.masked_fill(is_dropped, -2.0).clamp_(-2.0, width)
    target_y = target_y.masked_fill(is_dropped, -2.0).clamp_(-2.0, height)
    left, top = target_x.floor(), target_y.floor()
    right_weight, bottom_weight = target_x - left, target_y - top
    left, top = left.long(), top.long()

    sums = values.new_zeros(num, channels, num_pixels + 1)
    flat_values = values.reshape(num, channels, num_pixels)  # (n, c, h*w)
    for dx, dy in _CORNERS:
        corner_x, corner_y = left + dx, top + dy
        weight = (right_weight if dx else 1.0 - right_weight) * (bottom_weight if dy else 1.0 - bottom_weight)
        is_inside = (corner_x >= 0) & (corner_x < width) & (corner_y >= 0) & (corner_y < height)
        index = torch.where(is_inside, corner_y * width + corner_x, num_pixels)  # (n, 1, h*w)
        sums.scatter_add_(2, index.expand(num, channels, num_pixels), flat_values * weight)
    return sums


def splat_sum(input: Tensor, flow: Tensor) -> Tensor:
    """Forward bilinear sum splatting: every pixel p adds its value to the 4 neighbours of p + flow(p).

    input (n, c, h, w); flow (n, 2, h, w) in pixels, x first. Contributions outside the frame and from
    non-finite flows are dropped. Returns (n, c, h, w) in input's dtype.
    """
    num, channels, height, width = input.shape
    sums = _splat_flat(input.float(), flow.float())
    return sums[..., : height * width].unflatten(-1, (height, width)).to(input.dtype)  # (n, c, h, w)


def softmax_splat(input: Tensor, flow: Tensor, metric: Tensor) -> Tensor:
    """Softmax splatting: splat [input * exp(metric), exp(metric)] and divide by the second part.

    input (n, c, h, w); flow (n, 2, h, w) in pixels, x first; metric (n, 1, h, w), the importance Z of
    the paper (larger wins where pixels collide). Returns (n, c, h, w) in input's dtype; pixels nothing
    lands on are 0.
    """
    num, channels, height, width = input.shape
    weights = metric.float().exp()
    weighted = torch.cat((input.float() * weights, weights), dim=1)  # (n, c + 1, h, w)
    sums = _splat_flat(weighted, flow.float())[..., : height * width]  # (n, c + 1, h*w)
    normalized = sums[:, :channels] / (sums[:, channels:] + NORMALIZE_EPSILON)
    return normalized.unflatten(-1, (height, width)).to(input.dtype)  # (n, c, h, w)
