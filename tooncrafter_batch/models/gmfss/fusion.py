"""GMFSS's fusion network: a GridNet (Niklaus & Liu, CtxSyn) over three scales that turns the splatted frames
and feature pyramids into the output frame, at twice the size it works at.

Rows are scales (64, 128, 192 channels at 1/1, 1/2, 1/4 of the input frames); columns 0-1 go down the scales
(with residual blocks along each row), columns 4-5 come back up. The "union" variant takes RIFE's frame
between the two splatted ones (9 input channels); "base" takes both input frames around them (12).
"""

import torch
from torch import nn

from .blocks import conv_block, upsample_block

ROW_CHANNELS = (64, 128, 192)
INPUT_CHANNELS = {"union": 9, "base": 12}
# the head of the frame input is named differently in the two checkpoints
HEAD_NAMES = {"union": "residual_model_head0", "base": "residual_model_head"}


class PixelShuffleTail(nn.Module):
    """Conv, PReLU, conv to 4x channels, pixel shuffle (doubles the size), conv to RGB."""

    # attribute names are the checkpoint contract (keys of fusionnet_*.pkl in learned/layouts.json)
    def __init__(self, channels: int):
        super().__init__()
        self.conv_before_upsample = nn.Sequential(nn.Conv2d(channels, channels, 3, 1, 1), nn.PReLU())
        self.upsample = nn.Sequential(nn.Conv2d(channels, 4 * channels, 3, 1, 1), nn.PixelShuffle(2))
        self.conv_last = nn.Conv2d(channels, 3, 3, 1, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.conv_last(self.upsample(self.conv_before_upsample(features)))


class GridNet(nn.Module):
    """Fusion of the splatted frames and the splatted features of both frames into the output frame."""

    # attribute names are the checkpoint contract (keys of fusionnet_*.pkl in learned/layouts.json), registered
    # in the checkpoints' order; "_0x" = row 0 (full size), column x
    def __init__(self, variant: str):
        super().__init__()
        self.head_name = HEAD_NAMES[variant]
        setattr(self, self.head_name, conv_block(INPUT_CHANNELS[variant], ROW_CHANNELS[0]))
        self.residual_model_head1 = conv_block(2 * ROW_CHANNELS[0], ROW_CHANNELS[0])
        self.residual_model_head2 = conv_block(2 * ROW_CHANNELS[1], ROW_CHANNELS[1])
        self.residual_model_head3 = conv_block(2 * ROW_CHANNELS[2], ROW_CHANNELS[2])
        for column in ("01", "04", "05"):
            setattr(self, f"residual_model_{column}", conv_block(ROW_CHANNELS[0], ROW_CHANNELS[0]))
        self.residual_model_tail = PixelShuffleTail(ROW_CHANNELS[0])
        for row in (1, 2):
            for column in (1, 4, 5):
                channels = ROW_CHANNELS[row]
                setattr(self, f"residual_model_{row}{column}", conv_block(channels, channels))
        for name in ("downsample_model_10", "downsample_model_20", "downsample_model_11", "downsample_model_21"):
            row = int(name[-2])
            setattr(self, name, conv_block(ROW_CHANNELS[row - 1], ROW_CHANNELS[row], stride=2))
        for name in ("upsample_model_04", "upsample_model_14", "upsample_model_05", "upsample_model_15"):
            row = int(name[-2])
            setattr(self, name, upsample_block(ROW_CHANNELS[row + 1], ROW_CHANNELS[row]))

    def forward(self, frames: torch.Tensor, features_half: torch.Tensor, features_quarter: torch.Tensor,
                features_eighth: torch.Tensor) -> torch.Tensor:
        """frames (n, 9|12, h, w); features of both frames (n, 128, h, w), (n, 256, h/2, w/2), (n, 384, h/4, w/4)
        (sizes relative to these inputs, which are half the output's) -> (n, 3, 2h, 2w).
        """
        head = getattr(self, self.head_name)
        row0 = head(frames) + self.residual_model_head1(features_half)
        row1 = self.downsample_model_10(row0) + self.residual_model_head2(features_quarter)
        row2 = self.downsample_model_20(row1) + self.residual_model_head3(features_eighth)
        row0 = self.residual_model_01(row0) + row0
        row1 = self.residual_model_11(row1) + row1 + self.downsample_model_11(row0)
        row2 = self.residual_model_21(row2) + row2 + self.downsample_model_21(row1)
        row2 = self.residual_model_24(row2) + row2
        row1 = self.upsample_model_14(row2) + self.residual_model_14(row1) + row1
        row0 = self.upsample_model_04(row1) + self.residual_model_04(row0) + row0
        row2 = self.residual_model_25(row2) + row2
        row1 = self.upsample_model_15(row2) + self.residual_model_15(row1) + row1
        row0 = self.upsample_model_05(row1) + self.residual_model_05(row0) + row0
        return self.residual_model_tail(row0)
