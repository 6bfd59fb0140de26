"""Vectorised flow-field helpers for the `flow` backend: sampling a field along offsets, inverting a flow in time,
forward/backward consistency, and warping a full-resolution image along offsets given at flow resolution.
Offsets and flows are in pixels of the grid they are given on."""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

_TRACE_ITERATIONS = 1  # one step past the first guess: more did not help on the synthetic or the real clips


@lru_cache(maxsize=16)
def pixel_grid(height: int, width: int) -> np.ndarray:
    """The (x, y) coordinate of every pixel, (height, width, 2) float32, read-only."""
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    grid = np.dstack([grid_x, grid_y])
    grid.flags.writeable = False
    return grid


def resample(field: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`field` (h, w[, c]) sampled at every pixel plus its offset (h, w, 2): bilinear, edges repeated."""
    coordinates = pixel_grid(*offsets.shape[:2]) + offsets
    return cv2.remap(field, coordinates, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def consistency_error(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """How far a round trip along `flow` then `reverse` misses its start, per pixel (h, w) float32."""
    round_trip = flow + resample(reverse, flow)
    return cv2.magnitude(round_trip[..., 0], round_trip[..., 1])


def trace_back(flow: np.ndarray, position: float) -> np.ndarray:
    """Offsets from each pixel at time `position` to where it was at time 0, under `flow` (time 0 -> time 1).

    Solves source = pixel - position * flow(source) by fixed-point iteration, starting from flow(pixel).
    """
    offsets = -position * flow
    for _ in range(_TRACE_ITERATIONS):
        offsets = -position * resample(flow, offsets)
    return offsets


def upsample(field: np.ndarray, height: int, width: int) -> np.ndarray:
    """A flow-resolution field resized (bilinear) to height x width; values unchanged."""
    if field.shape[:2] == (height, width):
        return field
    return cv2.resize(field, (width, height), interpolation=cv2.INTER_LINEAR)


def to_full_resolution(motion: np.ndarray, height: int, width: int) -> np.ndarray:
    """A flow-resolution motion field (h, w, 2) as full-resolution pixels (height, width, 2)."""
    scale = np.array([width / motion.shape[1], height / motion.shape[0]], dtype=np.float32)
    return upsample(motion * scale, height, width)


def warp_image(image: np.ndarray, motion: np.ndarray, amount: float) -> np.ndarray:
    """`image` sampled at each of its pixels plus `amount` times `motion` (full resolution, (h, w, 2))."""
    coordinates = cv2.scaleAdd(motion, amount, pixel_grid(*image.shape[:2]))
    return cv2.remap(image, coordinates, None, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
