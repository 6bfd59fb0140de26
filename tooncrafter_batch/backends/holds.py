"""Keyframes that show the same drawing: found as `planning.timing` finds held drawings, and cross-faded.

Warping along the flow of compression noise only moves the noise about; on held drawings the cross-fade scores
higher, whatever the backend.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..datatypes import Pair
from ..planning.timing import HoldDetector, TimingSettings


def is_held_drawing(pair: Pair) -> bool:
    """Whether both keyframes show the same drawing (differences no larger than compression noise)."""
    holds = HoldDetector(TimingSettings.dedupe_threshold)
    holds.restart(pair.start)
    return holds.is_same_drawing(pair.end)


def cross_fade(pair: Pair, position: float) -> np.ndarray:
    """(1 - position) * start + position * end, rounded to uint8."""
    return cv2.addWeighted(pair.start, 1.0 - position, pair.end, position, 0.0)
