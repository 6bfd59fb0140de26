"""The evaluation protocols of ../shared/data/BASELINE.md: which frames to predict, from which, at what position.

- `sub_kN`: keep frames 0, N, 2N, ...; predict each dropped frame between the two kept frames around it.
- `uniq`: drop held frames; predict each distinct drawing from its two distinct neighbours at t = 0.5, unless a cut
  lies between them.

Frames are RGB uint8, cropped to even width and height. Scene and hold decisions use 160x90 luma thumbnails
(`cv2.INTER_AREA`); thresholds are mean absolute differences on the 0..255 luma scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ..conditioning import SourceMode, condition_source
from ..datatypes import Scene
from ..errors import InputError, SettingsError
from ..video.decode import open_video, owned_rgb
from .metrics import luma

THUMBNAIL_SIZE = (160, 90)  # (width, height)
HELD_THRESHOLD = 0.6  # thumbnail difference below which a frame repeats the last distinct drawing
CUT_THRESHOLD = 25.0  # thumbnail difference above which two frames lie in different shots
MOTION_THRESHOLD = 1.0  # full-frame difference above which the two keyframes of a case differ

IMAGE_SUFFIXES = (".png",)


class ProtocolKind(str, Enum):
    sub = "sub"
    uniq = "uniq"


@dataclass(frozen=True)
class Protocol:
    """One protocol: `sub` with its subsampling factor N (`sub_kN`), or `uniq` (always predicts the middle)."""

    kind: ProtocolKind
    factor: int = 2

    def __post_init__(self):
        if isinstance(self.factor, bool) or not isinstance(self.factor, int) or self.factor < 2:
            raise SettingsError(f"--factor must be an integer of at least 2, got {self.factor!r}")
        if self.kind is ProtocolKind.uniq and self.factor != 2:
            raise SettingsError(f"the uniq protocol always predicts the middle drawing (factor 2), got {self.factor}")

    @property
    def name(self) -> str:
        return f"sub_k{self.factor}" if self.kind is ProtocolKind.sub else "uniq"


@dataclass(frozen=True, eq=False)
class Clip:
    """A decoded clip: its name, its frames (RGB uint8, even size) and its nominal frame rate."""

    name: str
    frames: tuple[np.ndarray, ...]
    frame_rate: Fraction


@dataclass(frozen=True)
class Case:
    """One frame to predict: source frame `truth` from frames `left` and `right` at `position` in (0, 1)."""

    left: int
    right: int
    truth: int
    position: float
    scene: int  # index of the shot the true frame lies in
    is_motion: bool  # the two keyframes differ and no cut lies between them


def load_clip(path: Path, input_fps: Fraction | None = None, source: SourceMode = SourceMode.auto) -> Clip:
    """Decode a video (PyAV, rgb24) or read a folder of PNGs in name order; crop every frame to even size.

    PyAV's rgb24 conversion uses the stream's colour matrix, as `ffmpeg -pix_fmt rgb24` does (BASELINE's decoder):
    the frames are bit-identical. A folder needs `input_fps` only for the ffmpeg comparison; it defaults to 24.
    A legacy video (`source`: telecined, interlaced, blended; see conditioning.py) is scored on its restored
    pictures at the restored rate; a progressive one as decoded.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    if path.is_dir():
        frames, rate = _read_image_folder(path), input_fps or Fraction(24)
    else:
        frames, stream_rate = _decode_video(path)
        rate = input_fps or stream_rate
        conditioned = condition_source(open_video(path), source)
        if not conditioned.is_untouched:
            frames, rate = [frame.image for frame in conditioned.frames()], conditioned.frame_rate
    if len(frames) < 3:
        raise InputError(f"{path} has {len(frames)} frames; evaluation needs at least 3")
    return Clip(name=path.stem if path.is_file() else path.name, frames=tuple(_crop_even(f) for f in frames),
                frame_rate=rate)


def _read_image_folder(folder: Path) -> list[np.ndarray]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"{folder} holds no PNG frames; pass a video or a folder of numbered PNGs")
    frames = []
    for file in files:
        image = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if image is None:
            raise InputError(f"cannot read image {file}")
        frames.append(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    if len({frame.shape for frame in frames}) != 1:
        raise InputError(f"the PNGs in {folder} differ in size; all frames of a clip must have one size")
    return frames


def _decode_video(path: Path) -> tuple[list[np.ndarray], Fraction]:
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(f"{path} has no video stream")
            stream = container.streams.video[0]
            rate = Fraction(stream.average_rate) if stream.average_rate else Fraction(24)
            frames = [owned_rgb(frame) for frame in container.decode(stream)]
    except av.FFmpegError as error:
        raise InputError(f"cannot decode {path}: {error.strerror or error}") from None
    return frames, rate


def _crop_even(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    return np.ascontiguousarray(frame[: height - height % 2, : width - width % 2])


def thumbnails(clip: Clip) -> np.ndarray:
    """The 160x90 float luma thumbnail of every frame, (n, 90, 160) float64."""
    return np.stack([cv2.resize(luma(frame), THUMBNAIL_SIZE, interpolation=cv2.INTER_AREA) for frame in clip.frames])


def scene_ids(thumbs: np.ndarray) -> list[int]:
    """The shot index of every frame: a new shot starts where consecutive thumbnails differ by more than 25."""
    differences = np.abs(np.diff(thumbs, axis=0)).mean(axis=(1, 2))
    return [0, *np.cumsum(differences > CUT_THRESHOLD).tolist()]


def scenes(thumbs: np.ndarray) -> list[Scene]:
    """The shots of a clip as frame ranges [start, end)."""
    ids = scene_ids(thumbs)
    starts = [0] + [i for i in range(1, len(ids)) if ids[i] != ids[i - 1]]
    return [Scene(start, end) for start, end in zip(starts, starts[1:] + [len(ids)])]


def distinct_drawings(thumbs: np.ndarray) -> list[int]:
    """Indices of the frames that start a new drawing: a frame within 0.6 of the last distinct one is held."""
    distinct = [0]
    for index in range(1, len(thumbs)):
        if np.abs(thumbs[index] - thumbs[distinct[-1]]).mean() >= HELD_THRESHOLD:
            distinct.append(index)
    return distinct


def build_cases(clip: Clip, protocol: Protocol) -> list[Case]:
    """The cases of `protocol` on `clip`, in frame order."""
    thumbs = thumbnails(clip)
    ids = scene_ids(thumbs)
    if protocol.kind is ProtocolKind.sub:
        return _sub_cases(clip, protocol.factor, ids)
    return _uniq_cases(clip, thumbs, ids)


def _sub_cases(clip: Clip, factor: int, ids: list[int]) -> list[Case]:
    cases = []
    for left in range(0, len(clip.frames) - factor, factor):
        right = left + factor
        is_motion = ids[left] == ids[right] and _frame_difference(clip, left, right) > MOTION_THRESHOLD
        cases.extend(Case(left, right, truth, (truth - left) / factor, ids[truth], is_motion)
                     for truth in range(left + 1, right))
    return cases


def _uniq_cases(clip: Clip, thumbs: np.ndarray, ids: list[int]) -> list[Case]:
    distinct = distinct_drawings(thumbs)
    cases = []
    for left, truth, right in zip(distinct, distinct[1:], distinct[2:]):
        if is_cut(thumbs, left, truth) or is_cut(thumbs, truth, right):
            continue
        is_motion = _frame_difference(clip, left, right) > MOTION_THRESHOLD
        cases.append(Case(left, right, truth, 0.5, ids[truth], is_motion))
    return cases


def is_cut(thumbs: np.ndarray, first: int, second: int) -> bool:
    """Whether two frames (by index into `thumbs`) lie in different shots: thumbnails more than 25 apart."""
    return float(np.abs(thumbs[first] - thumbs[second]).mean()) > CUT_THRESHOLD


def _frame_difference(clip: Clip, first: int, second: int) -> float:
    return float(np.abs(luma(clip.frames[first]) - luma(clip.frames[second])).mean())
