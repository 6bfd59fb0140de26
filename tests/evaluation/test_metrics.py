"""Per-frame metrics on synthetic images with known answers."""

import math

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from tooncrafter_batch.evaluation.metrics import (CHAMFER_CAP, PSNR_CAP, chamfer_distance, line_map, luma, psnr,
                                                  score_frame, ssim)


def _noise(seed: int, shape=(48, 64, 3)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _line_drawing(offset: int = 0, width: int = 96, height: int = 64) -> np.ndarray:
    """White paper with a 2-px black vertical stroke at x = 30 + offset and a flat pink square."""
    image = np.full((height, width, 3), 255, np.uint8)
    image[:, 30 + offset : 32 + offset] = 0
    image[40:60, 60:80] = (250, 180, 200)
    return image


def test_identical_frames_hit_the_psnr_cap():
    frame = _noise(0)
    assert psnr(frame, frame.copy()) == PSNR_CAP


def test_constant_offset_gives_the_textbook_psnr():
    truth = np.full((10, 10, 3), 100, np.uint8)
    prediction = truth + 10  # MSE = 100
    assert psnr(prediction, truth) == pytest.approx(10 * math.log10(255**2 / 100), abs=1e-9)


def test_tiny_error_is_capped_at_60_db():
    truth = np.zeros((100, 100, 3), np.uint8)
    prediction = truth.copy()
    prediction[0, 0, 0] = 1  # MSE = 1 / 30000 -> 92.8 dB uncapped
    assert psnr(prediction, truth) == PSNR_CAP


def test_luma_uses_the_rec601_weights():
    pixel = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    assert luma(pixel)[0].tolist() == pytest.approx([0.299 * 255, 0.587 * 255, 0.114 * 255])


@pytest.mark.parametrize("seed, noise", [(1, 5), (2, 40), (3, 120)])
def test_ssim_equals_skimage_on_float_luma(seed, noise):
    truth = _noise(seed)
    rng = np.random.default_rng(seed + 10)
    prediction = np.clip(truth.astype(int) + rng.integers(-noise, noise + 1, truth.shape), 0, 255).astype(np.uint8)
    expected = structural_similarity(luma(prediction), luma(truth), data_range=255.0)
    assert ssim(prediction, truth) == pytest.approx(expected, abs=1e-12)


def test_ssim_of_identical_frames_is_one():
    frame = _noise(4)
    assert ssim(frame, frame) == pytest.approx(1.0)


def test_line_map_finds_strokes_not_flat_colour():
    lines = line_map(_line_drawing())
    assert lines[:, 30:32].all()
    assert not lines[:, :25].any()
    assert not lines[38:62, 58:82].any()  # the flat square and its rim


def test_chamfer_of_identical_drawings_is_zero():
    drawing = _line_drawing()
    assert chamfer_distance(drawing, drawing.copy()) == 0.0


def test_chamfer_grows_with_displacement():
    truth = _line_drawing()
    distances = [chamfer_distance(_line_drawing(offset), truth) for offset in (1, 3, 6, 12)]
    # the stroke is the only line; shifted by d, its two columns lie d - 1 and d from the true ones
    assert distances == pytest.approx([0.5, 2.5, 5.5, 11.5], abs=1e-6)


def test_chamfer_punishes_a_ghosted_double_line():
    truth = _line_drawing()
    crisp = _line_drawing(4)
    ghost = ((truth.astype(np.float32) + _line_drawing(8)) / 2).round().astype(np.uint8)
    assert chamfer_distance(ghost, truth) > 0
    assert psnr(ghost, truth) > psnr(crisp, truth)  # PSNR prefers the ghost...
    assert chamfer_distance(ghost, truth) > chamfer_distance(_line_drawing(1), truth)


def test_chamfer_with_empty_line_maps():
    blank = np.full((32, 32, 3), 200, np.uint8)
    assert chamfer_distance(blank, blank) == 0.0
    assert chamfer_distance(_line_drawing(width=32, offset=-20), blank) == CHAMFER_CAP


def test_score_frame_bundles_the_three_metrics():
    truth, prediction = _line_drawing(), _line_drawing(2)
    score = score_frame(prediction, truth)
    assert score.psnr == psnr(prediction, truth)
    assert score.ssim == ssim(prediction, truth)
    assert score.chamfer == chamfer_distance(prediction, truth)
    assert cv2.PSNR(prediction, truth) == pytest.approx(score.psnr)
