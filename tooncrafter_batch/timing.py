"""Timing: which source frames are keyframes, and when.

Every source frame is a keyframe unless held-drawing detection (`dedupe`) is on. Animation drawn "on twos" or
"on threes" holds each drawing for several frames; with dedupe, each distinct drawing is one keyframe at the time it
first appears, so the in-betweens spread the motion over the whole hold instead of stuttering. A cut always starts
a new keyframe, and a hold longer than `hold_limit` is a deliberate pause: its last frame becomes a keyframe too, so
the drawing stays still until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Iterable, Iterator

import cv2
import numpy as np

from .datatypes import Frame
from .errors import SettingsError


class DedupeMode(str, Enum):
    auto = "auto"
    off = "off"


@dataclass(frozen=True)
class TimingSettings:
    factor: int | None = None  # exactly one of factor and fps
    fps: Fraction | None = None
    dedupe: DedupeMode = DedupeMode.auto
    dedupe_threshold: float = 8.0  # largest local luma change (0..255) still counted as the same drawing
    hold_limit: Fraction = Fraction(1, 3)  # seconds; a drawing held longer than this is a pause and stays still

    def __post_init__(self):
        if (self.factor is None) == (self.fps is None):
            raise SettingsError("give exactly one of --factor and --fps")
        if self.factor is not None and (isinstance(self.factor, bool) or self.factor < 2):
            raise SettingsError(f"--factor must be an integer of at least 2, got {self.factor}")
        if self.fps is not None and self.fps <= 0:
            raise SettingsError(f"--fps must be positive, got {self.fps}")
        if not 0 <= self.dedupe_threshold <= 255:
            raise SettingsError(f"--dedupe-threshold must be in [0, 255], got {self.dedupe_threshold}")
        if self.hold_limit <= 0:
            raise SettingsError(f"hold limit must be positive, got {self.hold_limit}")

    def output_rate(self, input_rate: Fraction) -> Fraction:
        """The output frame rate as an exact rational; --fps must exceed the input rate."""
        if self.factor is not None:
            return input_rate * self.factor
        if self.fps <= input_rate:
            raise SettingsError(f"--fps {_show_rate(self.fps)} is not above the input rate {_show_rate(input_rate)}; "
                                "toonbatch only raises frame rates")
        return self.fps

    def output_tag(self) -> str:
        """The tag in default output names: x4 for a factor, 60fps or 59_940fps for a rate."""
        if self.factor is not None:
            return f"x{self.factor}"
        rate = self.fps
        return f"{rate.numerator}fps" if rate.denominator == 1 else f"{float(rate):.3f}fps".replace(".", "_")


def parse_rate(text: str) -> Fraction:
    """Parse a frame rate: "60", "60000/1001", "29.97" or "59.94" (the NTSC rates map to their exact n*1000/1001)."""
    text = text.strip()
    try:
        if "/" in text:
            numerator, denominator = text.split("/", 1)
            rate = Fraction(int(numerator), int(denominator))
        else:
            rate = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise SettingsError(f"cannot read frame rate {text!r}; write it as 60, 60000/1001 or 59.94") from None
    if rate <= 0:
        raise SettingsError(f"frame rate must be positive, got {text!r}")
    ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
    if rate.denominator != 1 and abs(rate - ntsc) < Fraction(1, 100):
        return ntsc
    return rate


def _show_rate(rate: Fraction) -> str:
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator} (~{float(rate):.3f})"


@dataclass(frozen=True, eq=False)
class Key:
    """A keyframe: a source frame the plan interpolates from or to."""

    frame: Frame
    starts_shot: bool = False  # a cut lies just before this frame: never interpolate into it
    ends_hold: bool = False  # the last frame of a long hold: same drawing as the key before it


class HoldDetector:
    """Says whether a frame shows the same drawing as the last distinct one (robust to compression noise)."""

    _THUMB_WIDTH = 160

    def __init__(self, threshold: float):
        self._threshold = threshold
        self._reference: np.ndarray | None = None

    def is_same_drawing(self, image: np.ndarray) -> bool:
        thumb = self._thumbnail(image)
        same = self._reference is not None and float(np.abs(thumb - self._reference).max()) <= self._threshold
        if not same:
            self._reference = thumb
        return same

    def restart(self, image: np.ndarray) -> None:
        self._reference = self._thumbnail(image)

    def _thumbnail(self, image: np.ndarray) -> np.ndarray:
        # Area-averaged luma at about 160 px wide, lightly blurred: compression noise averages out while a real
        # change (a mouth, a blink) stays a large local difference.
        height, width = image.shape[:2]
        scale = min(1.0, self._THUMB_WIDTH / width)
        luma = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
        if scale < 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            luma = cv2.resize(luma, size, interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(luma, (3, 3), 0)


def select_keys(frames: Iterable[tuple[Frame, bool]], settings: TimingSettings) -> Iterator[Key]:
    """Keyframes from (frame, starts_shot) in decode order. Without dedupe every frame is a key."""
    if settings.dedupe is DedupeMode.off:
        for frame, starts_shot in frames:
            yield Key(frame, starts_shot)
        return
    holds = HoldDetector(settings.dedupe_threshold)
    run_start: Frame | None = None
    last_seen: Frame | None = None
    for frame, starts_shot in frames:
        if starts_shot:
            holds.restart(frame.image)
        elif holds.is_same_drawing(frame.image):
            last_seen = frame
            continue
        if run_start is not None and last_seen is not run_start and last_seen.time - run_start.time >= settings.hold_limit:
            yield Key(last_seen, ends_hold=True)
        yield Key(frame, starts_shot)
        run_start = last_seen = frame
