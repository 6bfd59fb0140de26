"""Sketch-guided flow: with one sketch at t = 0.5 it beats plain flow on motions plain flow cannot guess."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from tooncrafter_batch.backends.sketch_flow import SketchGuidedFlow
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import BackendError
from tooncrafter_batch.evaluation.metrics import chamfer_distance, psnr
from tooncrafter_batch.imaging.line_art import extract_line_art, normalise_line_art

_BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "sketch_flow.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("sketch_flow_benchmark", _BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


BENCHMARK = _benchmark()


@pytest.mark.parametrize("case", ["arc", "limb"])
def test_one_sketch_beats_plain_flow_by_2db_and_a_quarter_of_the_chamfer(case):
    plain, guided = BENCHMARK.measure(BENCHMARK.CASES[case])
    assert guided.psnr >= plain.psnr + 2.0
    assert guided.chamfer <= 0.75 * plain.chamfer


def test_the_limb_swings_over_the_top_as_sketched():
    render = BENCHMARK.limb_frame
    pair = Pair(render(0.0), render(1.0))
    sketch = normalise_line_art(extract_line_art(render(0.5)))
    quarter, three_quarters = SketchGuidedFlow().interpolate_guided(pair, [0.25, 0.75], {0.5: sketch})
    for frame, time in ((quarter, 0.25), (three_quarters, 0.75)):
        assert psnr(frame, render(time)) > 21.0
        assert chamfer_distance(frame, render(time)) < 2.0  # the arm is where the truth has it, not below


def test_sketch_at_the_keyframe_size_only():
    image = np.zeros((40, 60, 3), np.uint8)
    guide = SketchGuidedFlow()
    with pytest.raises(BackendError, match="does not match the keyframes"):
        guide.interpolate_guided(Pair(image, image), [0.5], {0.5: np.zeros((20, 30), np.float32)})
    with pytest.raises(BackendError, match="strictly between the keyframes"):
        guide.interpolate_guided(Pair(image, image), [0.5], {1.0: np.zeros((40, 60), np.float32)})


def test_a_sketch_unlike_the_keyframes_falls_back_to_plain_flow():
    render = BENCHMARK.arc_frame
    pair = Pair(render(0.0), render(1.0))
    guide = SketchGuidedFlow()
    frames = guide.interpolate_guided(pair, [0.5], {0.5: np.zeros(pair.start.shape[:2], np.float32)})
    np.testing.assert_array_equal(frames[0], guide.flow.interpolate_pair(pair, [0.5])[0])
