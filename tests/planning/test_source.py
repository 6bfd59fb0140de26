"""Source analysis: progressive, telecined (3:2, with holds and cadence breaks), interlaced and blended clips."""

from dataclasses import replace
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest

from tooncrafter_batch.datatypes import Scene
from tooncrafter_batch.planning.mixed_source import analyse_mixed
from tooncrafter_batch.planning.source import (
    SourceKind, analyse_scenes, analyse_source, blend_fit, comb_score, find_blended, find_soft_pulldown, luma,
    measure_frames, weave)
from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.video.legacy import NTSC_FILM, blend_convert, interlace, telecine

NTSC_VIDEO = Fraction(30000, 1001)


BASE = CartoonSpec(width=128, height=80, num_frames=40, frame_rate=NTSC_FILM, cut_at_frame=20, with_audio=False)


@lru_cache(maxsize=None)
def pictures(hold=(), num_frames=40, frame_rate=NTSC_FILM):
    spec = replace(BASE, hold_pattern=hold, num_frames=num_frames, frame_rate=frame_rate, cut_at_frame=num_frames // 2)
    return tuple(render_frames(spec))


def telecined(hold=(), top_field_first=True):
    return list(telecine(pictures(hold), top_field_first))


def interlaced(top_field_first=True):
    return list(interlace(pictures((), 80, 2 * NTSC_VIDEO), 2 * NTSC_VIDEO, top_field_first))


def blended(hold=()):
    return [image for _, image in blend_convert(pictures(hold, 48), NTSC_FILM, NTSC_VIDEO)]


def report_of(frames):
    return analyse_source(measure_frames(frames))


def test_comb_score_sees_woven_motion_and_not_thin_lines():
    first, second = (luma(image) for image in pictures()[10:12])
    assert comb_score(first) == 0.0
    assert comb_score(weave(first, second)) > 0.1
    lines = np.full((32, 32), 200, np.float32)
    lines[8::6] = 0  # one-pixel horizontal lines: detail, not comb
    assert comb_score(lines) == 0.0


def test_blend_fit_finds_the_weight():
    previous, following = (luma(image) for image in pictures()[10:12])
    weight, residual = blend_fit(previous, 0.3 * previous + 0.7 * following, following)
    assert weight == pytest.approx(0.3) and residual == pytest.approx(0.0, abs=1e-5)
    assert np.isnan(blend_fit(previous, following, previous.copy())[0])  # equal neighbours: no evidence


@pytest.mark.parametrize("make, kind, top_field_first", [
    pytest.param(lambda: pictures(()), SourceKind.progressive, None, id="progressive-ones"),
    pytest.param(lambda: pictures((2,)), SourceKind.progressive, None, id="progressive-twos"),
    pytest.param(lambda: pictures((1, 2, 3)), SourceKind.progressive, None, id="progressive-mixed-holds"),
    pytest.param(lambda: telecined(()), SourceKind.telecine, True, id="telecine-ones"),
    pytest.param(lambda: telecined((2,)), SourceKind.telecine, True, id="telecine-twos"),
    pytest.param(lambda: telecined((3,)), SourceKind.telecine, True, id="telecine-threes"),
    pytest.param(lambda: telecined((1, 2, 3), top_field_first=False), SourceKind.telecine, False, id="telecine-bff"),
    pytest.param(lambda: interlaced(True), SourceKind.interlaced, True, id="interlaced-tff"),
    pytest.param(lambda: interlaced(False), SourceKind.interlaced, False, id="interlaced-bff"),
    pytest.param(lambda: blended(()), SourceKind.blended, None, id="blended-ones"),
    pytest.param(lambda: blended((2,)), SourceKind.blended, None, id="blended-twos"),
])
def test_each_kind_is_recognised(make, kind, top_field_first):
    report = report_of(make())
    assert report.kind is kind, report
    assert report.top_field_first is top_field_first
    assert 0.5 < report.confidence <= 1.0


@pytest.mark.parametrize("hold", [(), (2,), (1, 2, 3)], ids=["ones", "twos", "mixed"])
def test_telecine_cadence_is_one_run_in_phase(hold):
    report = report_of(telecined(hold))
    assert report.residual_fraction == 0.0 and report.num_cadence_breaks == 0
    (run,) = report.cadence
    assert (run.start, run.end, run.top_field_first) == (0, 50, True)
    assert run.phase == 0 or hold  # on ones the phase is certain; holds may leave two phases alike


def test_telecine_starting_mid_cycle_has_that_phase():
    (run,) = report_of(telecined()[2:]).cadence
    assert run.role(0) == 2


def test_cadence_break_at_an_edit_is_found():
    first, second = (list(telecine(part)) for part in (pictures()[:20], pictures()[20:]))
    report = report_of(first[:13] + second[2:])  # the edit cuts both cycles: the phase moves by one
    assert report.kind is SourceKind.telecine and report.num_cadence_breaks == 1
    assert report.cadence[1].start == 13
    assert [run.role(run.start) for run in report.cadence] == [0, 2]


def test_blended_frames_are_the_mixes():
    report = report_of(blended())
    assert report.blended_frames == tuple(range(2, 60, 5))  # position 0.6 of each 5-frame cycle of 24 -> 30


def test_a_dissolve_is_not_a_blend():
    start, end = (image.astype(np.float32) for image in (pictures()[5], pictures()[30]))
    dissolve = [np.rint(start + (end - start) * step / 8).astype(np.uint8) for step in range(9)]
    clip = list(pictures()[:5]) + dissolve + list(pictures()[31:])
    assert find_blended(measure_frames(clip)) == ()
    assert report_of(clip).kind is SourceKind.progressive


def test_mixed_file_is_analysed_scene_by_scene():
    body, credits = telecined((2,)), interlaced()
    measures = measure_frames(body + credits)
    first, second = analyse_scenes(measures, [Scene(0, len(body)), Scene(len(body), len(body) + len(credits))])
    assert (first.kind, second.kind) == (SourceKind.telecine, SourceKind.interlaced)
    assert first.cadence[0].start == 0 and first.cadence[-1].end == len(body)


def test_a_mixed_clip_splits_into_segments_of_one_kind():
    body, credits = telecined((2,)), interlaced()
    measures = measure_frames(body + credits)
    whole = analyse_source(measures)
    report = analyse_mixed(measures, whole, [25, len(body), len(body) + 20])  # cuts inside each part too
    assert report.kind is SourceKind.mixed and report.num_frames == len(body) + len(credits)
    assert [(part.start, part.end, part.report.kind) for part in report.segments] == [
        (0, 50, SourceKind.telecine), (50, 90, SourceKind.interlaced)]
    assert report.segments[0].report.cadence[0].start == 0 and report.segments[1].report.cadence == ()


@pytest.mark.parametrize("frames, cuts", [
    pytest.param(lambda: telecined((2,)), [25], id="telecine-cut"),
    pytest.param(lambda: list(pictures()), [20], id="progressive-cut"),
    pytest.param(lambda: telecined()[:30] + [telecined()[30]] * 12 + telecined()[30:], [30, 42], id="still-scene"),
    pytest.param(lambda: list(pictures()[:30]) + blended(), [30], id="progressive-then-blended"),
])
def test_one_kind_keeps_the_whole_clips_report(frames, cuts):
    measures = measure_frames(frames())
    whole = analyse_source(measures)
    assert analyse_mixed(measures, whole, cuts) is whole


def test_scene_cadence_counts_from_the_clip_start():
    frames = list(pictures()) + telecined()
    (_, telecine_scene) = analyse_scenes(measure_frames(frames), [Scene(0, 40), Scene(40, 90)])
    (run,) = telecine_scene.cadence
    assert (run.start, run.end, run.role(40)) == (40, 90, 0)


def test_empty_and_single_frame_clips_are_progressive():
    assert report_of([]).kind is SourceKind.progressive
    assert report_of(list(pictures()[:1])).num_frames == 1


def _shown_for(fields, field_rate=2 * NTSC_VIDEO, tick=Fraction(1, 90000)):
    """Times of pictures each shown for the given numbers of fields, on a 90 kHz clock as MPEG streams keep them."""
    starts = np.cumsum([0, *fields[:-1]])
    return [round(Fraction(int(start)) / field_rate / tick) * tick for start in starts]


@pytest.mark.parametrize("times, expected", [
    pytest.param(_shown_for([3, 2] * 20), NTSC_FILM, id="3-2-flags"),
    pytest.param(_shown_for([2, 3] * 20), NTSC_FILM, id="2-3-flags"),
    pytest.param(_shown_for([2, 3, 3, 2] * 10), NTSC_FILM, id="2-3-3-2-flags"),
    pytest.param(_shown_for([3, 2] * 20, field_rate=Fraction(60)), Fraction(24), id="3-2-at-30"),
    pytest.param([index / NTSC_FILM for index in range(40)], None, id="progressive-film"),
    pytest.param([index / NTSC_VIDEO for index in range(40)], None, id="progressive-video"),
    pytest.param(_shown_for([2] * 30 + [3, 2] * 5), None, id="few-flags"),
    pytest.param(_shown_for([2, 4] * 20), None, id="doubled-frames"),
    pytest.param(_shown_for([3, 2]), None, id="too-short"),
])
def test_soft_pulldown_is_read_from_the_frame_times(times, expected):
    assert find_soft_pulldown(times) == expected


@pytest.mark.parametrize("hold, kind", [
    pytest.param((3,), SourceKind.interlaced, id="threes-interlaced"),  # a 3:2 cadence fits only if it breaks often
    pytest.param((2, 3), SourceKind.telecine, id="twos-and-threes-is-pulldown"),  # fields held 2, 3: 3:2 itself
])
def test_held_drawings_in_fields_are_told_from_telecine(hold, kind):
    report = report_of(list(interlace(pictures(hold, 80, 2 * NTSC_VIDEO), 2 * NTSC_VIDEO)))
    assert report.kind is kind and not report.is_ambiguous


def test_soft_pulldown_is_only_called_on_clean_frames():
    times = _shown_for([3, 2] * 20)
    assert analyse_source(measure_frames(pictures((2,))), times).kind is SourceKind.soft_telecine
    assert analyse_source(measure_frames(pictures((2,))), times).film_rate == NTSC_FILM
    assert analyse_source(measure_frames(telecined((2,))[:40]), times).kind is SourceKind.telecine
