"""The synthetic cartoon: exact pictures at any time, holds, the cut, and the soundtrack."""

import time
from dataclasses import replace
from fractions import Fraction

import av
import numpy as np
import pytest

from tooncrafter_batch.errors import SettingsError
from tooncrafter_batch.synthetic import (CartoonSpec, click_times, drawing_starts, drawing_time, render_audio,
                                         render_frame, render_frames, write_cartoon)

SPEC = CartoonSpec(width=160, height=90, num_frames=24, frame_rate=Fraction(24000, 1001))


def _mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def test_frames_are_rgb_uint8_at_the_asked_size_also_odd():
    spec = replace(SPEC, width=161, height=91, num_frames=3)
    frames = list(render_frames(spec))
    assert len(frames) == 3
    assert all(frame.shape == (91, 161, 3) and frame.dtype == np.uint8 for frame in frames)


def test_a_time_renders_the_same_picture_as_float_or_fraction_and_every_time():
    moment = Fraction(5, 24)
    assert np.array_equal(render_frame(SPEC, moment), render_frame(SPEC, float(moment)))
    assert np.array_equal(render_frame(SPEC, moment), render_frame(SPEC, moment))


def test_in_between_times_show_motion_between_the_frames():
    rate = SPEC.frame_rate
    start, middle, end = (render_frame(SPEC, step / rate) for step in (Fraction(3), Fraction(7, 2), Fraction(4)))
    assert _mean_abs_diff(start, end) > 0.5
    assert _mean_abs_diff(start, middle) > 0.2 and _mean_abs_diff(middle, end) > 0.2
    blend = ((start.astype(np.float32) + end) / 2).round().astype(np.uint8)
    assert _mean_abs_diff(middle, blend) > 0.1, "the true in-between is not a cross-fade"


def test_outlines_are_black_and_anti_aliased():
    frame = render_frame(replace(SPEC, width=320, height=180), 0)
    darkness = frame.max(axis=2)
    assert (darkness < 20).mean() > 0.005, "black outline pixels exist"
    assert ((darkness > 40) & (darkness < 100)).sum() > 50, "outline edges are smoothed (anti-aliased)"


@pytest.mark.parametrize("pattern, starts", [
    pytest.param((), list(range(10)), id="ones"),
    pytest.param((2,), [0, 2, 4, 6, 8], id="twos"),
    pytest.param((1, 2, 3), [0, 1, 3, 6, 7, 9], id="mixed"),
])
def test_hold_patterns_set_where_drawings_start(pattern, starts):
    spec = replace(SPEC, num_frames=10, hold_pattern=pattern)
    assert drawing_starts(spec) == starts
    frames = list(render_frames(spec))
    for index in range(1, 10):
        is_same = np.array_equal(frames[index], frames[index - 1])
        assert is_same == (index not in starts), f"frame {index}"


def test_a_held_frame_shows_the_drawing_of_its_first_frame():
    spec = replace(SPEC, hold_pattern=(3,))
    rate = spec.frame_rate
    assert drawing_time(spec, Fraction(5) / rate) == Fraction(3) / rate
    assert drawing_time(spec, (Fraction(5) + Fraction(1, 2)) / rate) == Fraction(3) / rate
    assert np.array_equal(render_frame(spec, Fraction(5) / rate), render_frame(replace(spec, hold_pattern=()),
                                                                                  Fraction(3) / rate))


def test_the_cut_changes_the_shot_and_restarts_the_holds():
    spec = replace(SPEC, cut_at_frame=11, hold_pattern=(2,))
    frames = list(render_frames(spec))
    assert _mean_abs_diff(frames[10], frames[11]) > 25, "a cut is a big change"
    assert _mean_abs_diff(frames[9], frames[10]) < _mean_abs_diff(frames[10], frames[11]) / 3
    assert drawing_starts(spec)[5:8] == [10, 11, 13]


def test_audio_lasts_the_clip_and_clicks_at_click_times():
    spec = replace(SPEC, num_frames=48, cut_at_frame=24)
    audio, rate = render_audio(spec)
    assert audio.dtype == np.float32 and audio.shape == (2, round(spec.duration * rate))
    loud = np.flatnonzero(np.abs(audio[0]) > 0.5)
    onsets = loud[np.diff(loud, prepend=-10) > 1] / rate
    assert np.allclose(onsets, [float(moment) for moment in click_times(spec)], atol=1 / rate)


def test_audio_pitch_changes_at_the_cut():
    spec = replace(SPEC, num_frames=48, cut_at_frame=24)
    audio, rate = render_audio(spec)
    cut = round(24 / spec.frame_rate * rate)

    def dominant_hz(samples: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
        return float(np.fft.rfftfreq(len(samples), 1 / rate)[spectrum.argmax()])

    window = rate // 4
    assert dominant_hz(audio[0, cut - window - 200:cut - 200]) == pytest.approx(440, abs=5)
    assert dominant_hz(audio[0, cut + 200:cut + window + 200]) == pytest.approx(660, abs=5)


@pytest.mark.parametrize("changes", [
    pytest.param({"width": 4}, id="too-small"),
    pytest.param({"num_frames": 0}, id="no-frames"),
    pytest.param({"frame_rate": Fraction(0)}, id="zero-rate"),
    pytest.param({"cut_at_frame": 24}, id="cut-past-end"),
    pytest.param({"hold_pattern": (2, 0)}, id="zero-hold"),
])
def test_bad_specs_are_refused(changes):
    with pytest.raises(SettingsError):
        replace(SPEC, **changes)


def test_rendering_640x360_takes_a_few_milliseconds_per_frame():
    spec = replace(SPEC, width=640, height=360, num_frames=24)
    started = time.perf_counter()
    frames = list(render_frames(spec))
    assert (time.perf_counter() - started) / len(frames) < 0.02


def test_write_cartoon_makes_a_video_with_sound(tmp_path):
    spec = replace(SPEC, width=64, height=36, num_frames=12, cut_at_frame=6)
    path = write_cartoon(tmp_path / "cartoon.mp4", spec)
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        assert Fraction(video.average_rate) == spec.frame_rate
        assert container.streams.audio, "the tone is muxed in"
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video)]
    assert len(frames) == 12 and frames[0].shape == (36, 64, 3)
    assert _mean_abs_diff(frames[7], render_frame(spec, 7 / spec.frame_rate)) < 8, "lossy, but the same picture"
