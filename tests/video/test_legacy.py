"""Legacy video through libavfilter: the test-data makers, and restoring telecined, interlaced and blended frames."""

from dataclasses import replace
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest

from tooncrafter_batch.planning.blend_cadence import lock_blend_cadence
from tooncrafter_batch.planning.source import SourceKind, SourceReport, analyse_source, measure_frames
from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.video.legacy import (
    NTSC_FILM, blend_convert, deinterlace, interlace, restore_frames, restored_rate, telecine)

NTSC_VIDEO = Fraction(30000, 1001)


@lru_cache(maxsize=None)
def pictures(hold: tuple[int, ...] = (), num_frames: int = 40, frame_rate: Fraction = NTSC_FILM
             ) -> tuple[np.ndarray, ...]:
    spec = CartoonSpec(width=96, height=64, num_frames=num_frames, frame_rate=frame_rate, hold_pattern=hold,
                       cut_at_frame=num_frames // 2, with_audio=False)
    return tuple(render_frames(spec))


def psnr(first: np.ndarray, second: np.ndarray) -> float:
    error = np.mean((first.astype(np.float64) - second) ** 2)
    return float("inf") if error == 0 else 10 * np.log10(255 ** 2 / error)


def restored(frames, frame_rate):
    report = analyse_source(measure_frames(frames))
    return report, list(restore_frames(frames, frame_rate, report))


@pytest.mark.parametrize("top_field_first", [True, False], ids=["tff", "bff"])
def test_telecine_puts_fields_in_the_3_2_pattern(top_field_first):
    source = pictures()[:8]
    frames = list(telecine(source, top_field_first))
    assert len(frames) == 10
    first, second = (slice(0, None, 2), slice(1, None, 2)) if top_field_first else (slice(1, None, 2),
                                                                                     slice(0, None, 2))
    # (first field, second field) of each frame: A A | B B | B C | C D | D D
    for index, (first_picture, second_picture) in enumerate([(0, 0), (1, 1), (1, 2), (2, 3), (3, 3)] * 2):
        cycle = 4 * (index // 5)
        assert np.array_equal(frames[index][first], source[cycle + first_picture][first])
        assert np.array_equal(frames[index][second], source[cycle + second_picture][second])


@pytest.mark.parametrize("top_field_first", [True, False], ids=["tff", "bff"])
def test_interlace_weaves_fields_of_successive_pictures(top_field_first):
    source = pictures((), 8, 2 * NTSC_VIDEO)
    frames = list(interlace(source, 2 * NTSC_VIDEO, top_field_first))
    first, second = (slice(0, None, 2), slice(1, None, 2)) if top_field_first else (slice(1, None, 2),
                                                                                     slice(0, None, 2))
    assert len(frames) == 4
    for index, frame in enumerate(frames):
        assert np.array_equal(frame[first], source[2 * index][first])
        assert np.array_equal(frame[second], source[2 * index + 1][second])


def test_blend_convert_mixes_one_frame_in_five():
    source = pictures()[:16]
    converted = list(blend_convert(source, NTSC_FILM, NTSC_VIDEO))
    assert [time for time, _ in converted] == [index / NTSC_VIDEO for index in range(len(converted))]
    distance = [min(np.abs(image.astype(float) - picture).mean() for picture in source) for _, image in converted]
    assert [index for index, value in enumerate(distance) if value > 1.0] == [2, 7, 12, 17]


@pytest.mark.parametrize("hold", [(), (2,), (3,), (1, 2, 3)], ids=["ones", "twos", "threes", "mixed"])
@pytest.mark.parametrize("top_field_first", [True, False], ids=["tff", "bff"])
def test_inverse_telecine_gives_back_every_picture(hold, top_field_first):
    source = pictures(hold)
    report, frames = restored(list(telecine(source, top_field_first)), NTSC_VIDEO)
    assert restored_rate(report, NTSC_VIDEO) == NTSC_FILM
    assert len(frames) == len(source)
    for frame, picture in zip(frames, source):
        assert np.array_equal(frame.image, picture)
    if not hold:  # with holds two phases can explain the fields alike: the same pictures, a fifth of a frame apart
        assert [frame.time for frame in frames] == [index / NTSC_FILM for index in range(len(source))]


@pytest.mark.parametrize("hold", [(), (2,)], ids=["ones", "twos"])
def test_inverse_telecine_relocks_after_a_cadence_break(hold):
    source = pictures(hold)
    first, second = (list(telecine(part)) for part in (source[:20], source[20:]))
    report, frames = restored(first[:13] + second[2:], NTSC_VIDEO)  # the edit leaves pictures 10 and 21 one field
    assert report.num_cadence_breaks == 1
    times = [frame.time for frame in frames]
    assert times == sorted(set(times))
    whole = list(range(10)) + list(range(22, 40))
    best = [max(range(len(source)), key=lambda index: psnr(frame.image, source[index])) for frame in frames]
    scores = [psnr(frame.image, source[index]) for frame, index in zip(frames, best)]
    assert all(score >= 25 for score in scores)  # one field line-doubled at worst
    exact = {index for index, score in zip(best, scores) if score == float("inf")}
    drawings = {np.asarray(source[index]).tobytes() for index in whole}
    assert {np.asarray(source[index]).tobytes() for index in exact} == drawings
    assert len(frames) in (len(whole) + 1, len(whole) + 2)


def test_progressive_frames_pass_through_untouched():
    source = list(pictures((2,)))
    report, frames = restored(source, NTSC_FILM)
    assert report.kind is SourceKind.progressive and restored_rate(report, NTSC_FILM) == NTSC_FILM
    assert all(frame.image is picture for frame, picture in zip(frames, source)) and len(frames) == len(source)
    assert [frame.time for frame in frames] == [index / NTSC_FILM for index in range(len(source))]


def test_blended_frames_are_dropped_at_exact_times():
    source = pictures((), 24)
    converted = [image for _, image in blend_convert(source, NTSC_FILM, NTSC_VIDEO)]
    report, frames = restored(converted, NTSC_VIDEO)
    assert report.kind is SourceKind.blended and len(frames) == len(converted) - len(report.blended_frames)
    kept = [index for index in range(len(converted)) if index not in report.blended_frames]
    assert [frame.time for frame in frames] == [index / NTSC_VIDEO for index in kept]
    assert all(max(psnr(frame.image, picture) for picture in source) >= 40 for frame in frames)


@pytest.mark.parametrize("hold", [(), (2,), (3,)], ids=["ones", "twos", "threes"])
def test_a_steady_blend_cadence_gives_back_every_picture_at_its_time(hold):
    source = pictures(hold, 48)
    converted = [image for _, image in blend_convert(source, NTSC_FILM, NTSC_VIDEO)]
    report = analyse_source(measure_frames(converted))
    report = replace(report, blend_cadence=lock_blend_cadence(report.blended_frames, NTSC_VIDEO))
    frames = list(restore_frames(converted, NTSC_VIDEO, report))
    assert restored_rate(report, NTSC_VIDEO) == NTSC_FILM and len(frames) == len(source)
    assert [frame.time for frame in frames] == [index / NTSC_FILM for index in range(len(source))]
    assert all(psnr(frame.image, picture) >= 40 for frame, picture in zip(frames, source))


def test_interlaced_frames_are_deinterlaced_at_field_rate():
    fields = pictures((), 80, 2 * NTSC_VIDEO)  # 40 frames: the first 20 move too slowly per field to comb at 96x64
    report, frames = restored(list(interlace(fields, 2 * NTSC_VIDEO)), NTSC_VIDEO)
    assert report.kind is SourceKind.interlaced and restored_rate(report, NTSC_VIDEO) == 2 * NTSC_VIDEO
    assert [frame.time for frame in frames] == [index / (2 * NTSC_VIDEO) for index in range(len(fields))]
    assert np.mean([psnr(frame.image, picture) for frame, picture in zip(frames, fields)]) >= 30


def test_deinterlace_follows_the_field_order():
    fields = pictures((), 16, 2 * NTSC_VIDEO)
    frames = list(interlace(fields, 2 * NTSC_VIDEO, top_field_first=False))
    right = [psnr(frame.image, picture) for frame, picture in zip(deinterlace(frames, NTSC_VIDEO, False), fields)]
    wrong = [psnr(frame.image, picture) for frame, picture in zip(deinterlace(frames, NTSC_VIDEO, True), fields)]
    assert np.mean(right) > np.mean(wrong) + 1


def test_restore_takes_a_report_by_kind():
    report = SourceReport(SourceKind.blended, 1.0, 3, 3, 0.0, 0.0, None, blended_frames=(1,))
    frames = list(restore_frames(list(pictures()[:3]), NTSC_FILM, report))
    assert [frame.time for frame in frames] == [0, 2 / NTSC_FILM]
