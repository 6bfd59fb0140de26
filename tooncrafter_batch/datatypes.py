"""Value types passed between pipeline stages (frozen dataclasses).

Conventions:
- Frames are RGB `uint8` arrays of shape (height, width, 3).
- Absolute times are `fractions.Fraction` seconds; positions inside a pair are floats in (0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np


@dataclass(frozen=True, eq=False)
class Frame:
    """One decoded source frame: its index in decode order and its presentation time in seconds."""

    index: int
    time: Fraction
    image: np.ndarray  # (h, w, 3) uint8 RGB


@dataclass(frozen=True, eq=False)
class Pair:
    """Two keyframes to interpolate between (RGB uint8, same shape)."""

    start: np.ndarray
    end: np.ndarray
    rung: int = 0  # the backend of a routed ladder the plan chose (backends/routed.py); other backends ignore it

    def __post_init__(self):
        if self.start.shape != self.end.shape:
            raise ValueError(f"pair frames differ in shape: {self.start.shape} vs {self.end.shape}")


@dataclass(frozen=True)
class Scene:
    """A run of source frames [start, end) with no cut inside it."""

    start: int
    end: int

    @property
    def num_frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class OutputSlot:
    """What one output frame is made of.

    `left` and `right` are source frame indices (decode order). `position` is where the output lies between
    them: 0.0 means an exact copy of `left` (then `right == left`), a value in (0, 1) means an in-between.
    """

    index: int
    time: Fraction
    left: int
    right: int
    position: float

    @property
    def is_copy(self) -> bool:
        return self.position == 0.0


@dataclass(frozen=True)
class VideoInfo:
    """What the decoder learned about the input's video stream (all that the encoder needs to mirror it)."""

    width: int
    height: int
    frame_rate: Fraction  # average frames per second, exact
    time_base: Fraction
    num_frames: int | None  # from the container; may be None or an estimate
    duration: Fraction | None  # seconds
    pix_fmt: str = "yuv420p"
    codec: str = ""
    rotation: int = 0  # degrees, from the display matrix
    color: dict = field(default_factory=dict)  # colour metadata: color_range, colorspace, color_primaries, color_trc
    has_audio: bool = False
    is_image_folder: bool = False
    sample_aspect_ratio: Fraction | None = None  # pixel shape (anamorphic SD); None when square or unknown
