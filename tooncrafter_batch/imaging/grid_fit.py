"""Fitting keyframes of any size to a model's fixed grid (ToonCrafter: 320x512), and undoing it afterwards.

- `pad` (default): scale the frame to fit inside the grid keeping its aspect, centre it, fill the margins by
  replicating the border, and afterwards cut the same window out of each generated frame and scale it back to the
  keyframes' size. Nothing of the picture is lost, so 4:3 footage is never cropped.
- `crop`: the reference implementation's preprocessing: scale the shorter side to the grid's height, centre crop
  to the grid. Generated frames are scaled back to the cropped window's size and pasted into the keyframe size (the
  cropped-away margins come from the nearest keyframe, so the output keeps the input's size).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import cv2
import numpy as np
from PIL import Image


class FitMode(str, Enum):
    pad = "pad"
    crop = "crop"


@dataclass(frozen=True)
class GridFit:
    """Where a frame of `source_size` sits inside the grid: the window (top, left, height, width) it occupies."""

    mode: FitMode
    source_size: tuple[int, int]  # (height, width) of the keyframes
    grid_size: tuple[int, int]  # (height, width) of the model grid
    scaled_size: tuple[int, int]  # (height, width) of the keyframe after scaling
    offset: tuple[int, int]  # (top, left) of the scaled keyframe in grid coordinates (negative when cropped)

    @classmethod
    def plan(cls, mode: FitMode, source_size: tuple[int, int], grid_size: tuple[int, int]) -> "GridFit":
        (height, width), (grid_height, grid_width) = source_size, grid_size
        if mode is FitMode.pad:
            scale = min(grid_height / height, grid_width / width)
            scaled = (max(1, round(height * scale)), max(1, round(width * scale)))
            offset = ((grid_height - scaled[0]) // 2, (grid_width - scaled[1]) // 2)
        else:  # torchvision Resize(short side) truncates the long side; CenterCrop rounds the offset half-to-even
            short, long = min(height, width), max(height, width)
            long_scaled = int(grid_height * long / short)
            scaled = (grid_height, long_scaled) if height <= width else (long_scaled, grid_height)
            offset = tuple(-round((size - grid) / 2) if size > grid else (grid - size) // 2
                           for size, grid in zip(scaled, grid_size))
        return cls(mode, source_size, grid_size, scaled, offset)

    def to_grid(self, image: np.ndarray) -> np.ndarray:
        """RGB uint8 keyframe -> RGB uint8 of the grid size."""
        top, left = self.offset
        if self.mode is FitMode.crop:  # as the reference: PIL bilinear resize (torchvision Resize on a PIL image)
            resized = Image.fromarray(image).resize(self.scaled_size[::-1], Image.Resampling.BILINEAR)
            return _paste(np.asarray(resized), self.grid_size, top, left)
        scaled = resize(image, self.scaled_size)
        bottom = self.grid_size[0] - self.scaled_size[0] - top
        right = self.grid_size[1] - self.scaled_size[1] - left
        return cv2.copyMakeBorder(scaled, top, bottom, left, right, cv2.BORDER_REPLICATE)

    def from_grid(self, generated: np.ndarray, nearest_keyframe: np.ndarray) -> np.ndarray:
        """A generated grid frame -> a frame of the keyframes' size."""
        return resize(self.scaled_frame(generated, nearest_keyframe), self.source_size)

    def scaled_frame(self, generated: np.ndarray, nearest_keyframe: np.ndarray) -> np.ndarray:
        """A generated grid frame -> the whole picture at the grid's scale (`scaled_size`, the keyframes' aspect)."""
        top, left = self.offset
        if self.mode is FitMode.pad:
            return generated[top: top + self.scaled_size[0], left: left + self.scaled_size[1]]
        # crop: paste the part of the grid that shows the keyframe back over the (scaled) nearest keyframe
        result = resize(nearest_keyframe, self.scaled_size).copy()
        scaled_window, grid_window = _overlap(self.scaled_size, self.grid_size, top, left)
        result[scaled_window] = generated[grid_window]
        return result


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`image` at `size` (height, width): area-averaged when shrinking, bicubic when growing, itself when equal."""
    height, width = size
    if image.shape[:2] == size:
        return image
    shrinking = height * width < image.shape[0] * image.shape[1]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def _paste(scaled: np.ndarray, grid_size: tuple[int, int], top: int, left: int) -> np.ndarray:
    """Centre `scaled` on a black grid, cropping what overflows (the reference's CenterCrop, zero-padded)."""
    grid = np.zeros((*grid_size, 3), np.uint8)
    scaled_window, grid_window = _overlap(scaled.shape[:2], grid_size, top, left)
    grid[grid_window] = scaled[scaled_window]
    return grid


def _overlap(scaled_size: tuple[int, int], grid_size: tuple[int, int], top: int, left: int):
    """Index windows (scaled image, grid) of the region both share when the scaled image sits at (top, left)."""
    windows = []
    for offset, scaled_extent, grid_extent in ((top, scaled_size[0], grid_size[0]), (left, scaled_size[1], grid_size[1])):
        length = min(scaled_extent - max(0, -offset), grid_extent - max(0, offset))
        windows.append((slice(max(0, -offset), max(0, -offset) + length), slice(max(0, offset), max(0, offset) + length)))
    (scaled_rows, grid_rows), (scaled_cols, grid_cols) = windows
    return (scaled_rows, scaled_cols), (grid_rows, grid_cols)
