"""planning.difficulty: the measures of a pair, on frames whose motion is known exactly."""

import numpy as np
import pytest

from tooncrafter_batch.planning.difficulty import OCCLUSION_PIXELS, measure_difficulty

HEIGHT, WIDTH = 48, 64


def _drawing(offset: int = 0, ink: bool = True) -> np.ndarray:
    """A pale frame with a dark-outlined filled square, `offset` px to the right."""
    image = np.full((HEIGHT, WIDTH, 3), 230, np.uint8)
    left = 16 + offset
    image[12:36, left : left + 20] = (200, 80, 60)
    if ink:
        image[12:36, left : left + 2] = 10
        image[12:36, left + 18 : left + 20] = 10
    return image


def _flow(dx: float) -> np.ndarray:
    flow = np.zeros((HEIGHT, WIDTH, 2), np.float32)
    flow[..., 0] = dx
    return flow


def test_a_still_pair_is_easy():
    image = _drawing()
    measured = measure_difficulty(image, image, _flow(0), np.zeros((HEIGHT, WIDTH), np.float32))
    assert (measured.motion, measured.occluded, measured.residual, measured.line_miss, measured.change) == (0, 0, 0, 0, 0)
    assert measured.score == 0


def test_motion_the_flow_explains_leaves_no_residual():
    start, end = _drawing(0), _drawing(6)
    measured = measure_difficulty(start, end, _flow(6), np.zeros((HEIGHT, WIDTH), np.float32))
    assert measured.motion == pytest.approx(6 / np.hypot(HEIGHT, WIDTH), rel=1e-6)
    assert measured.residual < 0.5 and measured.line_miss == 0
    assert measured.change > 10  # the keyframes themselves differ


def test_wrong_flow_shows_as_residual_and_missing_lines():
    start, end = _drawing(0), _drawing(6)
    right = measure_difficulty(start, end, _flow(6), np.zeros((HEIGHT, WIDTH), np.float32))
    wrong = measure_difficulty(start, end, _flow(0), np.zeros((HEIGHT, WIDTH), np.float32))
    assert wrong.residual > right.residual + 5
    assert wrong.line_miss > 0.5
    assert wrong.score > right.score


def test_hidden_points_count_as_occluded_and_stay_out_of_the_residual():
    start, end = _drawing(0), _drawing(6)
    miss = np.zeros((HEIGHT, WIDTH), np.float32)
    miss[:, :WIDTH // 4] = OCCLUSION_PIXELS + 1
    measured = measure_difficulty(start, end, _flow(6), miss)
    assert measured.occluded == pytest.approx(0.25)
    assert measured.residual < 0.5


def test_a_frame_without_ink_has_no_lines_to_miss():
    measured = measure_difficulty(_drawing(0, ink=False), _drawing(6, ink=False), _flow(0),
                                  np.zeros((HEIGHT, WIDTH), np.float32))
    assert measured.line_miss == 0
    assert measured.residual > 5
