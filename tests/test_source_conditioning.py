"""The source-conditioning stage: what it decides for each kind of clip, what it refuses, and what it leaves alone."""

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.conditioning import ConditionedSource, SourceMode, condition_source
from tooncrafter_batch.errors import SourceError
from tooncrafter_batch.planning.source import SourceKind
from tooncrafter_batch.video.decode import open_video

NTSC_FILM, NTSC_VIDEO = Fraction(24000, 1001), Fraction(30000, 1001)


@pytest.mark.parametrize("clip, kind, rate, num_frames", [
    pytest.param("progressive", SourceKind.progressive, NTSC_FILM, 40, id="progressive"),
    pytest.param("telecined", SourceKind.telecine, NTSC_FILM, 40, id="telecined"),
    pytest.param("interlaced", SourceKind.interlaced, 2 * NTSC_VIDEO, 80, id="interlaced"),
    pytest.param("blended", SourceKind.blended, NTSC_FILM, 40, id="blended"),  # one in five dropped: 24 -> 30 undone
    pytest.param("soft_telecined", SourceKind.soft_telecine, NTSC_FILM, 40, id="soft-telecined"),
    pytest.param("mixed", SourceKind.mixed, NTSC_FILM, 120, id="mixed"),  # 40 pictures, then 80 fields
])
def test_auto_finds_the_kind_and_the_restored_rate(legacy_clips, clip, kind, rate, num_frames):
    conditioned = condition_source(open_video(legacy_clips[clip]))
    frames = list(conditioned.frames())
    assert conditioned.kind is kind and conditioned.frame_rate == rate
    assert len(frames) == num_frames == conditioned.num_frames
    assert conditioned.note() is None
    assert conditioned.summary().startswith(f"source: {kind.value}") and "override with --source" in \
        conditioned.summary()


def test_progressive_frames_are_the_decoders_own(legacy_clips):
    decoded = list(open_video(legacy_clips["progressive"]).frames())
    for mode in (SourceMode.auto, SourceMode.progressive):
        frames = list(condition_source(open_video(legacy_clips["progressive"]), mode).frames())
        assert [frame.time for frame in frames] == [frame.time for frame in decoded]
        assert all(np.array_equal(frame.image, original.image) for frame, original in zip(frames, decoded))


def test_progressive_mode_skips_the_look(legacy_clips):
    conditioned = condition_source(open_video(legacy_clips["telecined"]), SourceMode.progressive)
    assert conditioned.report is None and conditioned.frame_rate == NTSC_VIDEO
    assert "not analysed" in conditioned.summary()


def test_telecine_restores_the_pictures_at_drawing_times(legacy_clips):
    original = list(open_video(legacy_clips["progressive"]).frames())
    restored = list(condition_source(open_video(legacy_clips["telecined"]), SourceMode.telecine).frames())
    assert [frame.time for frame in restored] == [index / NTSC_FILM for index in range(len(original))]
    errors = [np.mean((frame.image.astype(float) - picture.image) ** 2) for frame, picture in zip(restored, original)]
    assert sum(error == 0 for error in errors) == 30  # pictures woven from two frames mix their 4:2:0 chroma
    assert 10 * np.log10(255 ** 2 / max(errors)) >= 30


def test_soft_telecine_keeps_the_decoded_pictures_on_the_film_grid(legacy_clips):
    decoded = list(open_video(legacy_clips["soft_telecined"]).frames())
    gaps = {round(float((second.time - first.time) * 2 * NTSC_VIDEO), 2) for first, second in zip(decoded, decoded[1:])}
    assert gaps == {2.0, 3.0}  # the decoder shows each picture for 3 fields, then 2
    for mode in (SourceMode.auto, SourceMode.telecine):
        restored = list(condition_source(open_video(legacy_clips["soft_telecined"]), mode).frames())
        assert [frame.time for frame in restored] == [index / NTSC_FILM for index in range(40)]
        assert all(np.array_equal(frame.image, original.image) for frame, original in zip(restored, decoded))
    original = list(open_video(legacy_clips["progressive"]).frames())
    errors = [np.mean((frame.image.astype(float) - picture.image) ** 2) for frame, picture in zip(decoded, original)]
    assert 10 * np.log10(255 ** 2 / max(errors)) >= 30  # MPEG-2 at 6 Mb/s: the pictures themselves


def test_a_mixed_clip_is_restored_scene_by_scene(legacy_clips):
    conditioned = condition_source(open_video(legacy_clips["mixed"]))
    body, credits = conditioned.report.segments
    assert (body.start, body.end, body.report.kind) == (0, 50, SourceKind.telecine)
    assert (credits.start, credits.end, credits.report.kind) == (50, 90, SourceKind.interlaced)
    frames = list(conditioned.frames())
    assert [frame.time for frame in frames] == [index / NTSC_FILM for index in range(40)] + \
        [50 / NTSC_VIDEO + index / (2 * NTSC_VIDEO) for index in range(80)]
    alone = [*condition_source(open_video(legacy_clips["telecined"])).frames(),
             *condition_source(open_video(legacy_clips["interlaced"])).frames()]  # each part as a clip of its own
    assert all(np.array_equal(frame.image, part.image) for frame, part in zip(frames, alone, strict=True))
    assert "frames 0-49: telecine 3:2" in conditioned.summary() and "frames 50-89: interlaced" in conditioned.summary()


def test_told_one_kind_a_mixed_clip_is_judged_whole(legacy_clips):
    conditioned = condition_source(open_video(legacy_clips["mixed"]), SourceMode.interlaced)
    assert conditioned.kind is SourceKind.interlaced and len(list(conditioned.frames())) == 180


@pytest.mark.parametrize("clip, mode, words", [
    pytest.param("progressive", SourceMode.telecine, "has no pulldown", id="telecine-on-progressive"),
    pytest.param("interlaced", SourceMode.telecine, "looks interlaced", id="telecine-on-interlaced"),
    pytest.param("progressive", SourceMode.interlaced, "nothing to deinterlace", id="interlaced-on-progressive"),
    pytest.param("progressive", SourceMode.blended, "no frame is a mix", id="blended-on-progressive"),
    pytest.param("telecined", SourceMode.blended, "it looks telecine", id="blended-on-telecined"),
    pytest.param("soft_telecined", SourceMode.interlaced, "nothing to deinterlace", id="interlaced-on-soft"),
])
def test_a_wrong_source_is_refused_in_one_line(legacy_clips, clip, mode, words):
    with pytest.raises(SourceError) as error:
        condition_source(open_video(legacy_clips[clip]), mode)
    message = str(error.value)
    assert message.startswith(f"--source {mode.value}: {legacy_clips[clip]}") and words in message
    assert "\n" not in message and "--source auto" in message


def test_a_told_kind_the_frames_allow_is_taken(legacy_clips):
    conditioned = condition_source(open_video(legacy_clips["telecined"]), SourceMode.interlaced)
    assert conditioned.kind is SourceKind.interlaced and conditioned.frame_rate == 2 * NTSC_VIDEO
    assert conditioned.summary().endswith("(--source interlaced)")


@pytest.mark.parametrize("clip, factor, expected", [
    pytest.param("telecined", 2, 80, id="telecine-x2"),  # 50 frames at 30000/1001 -> 80 at 48000/1001
    pytest.param("blended", 2, 80, id="blended-x2"),  # 40 kept of 50 frames at 24000/1001: 80 cover all 50
    pytest.param("interlaced", 2, 160, id="interlaced-x2"),
    pytest.param("soft_telecined", 2, 80, id="soft-telecined-x2"),
    pytest.param("progressive", 3, 120, id="progressive-x3"),
])
def test_outputs_cover_the_input_duration(legacy_clips, clip, factor, expected):
    conditioned = condition_source(open_video(legacy_clips[clip]))
    frames = list(conditioned.frames())
    output_rate = conditioned.frame_rate * factor
    assert conditioned.count_outputs(len(frames), frames[0].time, frames[-1].time, output_rate, factor) == expected


def test_a_close_call_gets_a_note_naming_the_choice_and_the_override(legacy_clips):
    found = condition_source(open_video(legacy_clips["telecined"]))
    close = ConditionedSource(found.source, SourceMode.auto, replace(found.report, confidence=0.6))
    note = close.note()
    assert "telecine" in note and "treated as telecine" in note and "--source progressive|interlaced|blended" in note
    assert ConditionedSource(found.source, SourceMode.telecine, close.report).note() is None


@pytest.mark.parametrize("name", ["onepiece_demo.mp4", "tupi_example.avi"])  # jjk_fight_a: benchmarks/legacy_sources
def test_real_progressive_clips_are_left_untouched(shared_data, name):
    conditioned = condition_source(open_video(shared_data / name))
    assert conditioned.is_untouched and conditioned.note() is None
    assert conditioned.frame_rate == conditioned.source.info.frame_rate
