"""Running ffmpeg's minterpolate on protocol cases (the ffmpeg program is optional: those tests skip without it)."""

import shutil
from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.errors import BackendError
from tooncrafter_batch.evaluation import ffmpeg_baseline
from tooncrafter_batch.evaluation.ffmpeg_baseline import (keyframe_chains, predict_with_ffmpeg, require_ffmpeg,
                                                          sampling_factor, through_yuv444p)
from tooncrafter_batch.evaluation.metrics import psnr
from tooncrafter_batch.evaluation.protocols import Case, Clip

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="the ffmpeg program is not installed")


def _case(left, right, truth, position=0.5):
    return Case(left, right, truth, position, 0, True)


def test_sub_cases_make_one_chain():
    cases = [_case(0, 4, t, (t % 4) / 4) for t in (1, 2, 3)] + [_case(4, 8, t, (t % 4) / 4) for t in (5, 6, 7)]
    assert keyframe_chains(cases) == [[0, 4, 8]]
    assert sampling_factor(cases) == 4


def test_uniq_cases_split_into_chains_of_alternate_drawings():
    # distinct drawings 0, 2, 5, 6, 9 (one shot) and 12, 13, 15 after a cut
    cases = [_case(0, 5, 2), _case(2, 6, 5), _case(5, 9, 6), _case(12, 15, 13)]
    assert keyframe_chains(cases) == [[0, 5, 9], [2, 6], [12, 15]]
    assert sampling_factor(cases) == 2


def test_missing_ffmpeg_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(ffmpeg_baseline.shutil, "which", lambda name: None)
    with pytest.raises(BackendError, match="apt-get install ffmpeg"):
        require_ffmpeg()


def test_yuv444p_round_trip_is_close_but_lossy():
    frame = np.random.default_rng(0).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    round_trip = through_yuv444p(frame)
    assert round_trip.shape == frame.shape and round_trip.dtype == np.uint8
    assert 35 < psnr(round_trip, frame) < 60


def _noise_clip(num_frames=5):
    rng = np.random.default_rng(1)
    return Clip("noise", tuple(rng.integers(0, 256, (16, 24, 3), dtype=np.uint8) for _ in range(num_frames)),
                Fraction(24000, 1001))


@needs_ffmpeg
def test_ffmpeg_dup_is_our_duplicate_through_yuv444p():
    clip = _noise_clip()
    cases = [_case(0, 2, 1), _case(2, 4, 3)]
    predictions = list(predict_with_ffmpeg("ffmpeg_dup", clip, cases))
    # at exactly t = 0.5 dup shows the earlier frame; the last pair's in-between exists (the chain is padded)
    assert np.array_equal(predictions[0], through_yuv444p(clip.frames[0]))
    assert np.array_equal(predictions[1], through_yuv444p(clip.frames[2]))


@needs_ffmpeg
def test_ffmpeg_blend_rebuilds_quarter_positions():
    clip = Clip("ramp", tuple(np.full((16, 24, 3), 40 * i, np.uint8) for i in range(5)), Fraction(24))
    cases = [_case(0, 4, t, t / 4) for t in (1, 2, 3)]
    predictions = list(predict_with_ffmpeg("ffmpeg_blend", clip, cases))
    assert [abs(int(p[8, 12, 1]) - 40 * t) <= 2 for p, t in zip(predictions, (1, 2, 3))] == [True] * 3
