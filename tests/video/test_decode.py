"""Decoding: exact rates and times, bad inputs, and files that break part-way."""

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tooncrafter_batch.errors import DecodeError, InputError, SettingsError
from tooncrafter_batch.video.audio import write_audio
from tooncrafter_batch.video.decode import open_video

NTSC_FILM = Fraction(24000, 1001)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / max(mse, 1e-12))


def test_info_is_known_before_reading_and_the_rate_is_exact(tone_clip):
    info = open_video(tone_clip).info
    assert info.frame_rate == NTSC_FILM and isinstance(info.frame_rate, Fraction)
    assert (info.width, info.height, info.num_frames) == (96, 64, 24)
    assert info.duration == 24 / NTSC_FILM
    assert info.has_audio and info.codec == "h264" and info.pix_fmt == "yuv420p"
    assert not info.is_image_folder


def test_frames_come_in_order_with_exact_times_and_true_pictures(tone_clip, small_frames):
    source = open_video(tone_clip)
    frames = list(source.frames())
    assert [frame.index for frame in frames] == list(range(24))
    assert [frame.time for frame in frames] == [index / NTSC_FILM for index in range(24)]
    for frame, truth in zip(frames, small_frames):
        assert frame.image.shape == (64, 96, 3) and frame.image.dtype == np.uint8
        assert psnr(frame.image, truth) > 30
    assert source.num_good_frames == 24 and not source.was_truncated
    assert len(list(source.frames())) == 24  # a source can be read again from the start


def test_variable_frame_rate_frames_keep_their_own_times(tmp_path):
    path = tmp_path / "vfr.mp4"  # MP4 keeps exact times (Matroska rounds to milliseconds)
    ticks = [0, 1, 2, 5, 6, 12, 13]  # held drawings stored once, in 1/24 s
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.time_base = Fraction(1, 24)
        for tick in ticks:
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), tick * 15, np.uint8), format="rgb24")
            frame.pts = tick
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    times = [frame.time for frame in open_video(path).frames()]
    assert times == [Fraction(tick, 24) for tick in ticks]


def _text_file(folder: Path) -> Path:
    path = folder / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    return path


def _empty_file(folder: Path) -> Path:
    path = folder / "empty.mp4"
    path.touch()
    return path


def _still_image(folder: Path) -> Path:
    path = folder / "still.png"
    cv2.imwrite(str(path), np.zeros((16, 16, 3), np.uint8))
    return path


def _audio_only(folder: Path) -> Path:
    path = folder / "sound.m4a"
    write_audio(path, np.zeros((1, 4800), np.float32), 48000)
    return path


def _header_only(folder: Path, clip: Path) -> Path:
    path = folder / "cut.mp4"
    path.write_bytes(clip.read_bytes()[:200])
    return path


@pytest.mark.parametrize("make_input, message", [
    pytest.param(lambda folder, clip: folder / "missing.mp4", "does not exist", id="missing"),
    pytest.param(lambda folder, clip: _empty_file(folder), "empty", id="zero-length"),
    pytest.param(lambda folder, clip: _text_file(folder), "not a readable video", id="not-a-video"),
    pytest.param(lambda folder, clip: _still_image(folder), "still image", id="still-image"),
    pytest.param(lambda folder, clip: _audio_only(folder), "no video stream", id="no-video-stream"),
    pytest.param(_header_only, "no video stream", id="only-the-first-bytes"),
])
def test_bad_inputs_are_input_errors_with_a_clear_message(tmp_path, tone_clip, make_input, message):
    with pytest.raises(InputError, match=message) as caught:
        open_video(make_input(tmp_path, tone_clip))
    assert "\n" not in str(caught.value)


def test_input_fps_is_refused_for_a_video_file(tone_clip):
    with pytest.raises(SettingsError, match="--input-fps"):
        open_video(tone_clip, input_fps=Fraction(24))


def _truncated(clip: Path, folder: Path, keep: float) -> Path:
    data = clip.read_bytes()
    path = folder / f"truncated{clip.suffix}"
    path.write_bytes(data[:int(len(data) * keep)])
    return path


def _garbage_in_the_middle(clip: Path, folder: Path) -> Path:
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 2000] = np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path = folder / f"garbage{clip.suffix}"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("corrupt", [
    pytest.param(lambda clip, folder: _truncated(clip, folder, 0.6), id="truncated"),
    pytest.param(_garbage_in_the_middle, id="garbage-in-the-middle"),
])
@pytest.mark.parametrize("clip_name", ["tone_clip", "silent_mkv"])
def test_a_file_that_breaks_part_way_names_the_time(request, tmp_path, clip_name, corrupt):
    clip = request.getfixturevalue(clip_name)
    source = open_video(corrupt(clip, tmp_path))  # the start is intact: it opens
    with pytest.raises(DecodeError, match=r"stops decoding at \d+\.\d{3} s .*--allow-partial"):
        list(source.frames())


def test_allow_partial_keeps_the_good_frames(tmp_path, silent_mkv):
    complete = list(open_video(silent_mkv).frames())
    source = open_video(_truncated(silent_mkv, tmp_path, 0.5), allow_partial=True)
    frames = list(source.frames())
    assert source.was_truncated and 0 < len(frames) < len(complete)
    assert source.num_good_frames == len(frames)
    assert source.break_time == frames[-1].time + 1 / source.info.frame_rate
    for frame, good in zip(frames, complete):
        assert frame.time == good.time
        assert psnr(frame.image, good.image) > 40  # same pictures, up to a concealed last frame


def test_decoded_frames_own_their_memory_and_survive_a_second_decode(tone_clip):
    held = [frame.image for frame in open_video(tone_clip).frames()]
    assert all(image.base is None and image.flags.owndata and image.flags.writeable for image in held), \
        "a frame that is a view can be changed by whoever owns the buffer (decoder, pool, reformatter)"
    snapshot = [image.copy() for image in held]
    again = [frame.image for frame in open_video(tone_clip).frames()]
    assert all(np.array_equal(a, b) and np.array_equal(a, c) for a, b, c in zip(held, snapshot, again))
