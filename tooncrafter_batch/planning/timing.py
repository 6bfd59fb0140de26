"""Timing: which source frames are keyframes, and when.

Every source frame is a keyframe unless held-drawing detection (`dedupe`) is on. Animation drawn "on twos" or
"on threes" holds each drawing for several frames; with dedupe, each distinct drawing is one keyframe at the time it
first appears, so the in-betweens spread the motion over the whole hold instead of stuttering. A cut always starts
a new keyframe, and a hold longer than `hold_limit` is a deliberate pause: its last frame becomes a keyframe too, so
the drawing stays still until then. `dedupe camera` also counts a drawing as held while the camera pans over it
(the whole picture shifted, a little further each frame, the way the camera was already going).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Iterator

import cv2
import numpy as np

from ..datatypes import Frame
from ..errors import SettingsError


class DedupeMode(str, Enum):
    auto = "auto"
    off = "off"
    camera = "camera"  # auto, and a drawing held while the camera pans on ones counts as held too


class HoldMatch(Enum):
    new = "new"  # a new drawing
    same = "same"  # the same drawing, in the same place
    moved = "moved"  # the same drawing, the whole picture shifted (a camera move)


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
    """Says whether a frame shows the same drawing as the last distinct one (robust to compression noise).

    With `follow_camera`, a frame that matches the last distinct drawing once the whole picture is shifted back is
    `moved`, if the camera pans: it shifted the same way on the way into this drawing and keeps going that way. A
    shake (the camera going back and forth) is left alone: its frames are new drawings here.
    """

    _THUMB_WIDTH = 160

    def __init__(self, threshold: float, follow_camera: bool = False):
        self._threshold = threshold
        self._follow_camera = follow_camera
        self._reference: np.ndarray | None = None
        self._previous: np.ndarray | None = None  # thumbnail of the last frame matched
        self._step: tuple[float, float] | None = None  # camera shift from the previous frame to the last one matched
        self._entry_step: tuple[float, float] | None = None  # camera shift into the reference (None: unknown)
        self._run_shift = (0.0, 0.0)  # shift of this run's last `moved` frame from the reference

    def is_same_drawing(self, image: np.ndarray) -> bool:
        return self.match(image) is HoldMatch.same

    def match(self, image: np.ndarray) -> HoldMatch:
        """How `image` relates to the last distinct drawing; a new drawing becomes the reference."""
        thumb = self._thumbnail(image)
        try:
            if self._reference is not None:
                if float(np.abs(thumb - self._reference).max()) <= self._threshold:
                    return HoldMatch.same
                if self._follow_camera:
                    self._step = None if self._previous is None else camera_shift(self._previous, thumb)
                    if self._held_under_pan(thumb):
                        return HoldMatch.moved
            self._start_run(thumb, self._step if self._follow_camera else None)
            return HoldMatch.new
        finally:
            self._previous = thumb

    def promote(self) -> None:
        """Make the frame just matched `moved` the new reference (its run was cut short by the caller)."""
        self._start_run(self._previous, self._step)

    def restart(self, image: np.ndarray) -> None:
        """A new shot begins with `image`: it is the reference, with no camera motion known."""
        thumb = self._thumbnail(image)
        self._start_run(thumb, None)
        self._previous = thumb

    def _start_run(self, thumb: np.ndarray, entry_step: tuple[float, float] | None) -> None:
        self._reference, self._entry_step, self._run_shift = thumb, entry_step, (0.0, 0.0)

    def _held_under_pan(self, thumb: np.ndarray) -> bool:
        """The same drawing shifted by the camera, which entered this drawing moving the same way and moves on.

        The test runs on both thumbnails blurred once more (sigma 1): that absorbs the resampling error at sharp
        lines (up to ~14 levels at half-pixel shifts) while a real change (a moved limb, ~75 levels) stays far
        above the threshold."""
        if self._entry_step is None:
            return False  # the camera's motion into this drawing is unknown (first drawing of a shot)
        # the step from the previous frame, just measured, is this shift when that frame was the reference
        shift = self._step if self._previous is self._reference else camera_shift(self._reference, thumb)
        if shift is None or not _same_way(self._entry_step, shift) or not _moves_on(self._run_shift, shift):
            return False
        height, width = thumb.shape
        warp = np.float32([[1, 0, shift[0]], [0, 1, shift[1]]])  # thumb sampled at reference + shift
        aligned = cv2.warpAffine(thumb, warp, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        margin_x, margin_y = int(np.ceil(abs(shift[0]))) + 2, int(np.ceil(abs(shift[1]))) + 2
        if width <= 2 * margin_x or height <= 2 * margin_y:
            return False
        inside = (slice(margin_y, height - margin_y), slice(margin_x, width - margin_x))
        difference = cv2.GaussianBlur(aligned, (0, 0), 1.0) - cv2.GaussianBlur(self._reference, (0, 0), 1.0)
        if float(np.abs(difference[inside]).max()) > self._threshold:
            return False
        self._run_shift = shift
        return True

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


_ECC_STOP = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 30, 1e-4)
_LARGEST_SHIFT = 0.25  # of the thumbnail's width or height; a larger shift is not taken as a camera move
_SMALLEST_SHIFT = 0.1  # thumbnail pixels; below this the plain comparison already said no
_SMALLEST_PICTURE = 8  # pixels a side; smaller thumbnails are not searched for camera moves


@lru_cache(maxsize=8)
def _hanning(width: int, height: int) -> np.ndarray:
    """The window phase correlation needs so that the picture's borders do not bias the shift."""
    return cv2.createHanningWindow((width, height), cv2.CV_32F)


def camera_shift(reference: np.ndarray, picture: np.ndarray) -> tuple[float, float] | None:
    """How far the whole `picture` is shifted from `reference` (thumbnails, pixels, x and y): phase correlation,
    refined to a fraction of a pixel by ECC. None when the shift is too large to be a camera move between frames
    (a quarter of the picture) or too small to be one (a tenth of a pixel)."""
    height, width = picture.shape
    if min(height, width) < _SMALLEST_PICTURE:
        return None
    # copies: OpenCV multiplies its inputs by the window in place
    (shift_x, shift_y), _ = cv2.phaseCorrelate(reference.copy(), picture.copy(), _hanning(width, height))
    if abs(shift_x) > _LARGEST_SHIFT * width or abs(shift_y) > _LARGEST_SHIFT * height:
        return None
    warp = np.float32([[1, 0, shift_x], [0, 1, shift_y]])
    try:
        _, warp = cv2.findTransformECC(reference, picture, warp, cv2.MOTION_TRANSLATION, _ECC_STOP, None, 1)
    except cv2.error:  # no convergence (flat pictures): keep the phase correlation's shift
        pass
    shift = (float(warp[0, 2]), float(warp[1, 2]))
    return None if max(abs(shift[0]), abs(shift[1])) < _SMALLEST_SHIFT else shift


def _moves_on(before: tuple[float, float], now: tuple[float, float]) -> bool:
    """Whether the shift `now` goes further the way `before` went (any shift goes on from no shift)."""
    length = float(np.hypot(*before))
    if length == 0.0:
        return True
    return (before[0] * now[0] + before[1] * now[1]) / length > length


def _same_way(entry: tuple[float, float], shift: tuple[float, float]) -> bool:
    """Whether a held drawing's shift goes the way the camera came in; an entry step under half a thumbnail pixel
    (measured across a change of drawing, so the moving characters can sway it) does not count against it."""
    return entry[0] * shift[0] + entry[1] * shift[1] > 0.0 or float(np.hypot(*entry)) < 0.5


def select_keys(frames: Iterable[tuple[Frame, bool]], settings: TimingSettings) -> Iterator[Key]:
    """Keyframes from (frame, starts_shot) in decode order. Without dedupe every frame is a key."""
    if settings.dedupe is DedupeMode.off:
        for frame, starts_shot in frames:
            yield Key(frame, starts_shot)
        return
    holds = HoldDetector(settings.dedupe_threshold, follow_camera=settings.dedupe is DedupeMode.camera)
    run_start: Frame | None = None
    last_seen: Frame | None = None
    for frame, starts_shot in frames:
        if starts_shot:
            holds.restart(frame.image)
        else:
            match = holds.match(frame.image)
            # A drawing held under a panning camera is one key only within the hold limit: a longer pan over a
            # still drawing keeps its frames as keys (a held run ending in a still key would freeze the pan).
            if match is HoldMatch.same or (match is HoldMatch.moved and frame.time - run_start.time < settings.hold_limit):
                last_seen = frame
                continue
            if match is HoldMatch.moved:
                holds.promote()
        if run_start is not None and last_seen is not run_start and last_seen.time - run_start.time >= settings.hold_limit:
            yield Key(last_seen, ends_hold=True)
        yield Key(frame, starts_shot)
        run_start = last_seen = frame
