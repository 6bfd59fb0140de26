"""The cadence of a blending conversion, from the blends found (held drawings hide most of them)."""

from fractions import Fraction

import pytest

from tooncrafter_batch.planning.blend_cadence import BlendCadence, lock_blend_cadence

NTSC_VIDEO = Fraction(30000, 1001)


@pytest.mark.parametrize("blended, frame_rate, expected", [
    pytest.param(tuple(range(2, 60, 5)), NTSC_VIDEO, BlendCadence(5, 2), id="every-fifth"),
    pytest.param((102, 132, 147, 162, 177, 192), NTSC_VIDEO, BlendCadence(5, 2), id="held-on-threes"),  # 15 apart
    pytest.param((3, 8, 13, 18, 40), NTSC_VIDEO, None, id="one-off-phase-in-five"),
    pytest.param((3, 8, 13, 18, 23, 28, 33, 38, 43, 40), NTSC_VIDEO, BlendCadence(5, 3), id="one-off-phase-in-ten"),
    pytest.param(tuple(range(4, 80, 6)), NTSC_VIDEO, BlendCadence(6, 4), id="pal-to-ntsc"),  # 25 -> 30000/1001
    pytest.param(tuple(range(2, 60, 7)), NTSC_VIDEO, None, id="no-standard-source-rate"),
    pytest.param((2, 7, 12), NTSC_VIDEO, None, id="too-few"),
    pytest.param((2, 7, 12, 17, 22, 24, 29, 34, 39, 44), NTSC_VIDEO, None, id="edited-after-conversion"),
])
def test_the_cadence_is_the_one_most_blends_fall_on(blended, frame_rate, expected):
    assert lock_blend_cadence(blended, frame_rate) == expected


@pytest.mark.parametrize("cadence, rate", [
    pytest.param(BlendCadence(5, 2), Fraction(24000, 1001), id="film"),
    pytest.param(BlendCadence(6, 0), Fraction(25), id="pal"),
])
def test_the_source_rate_is_the_standard_one(cadence, rate):
    assert cadence.source_rate(NTSC_VIDEO) == rate
    assert [index for index in range(12) if cadence.is_blend(index)] == [cadence.phase, cadence.phase + cadence.period]
