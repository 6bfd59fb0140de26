"""Two baselines for evaluation: a cross-fade (`blend`) and nearest-frame duplication (`duplicate`)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..datatypes import Pair


class BlendInterpolator:
    """Cross-fade: (1 - t) * start + t * end."""

    name = "blend"
    needs_gpu = False
    max_batch = 8

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]:
        results = []
        for pair, positions in zip(pairs, times, strict=True):
            start = pair.start.astype(np.float32)
            end = pair.end.astype(np.float32)
            results.append([_to_uint8(start + (end - start) * t) for t in positions])
        return results


class DuplicateInterpolator:
    """Nearest keyframe: start for t <= 0.5 (the midpoint shows the earlier frame, as ffmpeg's dup does), else end."""

    name = "duplicate"
    needs_gpu = False
    max_batch = 64

    def interpolate(self, pairs: Sequence[Pair], times: Sequence[Sequence[float]]) -> list[list[np.ndarray]]:
        return [
            [(pair.start if t <= 0.5 else pair.end).copy() for t in positions]
            for pair, positions in zip(pairs, times, strict=True)
        ]


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)
