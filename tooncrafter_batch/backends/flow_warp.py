"""Vectorised flow-field helpers for the `flow` backend: sampling a field along offsets, inverting a flow in time,
and forward/backward consistency. All fields share one (h, w) grid; offsets and flows are in its pixels."""

from __future__ import annotations

import numpy as np
import cv2

_TRACE_ITERATIONS = 4


def resample(field: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """`field` sampled at every pixel plus its offset (bilinear, edges repeated). field (h, w[, c]), offsets (h, w, 2)."""
    height, width = offsets.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(field, grid_x + offsets[..., 0], grid_y + offsets[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def consistency_error(flow: np.ndarray, reverse: np.ndarray) -> np.ndarray:
    """How far a round trip along `flow` then `reverse` misses its start, per pixel (h, w) float32."""
    round_trip = flow + resample(reverse, flow)
    return np.sqrt((round_trip * round_trip).sum(axis=2))


def trace_back(flow: np.ndarray, position: float) -> np.ndarray:
    """Offsets from each pixel at time `position` to where it was at time 0, under `flow` (time 0 -> time 1).

    Solves source = pixel - position * flow(source) by fixed-point iteration, starting from flow(pixel).
    """
    offsets = -position * flow
    for _ in range(_TRACE_ITERATIONS):
        offsets = -position * resample(flow, offsets)
    return offsets
