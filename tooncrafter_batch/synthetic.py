"""A synthetic cartoon with exact ground truth, for tests and `make demo`.

`render_frame(spec, time)` draws the exact picture at any time (float or Fraction seconds), so the true in-between
at any position is known. The look imitates cel animation: a static painted background, flat-coloured characters
with anti-aliased black outlines, non-linear motion (arcs, ease-in/out), rotation, squash and scale, one character
passing in front of another, an optional cut to a second shot, and optional held drawings ("on twos", mixed).
The sound is a tone whose pitch changes at the cut, with clicks at `click_times(spec)` to check sync.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from .errors import SettingsError

_SUBPIXEL_BITS = 4  # polygon vertices are drawn with 1/16-pixel precision, so motion is continuous
_TONE_HZ = (440.0, 660.0)  # pitch of shot 0 and shot 1
_CLICK_SECONDS = 0.002


@dataclass(frozen=True)
class CartoonSpec:
    """What to render. `hold_pattern` cycles hold lengths in frames: () on ones, (2,) on twos, (1, 2, 3) mixed."""

    width: int = 320
    height: int = 180
    num_frames: int = 48
    frame_rate: Fraction = Fraction(24)
    seed: int = 0
    cut_at_frame: int | None = None  # first frame of the second shot
    hold_pattern: tuple[int, ...] = ()
    camera_pan: float = 0.0  # pixels per second the camera moves right, on ones (whatever the hold pattern)
    camera_shake: float = 0.0  # pixels the camera swings left and right of its path, a full swing every 2 frames
    with_audio: bool = True
    sample_rate: int = 48000

    def __post_init__(self):
        if self.width < 8 or self.height < 8:
            raise SettingsError(f"cartoon size must be at least 8x8, got {self.width}x{self.height}")
        if self.num_frames < 1:
            raise SettingsError(f"cartoon needs at least one frame, got {self.num_frames}")
        if Fraction(self.frame_rate) <= 0:
            raise SettingsError(f"frame rate must be positive, got {self.frame_rate}")
        if self.cut_at_frame is not None and not 0 < self.cut_at_frame < self.num_frames:
            raise SettingsError(f"cut_at_frame must lie in (0, {self.num_frames}), got {self.cut_at_frame}")
        if any(length < 1 for length in self.hold_pattern):
            raise SettingsError(f"hold lengths must be at least 1 frame, got {self.hold_pattern}")
        if self.sample_rate < 8000:
            raise SettingsError(f"sample rate must be at least 8000 Hz, got {self.sample_rate}")

    @property
    def duration(self) -> Fraction:
        return self.num_frames / Fraction(self.frame_rate)


@dataclass(frozen=True)
class _Pose:
    """Where a character is: centre (x in widths, y in heights), angle in radians, scale (in heights)."""

    x: float
    y: float
    angle: float
    scale_x: float
    scale_y: float


@dataclass(frozen=True)
class _Character:
    outline: np.ndarray  # (n, 2) unit polygon
    colour: tuple[int, int, int]
    pose: Callable[[float], _Pose]  # shot time in seconds -> pose


def _ease(phase: float) -> float:
    """Ease-in/out back and forth: 0 -> 1 -> 0 over one period, slow at both ends."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * phase)


def _polygon(num_points: int, inner: float = 1.0) -> np.ndarray:
    """A regular polygon (inner == 1) or a star (inner < 1: every other vertex at that radius)."""
    angles = np.arange(num_points) * (2 * np.pi / num_points)
    radii = np.where(np.arange(num_points) % 2 == 1, inner, 1.0)
    return np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)


def _teardrop() -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    radius = 0.6 + 0.4 * np.abs(np.sin(angles / 2)) ** 3
    return np.stack([radius * np.cos(angles), 0.7 * radius * np.sin(angles)], axis=1)


_SHOTS: tuple[tuple[_Character, ...], ...] = (
    (  # shot 0, drawn back to front: the ball passes in front of the box
        _Character(_polygon(4), (70, 110, 220),
                   lambda s: _Pose(0.5, 0.55, 0.3 * math.sin(s), 0.13 + 0.02 * math.sin(3 * s), 0.13)),
        _Character(_polygon(48), (230, 80, 40),
                   lambda s: _Pose(0.2 + 0.6 * _ease(s / 2.4), 0.7 - 0.35 * math.sin(math.pi * _ease(s / 2.4)),
                                   0.0, 0.1 * (1 + 0.25 * math.cos(4 * s)), 0.1 * (1 - 0.2 * math.cos(4 * s)))),
        _Character(_polygon(10, inner=0.45), (250, 210, 40),
                   lambda s: _Pose(0.75 - 0.5 * _ease(s / 3.0), 0.25, 1.5 * s * s, 0.09, 0.09)),
        _Character(_teardrop(), (60, 170, 80),
                   lambda s: _Pose(0.5 + 0.3 * math.cos(1.7 * s), 0.5 + 0.3 * math.sin(1.7 * s), 1.7 * s + 1.5,
                                   0.08, 0.08)),
    ),
    (  # shot 1: another place, other characters
        _Character(_polygon(6), (150, 70, 200),
                   lambda s: _Pose(0.3 + 0.4 * _ease(s / 2.0), 0.75 - 0.4 * abs(math.sin(2.5 * s)), 0.5 * s,
                                   0.11, 0.11)),
        _Character(_polygon(36), (240, 140, 190),
                   lambda s: _Pose(0.5 + 0.3 * math.sin(1.3 * s), 0.5 + 0.2 * math.sin(2.6 * s), 0.0,
                                   0.12 * (1 + 0.3 * _ease(s / 1.5)), 0.08)),
        _Character(_polygon(3), (60, 200, 210),
                   lambda s: _Pose(0.8 - 0.2 * _ease(s / 1.8), 0.3, -2.0 * s, 0.1, 0.1)),
    ),
)


def render_frame(spec: CartoonSpec, time: float | Fraction) -> np.ndarray:
    """The picture at `time` seconds (any time, not only frame times): RGB uint8 (height, width, 3).

    With a hold pattern the picture is the drawing of `drawing_time(spec, time)`; a camera pan then moves the whole
    picture by `camera_pan` pixels per second of `time` itself (the camera moves on ones over held drawings), and a
    shake swings it by up to `camera_shake` pixels, one way on even frames and the other way on odd ones.
    """
    shot, shot_time = _shot_at(spec, drawing_time(spec, time))
    frame = _background(spec.width, spec.height, spec.seed, shot).copy()
    thickness = max(2, round(spec.height / 120))
    for character in _SHOTS[shot]:
        points = _place(character.outline, character.pose(float(shot_time)), spec)
        cv2.fillPoly(frame, [points], character.colour, cv2.LINE_AA, _SUBPIXEL_BITS)
        cv2.polylines(frame, [points], True, (0, 0, 0), thickness, cv2.LINE_AA, _SUBPIXEL_BITS)
    if spec.camera_pan or spec.camera_shake:
        _, camera_time = _shot_at(spec, Fraction(time))
        swing = spec.camera_shake * math.cos(math.pi * float(camera_time * Fraction(spec.frame_rate)))
        shift = np.float32([[1, 0, -spec.camera_pan * float(camera_time) - swing], [0, 1, 0]])  # view moves right
        frame = cv2.warpAffine(frame, shift, (spec.width, spec.height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT_101)
    return frame


def render_frames(spec: CartoonSpec) -> Iterator[np.ndarray]:
    """The clip: frame i shows time i / frame_rate."""
    for index in range(spec.num_frames):
        yield render_frame(spec, index / Fraction(spec.frame_rate))


def drawing_time(spec: CartoonSpec, time: float | Fraction) -> Fraction:
    """When the drawing shown at `time` started: `time` itself on ones, else the first frame of its hold.

    Holds restart at the cut, so a cut always starts a new drawing.
    """
    time = Fraction(time)
    if time < 0:
        raise ValueError(f"time must not be negative, got {time}")
    if not spec.hold_pattern:
        return time
    rate = Fraction(spec.frame_rate)
    frame = math.floor(time * rate)
    shot_start = spec.cut_at_frame if spec.cut_at_frame is not None and frame >= spec.cut_at_frame else 0
    return (shot_start + _hold_start(frame - shot_start, spec.hold_pattern)) / rate


def drawing_starts(spec: CartoonSpec) -> list[int]:
    """Indices of the frames where a new drawing appears (every frame on ones)."""
    rate = Fraction(spec.frame_rate)
    return [index for index in range(spec.num_frames)
            if index == 0 or drawing_time(spec, index / rate) != drawing_time(spec, (index - 1) / rate)]


def click_times(spec: CartoonSpec) -> list[Fraction]:
    """Times of the audio clicks: every half second (rounded to a frame time), starting at the second frame time."""
    rate = Fraction(spec.frame_rate)
    interval = max(1, round(rate / 2))
    return [index / rate for index in range(1, spec.num_frames, interval)]


def render_audio(spec: CartoonSpec) -> tuple[np.ndarray, int]:
    """The soundtrack: float32 (2, samples) in [-1, 1] lasting exactly the clip, and its sample rate."""
    num_samples = round(spec.duration * spec.sample_rate)
    seconds = np.arange(num_samples) / spec.sample_rate
    cut_seconds = float(spec.cut_at_frame / Fraction(spec.frame_rate)) if spec.cut_at_frame is not None else math.inf
    pitch = np.where(seconds < cut_seconds, _TONE_HZ[0], _TONE_HZ[1])
    signal = 0.2 * np.sin(2 * np.pi * pitch * seconds)
    click_length = round(_CLICK_SECONDS * spec.sample_rate)
    for time in click_times(spec):
        start = round(time * spec.sample_rate)
        signal[start:start + click_length] = 0.9
    mono = signal.astype(np.float32)
    return np.stack([mono, mono]), spec.sample_rate


def write_cartoon(path: Path, spec: CartoonSpec) -> Path:
    """Render the clip (and its sound when `spec.with_audio`) into a video file at `path`."""
    audio = render_audio(spec) if spec.with_audio else None
    from .video.encode import write_clip  # PyAV only where clips are written (not on a bare GPU box)

    write_clip(Path(path), render_frames(spec), Fraction(spec.frame_rate), audio=audio)
    return Path(path)


def _hold_start(frame: int, pattern: tuple[int, ...]) -> int:
    """First frame of the drawing shown at `frame` (counted from the shot start) under a cycling hold pattern."""
    offset = frame % sum(pattern)
    return frame - offset + max(start for start in accumulate(pattern[:-1], initial=0) if start <= offset)


def _shot_at(spec: CartoonSpec, time: Fraction) -> tuple[int, Fraction]:
    """Which shot shows at `time`, and the time since that shot began."""
    if spec.cut_at_frame is None:
        return 0, time
    cut_time = spec.cut_at_frame / Fraction(spec.frame_rate)
    return (1, time - cut_time) if time >= cut_time else (0, time)


def _place(outline: np.ndarray, pose: _Pose, spec: CartoonSpec) -> np.ndarray:
    """Unit polygon -> fixed-point pixel vertices (int32, _SUBPIXEL_BITS fractional bits)."""
    cos, sin = math.cos(pose.angle), math.sin(pose.angle)
    scaled = outline * np.array([pose.scale_x, pose.scale_y]) * spec.height
    rotated = scaled @ np.array([[cos, sin], [-sin, cos]])
    pixels = rotated + np.array([pose.x * spec.width, pose.y * spec.height])
    return np.rint(pixels * (1 << _SUBPIXEL_BITS)).astype(np.int32)


@lru_cache(maxsize=8)
def _background(width: int, height: int, seed: int, shot: int) -> np.ndarray:
    """A static painted backdrop: a sky gradient, soft brush-like noise and a hill, without outlines."""
    rng = np.random.default_rng([seed, shot])
    sky_top, sky_bottom, ground = ([(120, 180, 235), (225, 235, 240), (110, 160, 80)],
                                   [(20, 30, 80), (70, 60, 120), (40, 60, 70)])[shot]
    rows = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    image = np.array(sky_top, np.float32) * (1 - rows) + np.array(sky_bottom, np.float32) * rows
    image = np.broadcast_to(image, (height, width, 3)).copy()
    columns = np.arange(width) / width
    horizon = height * (0.62 + 0.06 * np.sin(2 * np.pi * (columns * 1.3 + rng.random())))
    image[np.arange(height)[:, None] > horizon[None, :]] = ground
    strokes = cv2.resize(rng.normal(0, 1, (6, 10, 3)).astype(np.float32), (width, height),
                         interpolation=cv2.INTER_CUBIC)
    image += 14 * strokes
    image = cv2.GaussianBlur(image, (0, 0), max(0.8, height / 300))
    background = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    background.flags.writeable = False
    return background
