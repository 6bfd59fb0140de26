"""Sketch guidance input: line-art images for some of the 16 generated frames, read, fitted and normalised.

A sketch is any image of line art: black lines on white (paper, the usual) or white lines on black (what the
sketch encoder takes); which one is detected from the background. Everything here returns the encoder's
convention: float32 in [0, 1], 1 where there is a line, 0 for empty paper, fitted to the size asked for.

Sparse sketches come as `INDEX:PATH` specs (`8:pose.png`), INDEX being the 0-based position among the generated
frames; a dense guide comes as a video with exactly one frame per generated frame. Frames without a sketch are
left blank (all zero), as in both community apps; `SketchFrames.has_sketch` says which ones were drawn, so the
model side can mask their residuals instead.

Sketches are read at the keyframes' size; `fit_sketches_to_grid` then places them on a model grid exactly where
`backends.grid_fit.GridFit` places the keyframes.

`extract_line_art` draws line art from a picture (a keyframe) with classical OpenCV methods, so a user can start
from it and redraw the pose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from .backends.grid_fit import FitMode, GridFit
from .errors import InputError, OutputError, SettingsError
from .video.decode import open_video

NUM_SKETCH_FRAMES = 16  # frames ToonCrafter generates per pair, so frames a sketch guide covers
LINE_BLOCK = 15  # px, side of the box a pixel is compared with to decide it is ink (line-art extraction)
INK_OFFSET = 10.0  # grey levels a pixel must lie below its box mean to count as ink
EDGE_LOW, EDGE_HIGH = 40, 110  # Canny thresholds on the smoothed colours: borders of flat fills
MIN_STROKE_PIXELS = 6  # connected line pieces smaller than this are noise
DRAWN_LEVEL = 0.25  # a guide-video frame whose strongest line is fainter than this is blank (codec noise)


@dataclass(frozen=True)
class SketchSpec:
    """One sparse sketch: the 0-based index of the generated frame it guides and the image file."""

    index: int
    path: Path


@dataclass(frozen=True, eq=False)
class SketchFrames:
    """A sketch guide for the generated frames of one pair.

    `lines` is (frames, h, w) float32 in [0, 1], white (1) lines on black, blank (all 0) where nothing was drawn;
    `has_sketch` is (frames,) bool, True where a sketch was given.
    """

    lines: np.ndarray
    has_sketch: np.ndarray

    def __post_init__(self):
        if self.lines.ndim != 3 or self.has_sketch.shape != self.lines.shape[:1]:
            raise ValueError(f"sketch frames {self.lines.shape} do not match the mask {self.has_sketch.shape}")

    @property
    def num_frames(self) -> int:
        return self.lines.shape[0]

    def drawn(self) -> dict[int, np.ndarray]:
        """The sketched frames only: index -> (h, w) lines."""
        return {int(index): self.lines[index] for index in np.flatnonzero(self.has_sketch)}


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


def fit_sketches_to_grid(sketch: SketchFrames, fit: GridFit) -> SketchFrames:
    """Sketches at the keyframes' size -> the model grid, placed exactly as `fit` places the keyframes.

    Margins that `pad` fills by repeating the keyframes' border stay blank here (no lines).
    """
    if sketch.lines.shape[1:] != fit.source_size:
        raise ValueError(f"sketches {sketch.lines.shape[1:]} are not at the keyframe size {fit.source_size}")
    top, left = max(0, fit.offset[0]), max(0, fit.offset[1])
    height, width = fit.scaled_size
    lines = []
    for frame in np.rint(255.0 * sketch.lines).astype(np.uint8):
        grid = fit.to_grid(np.repeat(frame[..., None], 3, axis=2))[..., 0].astype(np.float32) / 255.0
        if fit.mode is FitMode.pad:
            window = np.zeros_like(grid)
            window[top:top + height, left:left + width] = grid[top:top + height, left:left + width]
            grid = window
        lines.append(grid)
    return SketchFrames(lines=np.stack(lines), has_sketch=sketch.has_sketch.copy())


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


def fit_to_size(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale an image to cover (height, width), keeping its aspect ratio, and crop the middle.

    A sketch drawn over a keyframe has the keyframe's aspect ratio and is simply resized.
    """
    source_height, source_width = image.shape[:2]
    scale = max(height / source_height, width / source_width)
    scaled_height = max(height, round(source_height * scale))
    scaled_width = max(width, round(source_width * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, (scaled_width, scaled_height), interpolation=interpolation)
    top, left = (scaled_height - height) // 2, (scaled_width - width) // 2
    return scaled[top:top + height, left:left + width]


def normalise_line_art(image: np.ndarray) -> np.ndarray:
    """RGB or grey line art, either polarity -> (h, w) float32 in [0, 1], 1 = line, 0 = empty paper.

    The paper is the majority of the picture: if the median is light, the picture is black-on-white and is
    inverted. The paper's own level (grey scans, off-white exports) is then taken as zero.
    """
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    grey = grey.astype(np.float32)
    if np.median(grey) > 127.5:
        grey = 255.0 - grey
    paper = float(np.median(grey))
    if paper >= 255.0:
        return np.zeros(grey.shape, np.float32)
    return np.clip((grey - paper) / (255.0 - paper), 0.0, 1.0)


def lines_to_image(lines: np.ndarray) -> np.ndarray:
    """(h, w) lines in [0, 1] (1 = line) -> uint8 black-on-white picture, as an animator draws."""
    return np.rint(255.0 * (1.0 - np.clip(lines, 0.0, 1.0))).astype(np.uint8)


def extract_line_art(image: np.ndarray) -> np.ndarray:
    """Line art of an RGB uint8 frame: (h, w) uint8, black (0) lines on white (255).

    Two classical cues are combined: ink (pixels clearly darker than their neighbourhood, the drawn outlines)
    and the borders between flat colour fills (Canny on edge-preserving smoothed colours), which catches shapes
    drawn without an outline. Specks smaller than `MIN_STROKE_PIXELS` are dropped.
    """
    smoothed = cv2.bilateralFilter(image, d=5, sigmaColor=40, sigmaSpace=5)
    grey = cv2.cvtColor(smoothed, cv2.COLOR_RGB2GRAY).astype(np.float32)
    local_mean = cv2.blur(grey, (LINE_BLOCK, LINE_BLOCK), borderType=cv2.BORDER_REPLICATE)
    ink = grey < local_mean - INK_OFFSET
    borders = cv2.Canny(cv2.cvtColor(smoothed, cv2.COLOR_RGB2LAB), EDGE_LOW, EDGE_HIGH, L2gradient=True) > 0
    lines = _drop_specks(ink | borders)
    return np.where(lines, 0, 255).astype(np.uint8)


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


def _drop_specks(mask: np.ndarray) -> np.ndarray:
    """Remove 8-connected pieces of fewer than `MIN_STROKE_PIXELS` pixels from a bool mask."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= MIN_STROKE_PIXELS
    keep[0] = False  # label 0 is the background
    return keep[labels]
