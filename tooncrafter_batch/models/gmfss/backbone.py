"""GMFlow's CNN encoder: instance-normed residual stages to 1/4 of the image, then features at 1/4 and 1/8."""

import torch
import torch.nn.functional as F
from torch import nn

STAGE_CHANNELS = (64, 96, 128)


class ResidualBlock(nn.Module):
    """Two 3x3 convs with instance norm and ReLU, plus a 1x1 conv shortcut where the shape changes."""

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.norm1 = nn.InstanceNorm2d(out_channels)
        self.norm2 = nn.InstanceNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, stride),
                                            nn.InstanceNorm2d(out_channels))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        residual = F.relu(self.norm1(self.conv1(features)))
        residual = F.relu(self.norm2(self.conv2(residual)))
        shortcut = features if self.downsample is None else self.downsample(features)
        return F.relu(shortcut + residual)


class TwoScaleConv(nn.Module):
    """One 3x3 conv weight applied at stride 1 and stride 2 (the reference's MultiScaleTridentConv, 2 branches)."""

    # the attribute name is the checkpoint contract (trident_conv.weight in flownet.pkl)
    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels, channels, 3, 3))
        nn.init.kaiming_uniform_(self.weight, nonlinearity="relu")

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(n, c, h, w) -> (n, c, h, w) and (n, c, h/2, w/2)."""
        full = F.conv2d(features, self.weight, padding=1)
        # a stride-2 conv with padding 1 samples the stride-1 output at even positions
        return full, full[:, :, ::2, ::2]


class CNNEncoder(nn.Module):
    """Features of an image at 1/8 and 1/4 of its size (coarse first), 128 channels each."""

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self, output_channels: int = 128):
        super().__init__()
        self.conv1 = nn.Conv2d(3, STAGE_CHANNELS[0], 7, 2, 3, bias=False)
        self.norm1 = nn.InstanceNorm2d(STAGE_CHANNELS[0])
        self.layer1 = self._stage(STAGE_CHANNELS[0], STAGE_CHANNELS[0], stride=1)
        self.layer2 = self._stage(STAGE_CHANNELS[0], STAGE_CHANNELS[1], stride=2)
        self.layer3 = self._stage(STAGE_CHANNELS[1], STAGE_CHANNELS[2], stride=1)
        self.conv2 = nn.Conv2d(STAGE_CHANNELS[2], output_channels, 1)
        self.trident_conv = TwoScaleConv(output_channels)

    @staticmethod
    def _stage(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
        return nn.Sequential(ResidualBlock(in_channels, out_channels, stride),
                             ResidualBlock(out_channels, out_channels, 1))

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image (n, 3, h, w), ImageNet-normalised -> (n, c, h/8, w/8), (n, c, h/4, w/4)."""
        features = F.relu(self.norm1(self.conv1(image)))
        features = self.layer3(self.layer2(self.layer1(features)))
        quarter, eighth = self.trident_conv(self.conv2(features))
        return eighth, quarter
