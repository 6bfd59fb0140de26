"""The `flow` backend against the true in-betweens of the synthetic cartoon."""

import pickle
from fractions import Fraction

import cv2
import numpy as np
import pytest

from tooncrafter_batch.backends.baseline import BlendInterpolator
from tooncrafter_batch.backends.flow import FlowInterpolator
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import BackendError
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

SPEC = CartoonSpec(width=320, height=180, num_frames=24, frame_rate=Fraction(24))  # animated on ones
POSITIONS = [0.25, 0.5, 0.75]


def _psnr(prediction: np.ndarray, truth: np.ndarray) -> float:
    error = np.mean((prediction.astype(np.float64) - truth) ** 2)
    return float(10 * np.log10(255.0**2 / max(error, 1e-10)))


def _mean_psnr(backend, keyframes: list[int]) -> float:
    pairs = [Pair(render_frame(SPEC, Fraction(k, 24)), render_frame(SPEC, Fraction(k + 1, 24))) for k in keyframes]
    outputs = backend.interpolate(pairs, [POSITIONS] * len(pairs))
    return float(np.mean([_psnr(frame, render_frame(SPEC, (k + t) / 24))
                          for k, frames in zip(keyframes, outputs) for t, frame in zip(POSITIONS, frames)]))


def test_flow_beats_blend_by_2_db_on_true_in_betweens():
    keyframes = [2, 7, 12, 17, 21]
    flow, blend = _mean_psnr(FlowInterpolator(), keyframes), _mean_psnr(BlendInterpolator(), keyframes)
    assert flow >= blend + 2.0, f"flow {flow:.2f} dB vs blend {blend:.2f} dB"


def test_flow_is_deterministic_whatever_the_threads_and_picklable():
    backend = pickle.loads(pickle.dumps(FlowInterpolator(flow_width=160)))
    pair = Pair(render_frame(SPEC, Fraction(3, 24)), render_frame(SPEC, Fraction(4, 24)))
    first = backend.interpolate([pair], [POSITIONS])
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        second = FlowInterpolator(flow_width=160).interpolate([pair], [POSITIONS])
    finally:
        cv2.setNumThreads(threads)
    assert all(np.array_equal(a, b) for a, b in zip(first[0], second[0]))


@pytest.mark.parametrize("height, width", [(1, 1), (17, 5), (9, 16)])
def test_tiny_frames_work(height, width):
    rng = np.random.default_rng(height)
    start, end = (rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(2))
    frames = FlowInterpolator().interpolate([Pair(start, end)], [[0.5]])[0]
    assert frames[0].shape == (height, width, 3) and frames[0].dtype == np.uint8


@pytest.mark.parametrize("options", [
    pytest.param({"flow_width": 4}, id="tiny-flow"),
    pytest.param({"preset": "slowest"}, id="unknown-preset"),
])
def test_bad_options_are_refused(options):
    with pytest.raises(BackendError):
        FlowInterpolator(**options)


def _disc(centre_x: float) -> np.ndarray:
    image = np.full((90, 160, 3), (200, 220, 240), np.uint8)
    centre = (round(centre_x * 16), 45 * 16)
    cv2.circle(image, centre, 20 * 16, (230, 80, 40), -1, cv2.LINE_AA, 4)
    cv2.circle(image, centre, 20 * 16, (0, 0, 0), 2, cv2.LINE_AA, 4)
    return image


def test_a_moving_outlined_disc_is_not_ghosted():
    start, middle, end = _disc(50), _disc(62), _disc(74)
    frame = FlowInterpolator().interpolate([Pair(start, end)], [[0.5]])[0][0]
    assert _psnr(frame, middle) > 33
    blend = BlendInterpolator().interpolate([Pair(start, end)], [[0.5]])[0][0]
    assert _wrong_pixels(frame, middle) < _wrong_pixels(blend, middle) / 10, "no half-faded copies of disc or outline"


def _wrong_pixels(image: np.ndarray, truth: np.ndarray) -> int:
    return int((np.abs(image.astype(int) - truth).max(axis=2) > 40).sum())


def test_a_held_drawing_with_compression_noise_is_cross_faded_not_warped():
    drawing = render_frame(SPEC, Fraction(5, 24))
    noise = np.random.default_rng(0).integers(-3, 4, drawing.shape)
    noisy = np.clip(drawing.astype(int) + noise, 0, 255).astype(np.uint8)
    frames = FlowInterpolator().interpolate([Pair(drawing, noisy)], [POSITIONS])[0]
    for position, frame in zip(POSITIONS, frames):
        fade = (1 - position) * drawing.astype(float) + position * noisy
        assert np.abs(frame - fade).max() <= 1, f"t={position} is the cross-fade"
