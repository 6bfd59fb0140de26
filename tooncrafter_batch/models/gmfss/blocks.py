"""The PReLU + conv blocks that GMFSS's FeatureNet and GridNet fusion are built from."""

from torch import nn


def _prelu_conv_pair(first_conv: nn.Module, channels: int) -> nn.Sequential:
    """PReLU, first_conv, PReLU, 3x3 conv at `channels`: the body of every block in the reference.

    Keys 0.weight, 1.*, 2.weight, 3.* are those of the checkpoints (the PReLUs share one slope each).
    """
    return nn.Sequential(nn.PReLU(), first_conv, nn.PReLU(), nn.Conv2d(channels, channels, 3, 1, 1))


def conv_block(in_channels: int, out_channels: int, stride: int = 1) -> nn.Sequential:
    """Two 3x3 convs with PReLUs before them; stride 2 halves the size (ResidualBlock/DownsampleBlock there)."""
    return _prelu_conv_pair(nn.Conv2d(in_channels, out_channels, 3, stride, 1), out_channels)


def upsample_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """A 4x4 stride-2 transposed conv (doubles the size) and a 3x3 conv, PReLUs before each (UpsampleBlock)."""
    return _prelu_conv_pair(nn.ConvTranspose2d(in_channels, out_channels, 4, 2, 1), out_channels)
