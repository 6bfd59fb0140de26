"""Sketch-guided flow against plain flow on synthetic motions with known truth.

`python benchmarks/sketch_flow.py`: for each case (a ball thrown on an arc; a limb swinging the long way round,
over the top), the keyframes are t = 0 and 1, one sketch is given at t = 0.5 (the line art of the true frame, as
`toonbatch sketch extract` would draw it), and the in-betweens t = 1/8 .. 7/8 are scored against the truth:
mean PSNR (dB) and mean line chamfer distance (px) of `evaluation.metrics`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from tooncrafter_batch.backends.flow import FlowInterpolator
from tooncrafter_batch.backends.sketch_flow import SketchGuidedFlow
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.evaluation.metrics import chamfer_distance, psnr
from tooncrafter_batch.imaging.line_art import extract_line_art, normalise_line_art

WIDTH, HEIGHT = 320, 192
POSITIONS = [index / 8 for index in range(1, 8)]
SKETCH_POSITION = 0.5
_SUBPIXEL = 4  # fixed-point bits for smooth sub-pixel motion
_OUTLINE = 2


@dataclass(frozen=True)
class Score:
    psnr: float
    chamfer: float
    seconds: float


def _backdrop() -> np.ndarray:
    """A soft painted backdrop (gradient and blurred noise, no lines) with one static outlined box."""
    rng = np.random.default_rng(7)
    rows = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None, None]
    image = np.array((150, 190, 230), np.float32) * (1 - rows) + np.array((230, 225, 200), np.float32) * rows
    image = np.broadcast_to(image, (HEIGHT, WIDTH, 3)).copy()
    image += 12 * cv2.resize(rng.normal(0, 1, (5, 8, 3)).astype(np.float32), (WIDTH, HEIGHT),
                             interpolation=cv2.INTER_CUBIC)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    cv2.rectangle(image, (284, 150), (314, 186), (120, 90, 60), -1)
    cv2.rectangle(image, (284, 150), (314, 186), (0, 0, 0), _OUTLINE, cv2.LINE_AA)
    return image


def _draw_polygon(image: np.ndarray, points: np.ndarray, colour: tuple[int, int, int]) -> None:
    fixed = np.rint(points * (1 << _SUBPIXEL)).astype(np.int32)
    cv2.fillPoly(image, [fixed], colour, cv2.LINE_AA, _SUBPIXEL)
    cv2.polylines(image, [fixed], True, (0, 0, 0), _OUTLINE, cv2.LINE_AA, _SUBPIXEL)


def arc_frame(t: float) -> np.ndarray:
    """A ball thrown from lower left to lower right on a high arc: at t = 0.5 it is at the top."""
    image = _backdrop()
    centre = np.array([0.2 * WIDTH + 0.6 * WIDTH * t, 0.78 * HEIGHT - 0.58 * HEIGHT * math.sin(math.pi * t)])
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    _draw_polygon(image, centre + 16 * np.stack([np.cos(angles), np.sin(angles)], axis=1), (230, 80, 40))
    return image


def limb_frame(t: float) -> np.ndarray:
    """An arm swinging from 120 degrees left of up to 120 degrees right of up, the long way: over the top."""
    image = _backdrop()
    pivot = np.array([0.3 * WIDTH, 0.5 * HEIGHT])
    angle = math.radians(-120 + 240 * t)  # 0 = pointing up, clockwise
    direction, across = np.array([math.sin(angle), -math.cos(angle)]), np.array([math.cos(angle), math.sin(angle)])
    corners = [pivot + 8 * across - 6 * direction, pivot + 8 * across + 62 * direction,
               pivot - 8 * across + 62 * direction, pivot - 8 * across - 6 * direction]
    _draw_polygon(image, np.array(corners), (60, 170, 80))
    body = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    _draw_polygon(image, pivot + 18 * np.stack([np.cos(body), np.sin(body)], axis=1), (70, 110, 220))
    return image


CASES: dict[str, Callable[[float], np.ndarray]] = {"arc": arc_frame, "limb": limb_frame}


def _score(frames: list[np.ndarray], render: Callable[[float], np.ndarray], seconds: float) -> Score:
    truths = [render(t) for t in POSITIONS]
    return Score(psnr=float(np.mean([psnr(frame, truth) for frame, truth in zip(frames, truths)])),
                 chamfer=float(np.mean([chamfer_distance(frame, truth) for frame, truth in zip(frames, truths)])),
                 seconds=seconds)


def measure(render: Callable[[float], np.ndarray]) -> tuple[Score, Score]:
    """(plain flow, sketch-guided flow) scores of one case."""
    pair = Pair(render(0.0), render(1.0))
    started = time.perf_counter()
    plain = FlowInterpolator().interpolate_pair(pair, POSITIONS)
    plain_seconds = time.perf_counter() - started
    sketch = normalise_line_art(extract_line_art(render(SKETCH_POSITION)))
    started = time.perf_counter()
    guided = SketchGuidedFlow().interpolate_guided(pair, POSITIONS, {SKETCH_POSITION: sketch})
    guided_seconds = time.perf_counter() - started
    return _score(plain, render, plain_seconds), _score(guided, render, guided_seconds)


def main() -> None:
    print(f"{WIDTH}x{HEIGHT}, in-betweens t = 1/8..7/8, one sketch at t = {SKETCH_POSITION}")
    print(f"{'case':6} {'method':8} {'PSNR dB':>8} {'chamfer px':>11} {'seconds':>8}")
    for name, render in CASES.items():
        plain, guided = measure(render)
        for method, score in (("flow", plain), ("sketch", guided)):
            print(f"{name:6} {method:8} {score.psnr:8.2f} {score.chamfer:11.2f} {score.seconds:8.2f}")
        print(f"{name:6} gain: {guided.psnr - plain.psnr:+.2f} dB, chamfer {100 * (1 - guided.chamfer / plain.chamfer):.0f}% lower")


if __name__ == "__main__":
    main()
