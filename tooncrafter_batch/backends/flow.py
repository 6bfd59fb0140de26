"""The `flow` backend: classical bidirectional optical flow, warping and occlusion-aware blending (CPU).

1. Flow (`flow_estimate.py`): OpenCV DIS both ways on the CIE Lab planes of the keyframes shrunk to `flow_width`,
   fused per pixel; computed once per pair and reused for every position t of that pair. Keyframes that show the
   same drawing (compared as `timing.HoldDetector` does) are cross-faded instead: their flow would be noise.
2. Motion at t (`flow_warp.trace_back`): where each output pixel was in either keyframe, by fixed-point inversion of
   each flow; the two estimates merge into one motion per pixel, weighted by forward/backward consistency.
3. Warp both keyframes at full resolution along that motion (bilinear `cv2.remap`, so lines stay sharp) and mix them
   with weights that drop a keyframe where the point it shows is hidden in the other one (it takes each region from
   the keyframe that sees it, instead of blending in what covers it).
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from ..datatypes import Pair
from ..errors import BackendError
from .flow_estimate import PRESETS, PairFlow, estimate_pair_flow
from .flow_warp import resample, to_full_resolution, trace_back, upsample, warp_image
from .holds import cross_fade, is_held_drawing


class FlowInterpolator:
    """Bidirectional DIS optical flow with occlusion-aware blending (CPU, deterministic).

    `flow_width`: the flow is computed on frames at most this wide (then upsampled); `preset`: DIS preset
    (ultrafast, fast, medium); `occlusion_pixels`: forward/backward disagreement, in flow-resolution pixels,
    at which a point counts as hidden in the other keyframe.
    """

    name = "flow"
    needs_gpu = False
    max_batch = 4

    def __init__(self, *, flow_width: int = 320, preset: str = "medium", occlusion_pixels: float = 2.0):
        if flow_width < 16:
            raise BackendError(f"flow backend: flow_width must be at least 16, got {flow_width}")
        if preset not in PRESETS:
            raise BackendError(f"flow backend: unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
        if occlusion_pixels <= 0:
            raise BackendError(f"flow backend: occlusion_pixels must be positive, got {occlusion_pixels}")
        self.flow_width = flow_width
        self.preset = preset
        self.occlusion_pixels = occlusion_pixels

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]:
        return [self.interpolate_pair(pair, positions) for pair, positions in zip(pairs, times, strict=True)]

    def interpolate_pair(self, pair: Pair, positions: Sequence[float]) -> list[np.ndarray]:
        """The frames at `positions` between the two keyframes of `pair`."""
        if is_held_drawing(pair):
            return [cross_fade(pair, position) for position in positions]
        flow = self.estimate_flow(pair)
        return [self.synthesize(pair, flow, position) for position in positions]

    def estimate_flow(self, pair: Pair) -> PairFlow:
        """Flow both ways between the keyframes, at flow resolution."""
        return estimate_pair_flow(self.shrink(pair.start), self.shrink(pair.end), self.preset)

    def synthesize(self, pair: Pair, flow: PairFlow, position: float) -> np.ndarray:
        """One in-between at `position` in (0, 1): warp both keyframes to it and mix them by visibility."""
        to_start = trace_back(flow.forward, position)  # (h, w, 2) flow-resolution offsets into keyframe 0
        to_end = trace_back(flow.backward, 1.0 - position)
        seen_from_start = resample(flow.forward_with_error, to_start)  # (h, w, 3): motion x, y, disagreement
        seen_from_end = resample(flow.backward_with_error, to_end)
        hidden_in_end = _soft_step(seen_from_start[..., 2], self.occlusion_pixels)
        hidden_in_start = _soft_step(seen_from_end[..., 2], self.occlusion_pixels)
        motion = _merge_motion(seen_from_start[..., :2], -seen_from_end[..., :2], 1.0 - hidden_in_end,
                               1.0 - hidden_in_start)
        height, width = pair.start.shape[:2]
        full_motion = to_full_resolution(motion, height, width)
        warped_start = warp_image(pair.start, full_motion, -position)
        warped_end = warp_image(pair.end, full_motion, 1.0 - position)
        weight_start = (1.0 - position) * (1.0 - hidden_in_start * (1.0 - hidden_in_end)) + 1e-3
        weight_end = position * (1.0 - hidden_in_end * (1.0 - hidden_in_start)) + 1e-3
        share_end = upsample(weight_end / (weight_start + weight_end), height, width)
        return cv2.blendLinear(warped_start, warped_end, 1.0 - share_end, share_end)

    def shrink(self, image: np.ndarray) -> np.ndarray:
        """`image` at flow resolution (at most `flow_width` wide, area-averaged), or itself when narrower."""
        height, width = image.shape[:2]
        if width <= self.flow_width:
            return image
        size = (self.flow_width, max(8, round(height * self.flow_width / width)))
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def _soft_step(error: np.ndarray, threshold: float) -> np.ndarray:
    """0 below half the threshold, 1 above 1.5x it, linear between: how surely a point is hidden."""
    return np.clip(error / threshold - 0.5, 0.0, 1.0)


def _merge_motion(seen_from_start: np.ndarray, seen_from_end: np.ndarray, trust_start: np.ndarray,
                  trust_end: np.ndarray) -> np.ndarray:
    """One motion (keyframe 0 -> 1) per pixel from the two traced estimates, each weighted by how much it is trusted.

    Warping both keyframes along the same motion keeps their copies of a line on top of each other (no double lines).
    """
    weight_end = trust_end + 1e-3
    share_end = weight_end / (trust_start + 1e-3 + weight_end)
    return seen_from_start + (seen_from_end - seen_from_start) * share_end[..., None]
