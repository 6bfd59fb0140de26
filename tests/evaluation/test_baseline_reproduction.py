"""The harness against BASELINE.md on real clips from ../shared/data (skipped when that folder is absent)."""

from fractions import Fraction

import pytest

from tooncrafter_batch.backends.baseline import BlendInterpolator, DuplicateInterpolator
from tooncrafter_batch.evaluation.ffmpeg_baseline import through_yuv444p
from tooncrafter_batch.evaluation.protocols import Protocol, ProtocolKind, build_cases, load_clip
from tooncrafter_batch.evaluation.runner import predict_with_backend, score_method


@pytest.fixture(scope="module")
def onepiece(shared_data):
    return load_clip(shared_data / "onepiece_demo.mp4")


@pytest.mark.parametrize("protocol, n, motion", [
    (Protocol(ProtocolKind.sub, 2), 90, 25), (Protocol(ProtocolKind.sub, 4), 135, 48), (Protocol(ProtocolKind.uniq), 23, 20),
])
def test_case_counts_match_baseline_on_onepiece(onepiece, protocol, n, motion):
    cases = build_cases(onepiece, protocol)
    assert (len(cases), sum(case.is_motion for case in cases)) == (n, motion)


@pytest.mark.parametrize("backend, expected", [(BlendInterpolator(), 21.44), (DuplicateInterpolator(), 19.41)])
def test_baselines_through_yuv444p_reproduce_baseline_md(shared_data, backend, expected):
    clip = load_clip(shared_data / "eisai_konobi_e007_drawings", Fraction(12))
    cases = build_cases(clip, Protocol(ProtocolKind.uniq))
    result = score_method(backend.name, lambda c, k: map(through_yuv444p, predict_with_backend(backend, c, k)),
                          clip, cases)
    assert result.overall().n == 17 and result.motion().n == 17
    assert result.overall().psnr == pytest.approx(expected, abs=0.2)
