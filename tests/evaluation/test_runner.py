"""Scoring backends on protocol cases and aggregating the scores."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.backends.baseline import BlendInterpolator
from tooncrafter_batch.errors import BackendError, SettingsError
from tooncrafter_batch.evaluation.metrics import PSNR_CAP, FrameScore
from tooncrafter_batch.evaluation.protocols import Case, Clip, Protocol, ProtocolKind
from tooncrafter_batch.evaluation.report import markdown_table, results_to_dict
from tooncrafter_batch.evaluation.runner import (EvaluationSettings, parse_backend, MethodResult, ProtocolResult, combine,
                                                 evaluate_clip, predict_with_backend, summarize)


def _ramp_clip(num_frames: int = 9) -> Clip:
    """Frame i is flat grey 20 * i: a cross-fade predicts every in-between exactly."""
    return Clip("ramp", tuple(np.full((16, 24, 3), 20 * i, np.uint8) for i in range(num_frames)), Fraction(24))


class _Recorder(BlendInterpolator):
    """Blend that records how it was called."""

    max_batch = 2

    def __init__(self):
        self.calls = []

    def interpolate(self, pairs, times):
        self.calls.append([list(t) for t in times])
        return super().interpolate(pairs, times)


def test_backend_sees_each_pair_once_with_all_its_positions_in_batches():
    clip = _ramp_clip()
    cases = [Case(0, 4, 1, 0.25, 0, True), Case(0, 4, 2, 0.5, 0, True), Case(0, 4, 3, 0.75, 0, True),
             Case(4, 8, 5, 0.25, 0, True), Case(4, 8, 6, 0.5, 0, True), Case(4, 8, 7, 0.75, 0, True),
             Case(2, 6, 4, 0.5, 0, True)]
    backend = _Recorder()
    predictions = list(predict_with_backend(backend, clip, cases))
    assert backend.calls == [[[0.25, 0.5, 0.75], [0.25, 0.5, 0.75]], [[0.5]]]
    assert [int(p[0, 0, 0]) for p in predictions] == [20, 40, 60, 100, 120, 140, 80]


def test_evaluate_clip_scores_every_protocol_and_method():
    settings = EvaluationSettings(protocols=(Protocol(ProtocolKind.sub, 2), Protocol(ProtocolKind.sub, 4)),
                                  backends=("blend", "duplicate"))
    results = evaluate_clip(_ramp_clip(), settings)
    assert [r.protocol.name for r in results] == ["sub_k2", "sub_k4"]
    blend, duplicate = results[1].methods
    assert blend.name == "blend" and blend.overall().n == 6
    assert blend.overall().psnr == PSNR_CAP and blend.overall().ssim == pytest.approx(1.0)
    assert duplicate.overall().psnr < 30  # a held frame is 20..40 grey levels off


def _result(clip: str, psnrs: list[float], motion: list[bool], scenes: list[int]) -> ProtocolResult:
    cases = tuple(Case(0, 2, 1, 0.5, scene, is_motion) for is_motion, scene in zip(motion, scenes))
    scores = tuple(FrameScore(p, 0.5, 1.0) for p in psnrs)
    method = MethodResult("flow", cases, scores, seconds=2.0)
    return ProtocolResult(clip, Protocol(ProtocolKind.uniq), (), (method,))


def test_summaries_overall_motion_and_per_scene():
    method = _result("a", [10, 20, 30, 40], [True, False, True, True], [0, 0, 1, 1]).methods[0]
    assert method.overall().psnr == 25 and method.overall().n == 4
    assert method.motion().psnr == pytest.approx(80 / 3) and method.motion().n == 3
    assert {k: v.psnr for k, v in method.per_scene().items()} == {0: 15, 1: 35}
    assert np.isnan(summarize([]).psnr)


def test_several_clips_combine_frame_weighted():
    combined = combine([_result("a", [10], [True], [0]), _result("b", [40, 40, 40], [False, True, True], [0] * 3)])
    overall, motion = combined["flow"]
    assert overall.n == 4 and overall.psnr == pytest.approx(32.5)  # not (10 + 40) / 2
    assert motion.n == 3 and motion.psnr == pytest.approx(30)


def test_report_shapes():
    single = results_to_dict([_result("a", [10, 20], [True, False], [0, 0])])
    assert set(single) == {"clip", "protocol", "factor", "methods"}
    assert single["protocol"] == "uniq" and single["factor"] == 2
    flow = single["methods"]["flow"]
    assert flow["overall"] == {"n": 2, "psnr": 15.0, "ssim": 0.5, "chamfer": 1.0}
    assert flow["motion"]["n"] == 1
    several = results_to_dict([_result("a", [10], [True], [0]), _result("a", [20], [True], [0])])
    assert several["clip"] == "a" and len(several["runs"]) == 2
    table = markdown_table([_result("a", [10], [True], [0]), _result("b", [40], [True], [0])])
    assert "| a | uniq | 1 (1) | 10.00 / 0.500 / 1.00 |" in table
    assert "| **all, frame-weighted** | uniq | 2 (2) | 25.00 / 0.500 / 1.00 |" in table


@pytest.mark.parametrize("kwargs, error", [
    pytest.param(dict(protocols=()), SettingsError, id="no-protocol"),
    pytest.param(dict(protocols=(Protocol(ProtocolKind.uniq),), backends=()), SettingsError, id="nothing-to-measure"),
    pytest.param(dict(protocols=(Protocol(ProtocolKind.uniq),), backends=("magic",)), BackendError, id="unknown"),
    pytest.param(dict(protocols=(Protocol(ProtocolKind.uniq),), input_fps=Fraction(0)), SettingsError, id="fps"),
])
def test_bad_settings_are_refused(kwargs, error):
    with pytest.raises(error):
        EvaluationSettings(**kwargs)


@pytest.mark.parametrize("text, expected", [
    pytest.param("rife", BackendSpec("rife"), id="plain"),
    pytest.param("rife:fit=pad,ensemble=true", BackendSpec("rife", (("ensemble", True), ("fit", "pad"))), id="options"),
    pytest.param("gmfss:scale=0.5", BackendSpec("gmfss", (("scale", 0.5),)), id="number"),
])
def test_backends_with_options_parse(text, expected):
    assert parse_backend(text) == expected


def test_backend_options_without_values_are_refused():
    with pytest.raises(SettingsError, match="name:key=value"):
        parse_backend("rife:ensemble")
