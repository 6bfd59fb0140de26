"""Line art as the sketch encoder takes it: white (1) lines on black (0) float32 pictures, and the classical
extraction of line art from a frame. Pure functions of pictures, below both the backends and sketch input.

`SketchFrames` holds a guide for the generated frames of one pair; `fit_sketches_to_grid` places it on a model
grid exactly where `grid_fit.GridFit` places the keyframes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .grid_fit import FitMode, GridFit

LINE_BLOCK = 15  # px, side of the box a pixel is compared with to decide it is ink (line-art extraction)
INK_OFFSET = 10.0  # grey levels a pixel must lie below its box mean to count as ink
EDGE_LOW, EDGE_HIGH = 40, 110  # Canny thresholds on the smoothed colours: borders of flat fills
MIN_STROKE_PIXELS = 6  # connected line pieces smaller than this are noise


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


def _drop_specks(mask: np.ndarray) -> np.ndarray:
    """Remove 8-connected pieces of fewer than `MIN_STROKE_PIXELS` pixels from a bool mask."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= MIN_STROKE_PIXELS
    keep[0] = False  # label 0 is the background
    return keep[labels]
