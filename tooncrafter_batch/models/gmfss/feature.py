"""GMFSS's FeatureNet: the three-level feature pyramid of a frame that is splatted along with it."""

import torch
from torch import nn

from .blocks import conv_block

# channels of the pyramid levels at 1/2, 1/4 and 1/8 of the frame size
LEVEL_CHANNELS = (64, 128, 192)


class FeatureNet(nn.Module):
    """Features of a frame at 1/2, 1/4 and 1/8 of its size (64, 128 and 192 channels)."""

    # attribute names are the checkpoint contract (keys of feat_*.pkl in learned/layouts.json)
    def __init__(self):
        super().__init__()
        self.block1 = conv_block(3, LEVEL_CHANNELS[0], stride=2)
        self.block2 = conv_block(LEVEL_CHANNELS[0], LEVEL_CHANNELS[1], stride=2)
        self.block3 = conv_block(LEVEL_CHANNELS[1], LEVEL_CHANNELS[2], stride=2)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """image (n, 3, h, w) in [0, 1] -> (n, 64, h/2, w/2), (n, 128, h/4, w/4), (n, 192, h/8, w/8)."""
        half = self.block1(image)
        quarter = self.block2(half)
        return half, quarter, self.block3(quarter)
