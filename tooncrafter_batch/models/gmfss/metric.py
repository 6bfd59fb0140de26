"""GMFSS's MetricNet: the importance Z of softmax splatting, per pixel of each frame (larger wins collisions)."""

import torch
from torch import nn

from .geometry import warp_zero_padded

# UnFlow's forward-backward consistency test: occluded where |f01 + f10(p + f01)| > alpha (|f01| + |f10|) + beta
OCCLUSION_ALPHA = 0.01
OCCLUSION_BETA = 0.5
METRIC_BOUND = 10.0  # the output is bound * tanh(...)
HIDDEN_CHANNELS = 64


def _prelu_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """PReLU then a 3x3 conv (keys 0.weight, 1.*)."""
    return nn.Sequential(nn.PReLU(), nn.Conv2d(in_channels, out_channels, 3, 1, 1))


class MetricNet(nn.Module):
    """Splatting importance of both frames from the images, their flows, warping errors and occlusions."""

    # attribute names are the checkpoint contract (keys of metric_*.pkl in learned/layouts.json)
    def __init__(self):
        super().__init__()
        self.metric_in = nn.Conv2d(14, HIDDEN_CHANNELS, 3, 1, 1)
        self.metric_net1 = _prelu_conv(HIDDEN_CHANNELS, HIDDEN_CHANNELS)
        self.metric_net2 = _prelu_conv(HIDDEN_CHANNELS, HIDDEN_CHANNELS)
        self.metric_net3 = _prelu_conv(HIDDEN_CHANNELS, HIDDEN_CHANNELS)
        self.metric_out = _prelu_conv(HIDDEN_CHANNELS, 2)

    def forward(self, image0: torch.Tensor, image1: torch.Tensor, flow01: torch.Tensor,
                flow10: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images (n, 3, h, w), flows (n, 2, h, w) in pixels -> metric0, metric1 (n, 1, h, w) in (-10, 10)."""
        num, _, height, width = image0.shape
        # one warp gives both frames' photometric error and the other flow for the consistency test
        flows = torch.cat((flow01, flow10))  # (2n, 2, h, w)
        others = torch.cat((torch.cat((image1, flow10), 1), torch.cat((image0, flow01), 1)))  # (2n, 5, h, w)
        warped = warp_zero_padded(others, flows)
        error = (torch.cat((image0, image1)) - warped[:, :3]).abs().mean(1, keepdim=True)  # (2n, 1, h, w)
        flow_size = flows.norm(dim=1, keepdim=True)
        threshold = OCCLUSION_ALPHA * (flow_size + torch.cat((flow_size[num:], flow_size[:num]))) + OCCLUSION_BETA
        is_occluded = ((flows + warped[:, 3:]).norm(dim=1, keepdim=True) > threshold).to(image0.dtype)
        # flows enter in grid units: pixels / ((size - 1) / 2)
        to_grid = flows.new_tensor([2.0 / (width - 1), 2.0 / (height - 1)]).view(1, 2, 1, 1)  # (1, 2, 1, 1)

        def pair(both: torch.Tensor) -> torch.Tensor:  # (2n, c, h, w) -> (n, 2c, h, w), frame 0's first
            return torch.cat((both[:num], both[num:]), 1)

        inputs = torch.cat((image0, image1, -pair(error), pair(flows * to_grid), pair(is_occluded)), 1)
        features = self.metric_in(inputs)  # inputs (n, 14, h, w)
        features = self.metric_net1(features) + features
        features = self.metric_net2(features) + features
        features = self.metric_net3(features) + features
        metric = torch.tanh(self.metric_out(features)) * METRIC_BOUND
        return metric[:, :1], metric[:, 1:]
