"""Sketch guidance input: line-art images for some of the 16 generated frames, read, fitted and normalised.

A sketch is any image of line art: black lines on white (paper, the usual) or white lines on black (what the
sketch encoder takes); which one is detected from the background. Everything here returns the encoder's
convention: float32 in [0, 1], 1 where there is a line, 0 for empty paper, fitted to the size asked for.

Sparse sketches come as `INDEX:PATH` specs (`8:pose.png`), INDEX being the 0-based position among the generated
frames; a dense guide comes as a video with exactly one frame per generated frame. Frames without a sketch are
left blank (all zero), as in both community apps; `SketchFrames.has_sketch` says which ones were drawn, so the
model side can mask their residuals instead.

Sketches are read at the keyframes' size; `imaging.line_art.fit_sketches_to_grid` then places them on a model
grid, and `imaging.line_art.extract_line_art` draws line art from a keyframe for a user to start from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from .errors import InputError, OutputError, SettingsError
from .imaging.line_art import SketchFrames, fit_to_size, normalise_line_art
from .video.decode import open_video

NUM_SKETCH_FRAMES = 16  # frames ToonCrafter generates per pair, so frames a sketch guide covers
DRAWN_LEVEL = 0.25  # a guide-video frame whose strongest line is fainter than this is blank (codec noise)


@dataclass(frozen=True)
class SketchSpec:
    """One sparse sketch: the 0-based index of the generated frame it guides and the image file."""

    index: int
    path: Path


def parse_sketch_spec(text: str, num_frames: int = NUM_SKETCH_FRAMES) -> SketchSpec:
    """Parse `INDEX:PATH` (as given to `--sketch`); INDEX must lie in 0..num_frames-1."""
    index_text, separator, path_text = text.partition(":")
    if not separator or not path_text:
        raise SettingsError(f"--sketch {text!r} is not INDEX:PATH; write e.g. --sketch 8:pose.png")
    try:
        index = int(index_text)
    except ValueError:
        raise SettingsError(f"--sketch {text!r}: the index {index_text!r} is not a whole number; "
                            f"write e.g. --sketch 8:pose.png") from None
    check_sketch_index(index, num_frames)
    return SketchSpec(index=index, path=Path(path_text))


def check_sketch_index(index: int, num_frames: int = NUM_SKETCH_FRAMES) -> None:
    """Raise `SettingsError` naming the index unless it lies in 0..num_frames-1."""
    if not 0 <= index < num_frames:
        raise SettingsError(f"sketch index {index} is outside 0..{num_frames - 1}: it counts the {num_frames} "
                            f"generated frames from 0 (the start keyframe) to {num_frames - 1} (the end keyframe)")


def sketch_position(index: int, num_frames: int = NUM_SKETCH_FRAMES) -> float:
    """Where generated frame `index` lies between the keyframes: 0.0 (start) .. 1.0 (end)."""
    check_sketch_index(index, num_frames)
    return index / (num_frames - 1)


def load_sparse_sketches(specs: Sequence[SketchSpec], height: int, width: int,
                         num_frames: int = NUM_SKETCH_FRAMES) -> SketchFrames:
    """Read the sketches of `specs` into a guide of `num_frames` frames of (height, width); the rest stay blank."""
    lines = np.zeros((num_frames, height, width), np.float32)
    has_sketch = np.zeros(num_frames, bool)
    for spec in specs:
        check_sketch_index(spec.index, num_frames)
        if has_sketch[spec.index]:
            raise SettingsError(f"two sketches for frame {spec.index}; give at most one --sketch per index")
        try:
            image = read_image(spec.path)
        except InputError as error:
            raise InputError(f"sketch for frame {spec.index}: {error}") from None
        lines[spec.index] = normalise_line_art(fit_to_size(image, height, width))
        has_sketch[spec.index] = True
    return SketchFrames(lines=lines, has_sketch=has_sketch)


def load_sketch_video(path: Path, height: int, width: int, num_frames: int = NUM_SKETCH_FRAMES) -> SketchFrames:
    """Read a guide video with exactly `num_frames` frames; a frame with no lines counts as not sketched."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"sketch video {path} does not exist; check the path given to --sketch-video")
    frames = [frame.image for frame in open_video(path).frames()]
    if len(frames) != num_frames:
        raise InputError(f"sketch video {path} has {len(frames)} frames; it needs exactly {num_frames}, "
                         f"one per generated frame (use --sketch INDEX:IMAGE for a few frames)")
    lines = np.stack([normalise_line_art(fit_to_size(frame, height, width)) for frame in frames])
    has_sketch = lines.reshape(num_frames, -1).max(axis=1) >= DRAWN_LEVEL
    lines[~has_sketch] = 0.0
    return SketchFrames(lines=lines, has_sketch=has_sketch)


def read_image(path: Path) -> np.ndarray:
    """Read an image file as RGB uint8 (h, w, 3); transparency is composited over white paper."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image {path} does not exist; check the path")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise InputError(f"{path} cannot be read as an image; save it as PNG or JPEG")
    if image.dtype == np.uint16:
        image = (image // 257).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        alpha = image[:, :, 3:].astype(np.float32) / 255.0
        image = np.rint(image[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def write_line_art(path: Path, lines: np.ndarray, overwrite: bool = False) -> None:
    """Save (h, w) uint8 line art as an image file (PNG by its suffix); refuse to replace a file unless asked."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputError(f"{path} already exists; pass --overwrite to replace it, or choose another -o")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {path.parent} does not exist")
    try:
        is_written = cv2.imwrite(str(path), lines)
    except cv2.error:
        is_written = False
    if not is_written:
        raise OutputError(f"cannot write {path}; use a .png (or .jpg) name in a writable folder")
