"""RIFE 4.x IFNet, the "IFNet_HDv3" layout of the `rife.pkl` weights: four coarse-to-fine flow blocks.

Each block sees both frames (warped by the flow so far), the timestep, the blend mask and the flow, at 1/8, 1/4,
1/2 and 1/1 of the frame (divided again by `scale`), and adds a residual to the two flows (t -> 0, t -> 1) and the
mask. The frame at t is the mask-weighted blend of both backward-warped frames.
"""

from __future__ import annotations

from typing import Sequence

import einops
import torch
import torch.nn.functional as F
from torch import nn

from ..warp import backward_warp

BLOCK_SCALES = (8, 4, 2, 1)  # how far each block shrinks its input, coarse to fine, at scale 1.0
NUM_RES_CONVS = 8
# channels in, per block: img0, img1, timestep (block0); both warped images, timestep, mask, 4 flow (the rest)
FIRST_BLOCK_INPUTS = 3 + 3 + 1
REFINE_BLOCK_INPUTS = 3 + 3 + 1 + 1 + 4
NEGATIVE_SLOPE = 0.2
USED_OUTPUTS = 4 + 1  # flow and mask: the last conv's 6th output channel is never read


def _strided_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """A 3x3 convolution halving the size, then a leaky ReLU (a Sequential: its index is in the key names)."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1),
                         nn.LeakyReLU(NEGATIVE_SLOPE, inplace=True))


class ResConv(nn.Module):
    """A residual 3x3 convolution with a learned per-channel gain on its branch: relu(conv(x) * beta + x)."""

    # attribute names are the checkpoint contract (keys of rife.pkl in learned/layouts.json)
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.beta = nn.Parameter(torch.ones(1, channels, 1, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu_(torch.addcmul(features, self.conv(features), self.beta), NEGATIVE_SLOPE)


class IFBlock(nn.Module):
    """One flow block: shrink by `scale`, two strided convs, 8 ResConvs, then back up to full size.

    Returns the flow residual (n, 4, h, w) in pixels of the full frame and the mask residual (n, 1, h, w).
    """

    # attribute names are the checkpoint contract (keys of rife.pkl in learned/layouts.json)
    def __init__(self, in_channels: int, channels: int):
        super().__init__()
        self.conv0 = nn.Sequential(_strided_conv(in_channels, channels // 2), _strided_conv(channels // 2, channels))
        self.convblock = nn.Sequential(*(ResConv(channels) for _ in range(NUM_RES_CONVS)))
        # 4x up in all: the transposed conv doubles the size, the shuffle turns 24 channels into 6 at double again
        self.lastconv = nn.Sequential(nn.ConvTranspose2d(channels, 4 * 6, 4, stride=2, padding=1),
                                      nn.PixelShuffle(2))

    def forward(self, images: Sequence[torch.Tensor], flow: torch.Tensor | None, scale: float
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """`images` (n, c, h, w) at full size and the flow so far (n, 4, h, w), None in the first block.

        Each input is shrunk on its own and joined at the block's size: the same numbers as shrinking the joined
        input, without a full-size copy of it. The flow is divided and multiplied by `scale` at that size too (exact:
        the scales are powers of two).
        """
        height, width = images[0].shape[-2:]
        parts = list(images) if flow is None else [*images, flow]
        if scale != 1:
            size = (round(height / scale), round(width / scale))
            parts = [F.interpolate(part, size=size, mode="bilinear") for part in parts]
        if flow is not None:
            parts[-1] = parts[-1] / scale
        output = self._last_conv(self.convblock(self.conv0(torch.cat(parts, 1))))  # (n, 5, h/scale, w/scale)
        output[:, :4] *= scale
        if scale != 1:
            output = F.interpolate(output, size=(height, width), mode="bilinear")
        return output[:, :4], output[:, 4:5]

    def _last_conv(self, features: torch.Tensor) -> torch.Tensor:
        """`lastconv(features)[:, :5]`, contiguous, with the filters of the unused 6th channel left out (a sixth
        less work; the same numbers)."""
        deconv = self.lastconv[0]
        used = 4 * USED_OUTPUTS  # PixelShuffle(2) makes channel c of channels 4c..4c+3
        output = F.conv_transpose2d(features, deconv.weight[:, :used], deconv.bias[:used], stride=2, padding=1)
        return einops.rearrange(output, "n (c i j) h w -> n c (h i) (w j)", i=2, j=2)  # as PixelShuffle(2)


class IFNet(nn.Module):
    """RIFE 4.x: the frame at `timestep` between two frames (inference only, no ensemble).

    img0, img1 (n, 3, h, w) in [0, 1] with h and w multiples of 32 / scale (the caller pads; 64 always works at
    scale 1.0 and 0.5). timestep: a float, or a tensor broadcastable to (n, 1, h, w) such as (n, 1, 1, 1).
    scale: the resolution the flow is estimated at (1.0; 0.5 for 4K frames), as the reference's scale_list.
    Returns the frame (n, 3, h, w).
    """

    # attribute names are the checkpoint contract (keys of rife.pkl in learned/layouts.json)
    def __init__(self):
        super().__init__()
        self.block0 = IFBlock(FIRST_BLOCK_INPUTS, channels=192)
        self.block1 = IFBlock(REFINE_BLOCK_INPUTS, channels=128)
        self.block2 = IFBlock(REFINE_BLOCK_INPUTS, channels=96)
        self.block3 = IFBlock(REFINE_BLOCK_INPUTS, channels=64)

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, timestep: float | torch.Tensor,
                scale: float = 1.0) -> torch.Tensor:
        _check_size(img0, scale)
        timestep = torch.as_tensor(timestep, dtype=img0.dtype, device=img0.device)
        timestep = timestep.expand(img0.shape[0], 1, *img0.shape[-2:])  # (n, 1, h, w), a view
        blocks = (self.block0, self.block1, self.block2, self.block3)
        flow, mask = blocks[0]((img0, img1, timestep), None, BLOCK_SCALES[0] / scale)
        warped0, warped1 = backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:])
        for block, block_scale in zip(blocks[1:], BLOCK_SCALES[1:]):
            flow_residual, mask_residual = block((warped0, warped1, timestep, mask), flow, block_scale / scale)
            flow, mask = flow + flow_residual, mask + mask_residual
            warped0, warped1 = backward_warp(img0, flow[:, :2]), backward_warp(img1, flow[:, 2:])
        return torch.lerp(warped1, warped0, torch.sigmoid(mask))  # mask -> weight of img0's side


def _check_size(image: torch.Tensor, scale: float) -> None:
    multiple = 32 / scale  # the coarsest block works at 1/32 / scale of the frame
    height, width = image.shape[-2:]
    if multiple != int(multiple) or height % multiple or width % multiple:
        raise ValueError(f"IFNet needs a frame size that is a multiple of {multiple:g} at scale {scale}, got "
                         f"{width}x{height}; pad the frames first")
