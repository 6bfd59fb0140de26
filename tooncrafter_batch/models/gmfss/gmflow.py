"""GMFlow (Xu et al., "GMFlow: Learning Optical Flow via Global Matching", CVPR 2022), as GMFSS uses it.

Two scales: global matching (softmax over every position) at 1/8 of the input, then local matching within
+-4 pixels at 1/4 after warping by the first flow; each followed by propagating the flow with self-attention
on the features, and finally convex upsampling to the input size. Both directions come from one call: the
encoder and the coarse transformer serve both, and the fine scale runs the two directions as one batch.
"""

import torch
import torch.nn.functional as F
from torch import nn

from .backbone import CNNEncoder
from .geometry import warp_zero_padded
from .transformer import FeatureTransformer, add_window_position

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Per scale (1/8, then 1/4 of the input): attention windows per side, matching and propagation radius.
ATTENTION_SPLITS = (2, 8)
MATCHING_RADIUS = 4
PROPAGATION_RADIUS = 1
UPSAMPLE_FACTOR = 4  # from the 1/4 scale back to the input
FEATURE_CHANNELS = 128


def pixel_grid(height: int, width: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(h*w, 2) pixel coordinates (x, y), row-major."""
    ys, xs = torch.meshgrid(torch.arange(height, device=device, dtype=dtype),
                            torch.arange(width, device=device, dtype=dtype), indexing="ij")
    return torch.stack((xs, ys), dim=-1).view(height * width, 2)  # (h*w, 2)


def global_matching(features0: torch.Tensor, features1: torch.Tensor) -> torch.Tensor:
    """Flows 0->1 and 1->0 (2n, 2, h, w) from a softmax over all positions; features (n, h, w, c).

    The expected position of a pixel's match under softmax(correlation / sqrt(c)), minus its own position.
    """
    num, height, width, channels = features0.shape
    tokens0 = features0.reshape(num, height * width, channels)  # (n, l, c)
    tokens1 = features1.reshape(num, height * width, channels)
    correlation = tokens0 @ tokens1.mT  # (n, l, l): row = pixel of frame 0, column = pixel of frame 1
    correlation = torch.cat((correlation, correlation.mT)) / channels ** 0.5  # (2n, l, l): 0->1, then 1->0
    grid = pixel_grid(height, width, features0.device, features0.dtype)
    flow = torch.softmax(correlation, dim=-1) @ grid - grid  # (2n, l, 2)
    return flow.mT.reshape(2 * num, 2, height, width)  # (2n, 2, h, w)


def _window_offsets(radius: int) -> list[tuple[int, int]]:
    """(dx, dy) of a (2r + 1)^2 window, row-major."""
    return [(dx, dy) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]


def _window_scores(query: torch.Tensor, keys: torch.Tensor, radius: int) -> torch.Tensor:
    """Dot products of each query with the keys around it, zero outside the frame: (n, (2r+1)^2, h, w).

    query, keys (n, h, w, c). One product per offset: no (2r+1)^2-fold copy of the keys.
    """
    height, width, channels = query.shape[1:]
    padded = F.pad(keys, (0, 0, radius, radius, radius, radius))  # (n, h + 2r, w + 2r, c)
    scores = [torch.linalg.vecdot(query, padded[:, radius + dy:radius + dy + height, radius + dx:radius + dx + width])
              for dx, dy in _window_offsets(radius)]
    return torch.stack(scores, dim=1) / channels ** 0.5


def local_matching(features0: torch.Tensor, features1: torch.Tensor, radius: int) -> torch.Tensor:
    """Flow residual (n, 2, h, w) from a softmax over matches within +-radius; features (n, h, w, c).

    Window positions outside the frame are excluded from the softmax (as local_correlation_softmax).
    """
    height, width = features0.shape[1:3]
    scores = _window_scores(features0, features1, radius)
    offsets = torch.tensor(_window_offsets(radius), device=scores.device)  # (k, 2)
    dx, dy = offsets[:, 0].view(-1, 1, 1), offsets[:, 1].view(-1, 1, 1)  # (k, 1, 1)
    ys = torch.arange(height, device=scores.device).view(1, height, 1)
    xs = torch.arange(width, device=scores.device).view(1, 1, width)
    is_inside = (xs + dx >= 0) & (xs + dx < width) & (ys + dy >= 0) & (ys + dy < height)  # (k, h, w)
    scores = scores.masked_fill(~is_inside, torch.finfo(scores.dtype).min)
    return torch.einsum("nkhw,kc->nchw", torch.softmax(scores, dim=1), offsets.to(scores.dtype))


class FeatureFlowAttention(nn.Module):
    """Flow propagation: each pixel's flow becomes an attention-weighted mean of flows of similar pixels."""

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self, channels: int):
        super().__init__()
        self.q_proj = nn.Linear(channels, channels)
        self.k_proj = nn.Linear(channels, channels)

    def propagate_global(self, features: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """Attention over the whole frame; features (n, h, w, c), flow (n, 2, h, w) -> (n, 2, h, w)."""
        num, height, width, channels = features.shape
        query = self.q_proj(features.reshape(num, height * width, channels))  # (n, l, c)
        # keys project the projected queries, not the features: a quirk of the trained model, kept
        key = self.k_proj(query)
        values = flow.flatten(2).mT  # (n, l, 2)
        propagated = F.scaled_dot_product_attention(query, key, values)  # (n, l, 2)
        return propagated.mT.reshape(num, 2, height, width)  # (n, 2, h, w)

    def propagate_local(self, features: torch.Tensor, flow: torch.Tensor, radius: int) -> torch.Tensor:
        """Attention within +-radius, zero-padded keys and flows; shapes as propagate_global."""
        height, width = features.shape[1:3]
        weights = torch.softmax(_window_scores(self.q_proj(features), self.k_proj(features), radius), dim=1)
        padded = F.pad(flow, (radius, radius, radius, radius))  # (n, 2, h + 2r, w + 2r)
        windows = torch.stack([padded[:, :, radius + dy:radius + dy + height, radius + dx:radius + dx + width]
                               for dx, dy in _window_offsets(radius)], dim=2)  # (n, 2, k, h, w)
        return (weights.unsqueeze(1) * windows).sum(2)


class GMFlow(nn.Module):
    """Optical flow between two images, both ways, in pixels at the input size.

    Input sizes must be multiples of 32 (8 windows per side at 1/4 scale).
    """

    # attribute names are the checkpoint contract (keys of flownet.pkl in learned/layouts.json)
    def __init__(self):
        super().__init__()
        self.backbone = CNNEncoder(FEATURE_CHANNELS)
        self.transformer = FeatureTransformer(FEATURE_CHANNELS)
        self.feature_flow_attn = FeatureFlowAttention(FEATURE_CHANNELS)
        self.upsampler = nn.Sequential(nn.Conv2d(2 + FEATURE_CHANNELS, 256, 3, 1, 1), nn.ReLU(inplace=True),
                                       nn.Conv2d(256, UPSAMPLE_FACTOR ** 2 * 9, 1))

    def forward(self, image0: torch.Tensor, image1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """image0, image1 (n, 3, h, w) in [0, 1] -> flow 0->1 and flow 1->0, each (n, 2, h, w)."""
        num = image0.shape[0]
        images = torch.cat((image0, image1))  # (2n, 3, h, w)
        mean, std = (images.new_tensor(values).view(1, 3, 1, 1) for values in (IMAGENET_MEAN, IMAGENET_STD))
        images = (images - mean) / std
        coarse, fine = (features.permute(0, 2, 3, 1) for features in self.backbone(images))  # (2n, h, w, c)
        flow = self._coarse_flow(coarse[:num], coarse[num:])
        flow = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=True) * 2
        flow, features = self._fine_flow(fine[:num], fine[num:], flow)
        flow = self._upsample(flow, features)
        return flow[:num], flow[num:]

    def _coarse_flow(self, features0: torch.Tensor, features1: torch.Tensor) -> torch.Tensor:
        """Flows 0->1 and 1->0 (2n, 2, h, w) at 1/8 scale; features (n, h, w, c)."""
        splits = ATTENTION_SPLITS[0]
        features0, features1 = add_window_position(features0, splits), add_window_position(features1, splits)
        features0, features1 = self.transformer(features0, features1, splits)
        flow = global_matching(features0, features1)
        return self.feature_flow_attn.propagate_global(torch.cat((features0, features1)), flow)

    def _fine_flow(self, features0: torch.Tensor, features1: torch.Tensor,
                   flow: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Refined flows (2n, 2, h, w) at 1/4 scale and the features that upsample them; features (n, h, w, c)."""
        splits = ATTENTION_SPLITS[1]
        sources = torch.cat((features0, features1))  # (2n, h, w, c): direction 0->1, then 1->0
        targets = torch.cat((features1, features0)).permute(0, 3, 1, 2)  # (2n, c, h, w)
        targets = warp_zero_padded(targets, flow).permute(0, 2, 3, 1)  # (2n, h, w, c)
        sources, targets = add_window_position(sources, splits), add_window_position(targets, splits)
        sources, targets = self.transformer(sources, targets, splits)
        flow = flow + local_matching(sources, targets, MATCHING_RADIUS)
        return self.feature_flow_attn.propagate_local(sources, flow, PROPAGATION_RADIUS), sources

    def _upsample(self, flow: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """Convex upsampling: each fine pixel a softmax-weighted mix of the 3x3 coarse flows around it.

        flow (n, 2, h, w), features (n, h, w, c) -> (n, 2, 4h, 4w).
        """
        num, _, height, width = flow.shape
        factor = UPSAMPLE_FACTOR
        weights = self.upsampler(torch.cat((flow, features.permute(0, 3, 1, 2)), dim=1))
        weights = torch.softmax(weights.view(num, 1, 9, factor, factor, height, width), dim=2)  # over 3x3
        neighbours = F.unfold(flow * factor, 3, padding=1).view(num, 2, 9, 1, 1, height, width)  # (n, 2, 9, ...)
        upsampled = (weights * neighbours).sum(2)  # (n, 2, f, f, h, w)
        upsampled = upsampled.permute(0, 1, 4, 2, 5, 3)  # (n, 2, h, f, w, f)
        return upsampled.reshape(num, 2, height * factor, width * factor)  # (n, 2, f*h, f*w)
