"""How hard a keyframe pair is to in-between, from what the `flow` backend computes anyway (issue 15, item 1).

Pure numbers of a pair's frames and its flow both ways, all at flow resolution (the keyframes shrunk to the flow's
width), so the cost is the flow itself plus a few array passes:

- `motion`: the 95th percentile of the forward flow's length, as a share of the frame's diagonal;
- `occluded`: the share of pixels whose forward/backward round trip misses by more than `OCCLUSION_PIXELS` (regions
  one keyframe does not show);
- `residual`: what the flow cannot explain: the mean absolute luma difference between keyframe 0 and keyframe 1
  warped back along the forward flow, over the pixels both keyframes show (0..255);
- `line_miss`: the share of keyframe 0's dark line pixels that keyframe 1, warped back, does not show as lines
  (misplaced or changed strokes: line doubling in an in-between);
- `change`: the mean absolute luma difference of the keyframes themselves (0..255), before any motion.

`score` combines them into one number that grows with the expected in-between error; docs/BENCHMARKS.md measures
how well each ranks the real clips' pairs by the error of flow, rife and gmfss.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

OCCLUSION_PIXELS = 2.0  # round-trip miss (flow-resolution px) beyond which a point counts as hidden
LINE_LEVEL = 0.35  # luma below this share of the frame's median is a line pixel (ink is darker than paint)
LINE_TOLERANCE = 1  # px at flow resolution: a warped line this close still counts as in place
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@dataclass(frozen=True)
class PairDifficulty:
    """The measures of one pair (see the module docstring) and the combined `score`."""

    motion: float
    occluded: float
    residual: float
    line_miss: float
    change: float

    @property
    def score(self) -> float:
        """Expected error, growing with each measure: the unexplained residual, raised where lines go missing or
        points are hidden (both make ghosts that the residual averages away)."""
        return self.residual * (1.0 + 2.0 * self.line_miss + 2.0 * self.occluded) + 10.0 * self.motion

    def as_dict(self) -> dict[str, float]:
        return {"motion": self.motion, "occluded": self.occluded, "residual": self.residual,
                "line_miss": self.line_miss, "change": self.change, "score": self.score}


def measure_difficulty(start: np.ndarray, end: np.ndarray, forward: np.ndarray,
                       round_trip_miss: np.ndarray) -> PairDifficulty:
    """The difficulty of a pair from its keyframes `start`, `end` (RGB uint8, at flow resolution), the `forward`
    flow start -> end (h, w, 2, flow-resolution px) and each start pixel's forward/backward round-trip miss (h, w)."""
    height, width = start.shape[:2]
    luma_start, luma_end = _luma(start), _luma(end)
    coordinates = _grid(height, width) + forward
    end_at_start = cv2.remap(luma_end, coordinates, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    visible = round_trip_miss <= OCCLUSION_PIXELS
    residual = np.abs(luma_start - end_at_start)
    length = cv2.magnitude(forward[..., 0], forward[..., 1])
    return PairDifficulty(
        motion=float(np.percentile(length, 95)) / float(np.hypot(height, width)),
        occluded=float(1.0 - visible.mean()),
        residual=float(residual[visible].mean()) if visible.any() else float(residual.mean()),
        line_miss=_line_miss(luma_start, end_at_start),
        change=float(np.abs(luma_start - luma_end).mean()),
    )


def _luma(image: np.ndarray) -> np.ndarray:
    return cv2.transform(image.astype(np.float32), _LUMA[None])  # (h, w, 3) -> (h, w)


def _grid(height: int, width: int) -> np.ndarray:
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return np.dstack([grid_x, grid_y])


def _line_miss(luma_start: np.ndarray, warped_end: np.ndarray) -> float:
    """Share of start's line pixels with no line of the warped end within LINE_TOLERANCE."""
    level = LINE_LEVEL * float(np.median(luma_start))
    lines_start = luma_start < level
    if not lines_start.any():
        return 0.0
    size = 2 * LINE_TOLERANCE + 1
    near_end_line = cv2.dilate((warped_end < level).astype(np.uint8), np.ones((size, size), np.uint8)) > 0
    return float((lines_start & ~near_end_line).sum() / lines_start.sum())
