"""Encoding: exact rational rates, the input's look kept (size, pixel format, colours, rotation), atomic output."""

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tooncrafter_batch.errors import OutputError, SettingsError
from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.encode import (EncoderSettings, VideoWriter, open_writer, output_container_for,
                                            write_clip)
from tooncrafter_batch.video.image_folder import ImageFolderWriter

NTSC_FILM = Fraction(24000, 1001)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255 ** 2 / max(mse, 1e-12))


def gradient(width: int, height: int, shift: int = 0) -> np.ndarray:
    """A smooth colour picture (saturated colours show a wrong colour matrix clearly)."""
    x = np.linspace(0, 200, width)[None, :] + shift % 56
    y = np.linspace(0, 255, height)[:, None]
    return np.stack([np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width)),
                     np.broadcast_to(255 - x, (height, width))], axis=2).astype(np.uint8)


def write_frames(path: Path, info, frame_rate, images, settings=EncoderSettings()) -> VideoWriter:
    with VideoWriter(path, info, frame_rate, settings) as writer:
        for image in images:
            writer.write(image)
    return writer


def test_four_times_ntsc_film_is_exactly_96000_over_1001(tmp_path, small_frames, make_info):
    path = tmp_path / "x4.mp4"
    write_frames(path, make_info(96, 64), 4 * NTSC_FILM, [image for image in small_frames for _ in range(4)])
    source = open_video(path)
    assert source.info.frame_rate == Fraction(96000, 1001)
    assert source.info.num_frames == 96
    assert source.info.duration == 24 / NTSC_FILM  # 4N frames at 4R last exactly as long as N frames at R
    assert [frame.time for frame in source.frames()] == [index / (4 * NTSC_FILM) for index in range(96)]


@pytest.mark.parametrize("width, height, pix_fmt, expected", [
    pytest.param(97, 65, "yuv420p", "yuv444p", id="odd-size-needs-444"),
    pytest.param(97, 64, "yuv422p", "yuv444p", id="odd-width-422-needs-444"),
    pytest.param(96, 65, "yuv422p", "yuv422p", id="odd-height-422-kept"),
    pytest.param(96, 64, "yuv422p", "yuv422p", id="422-kept"),
    pytest.param(96, 64, "yuv420p10le", "yuv420p10le", id="10-bit-kept"),
    pytest.param(96, 64, "rgb24", "yuv420p", id="rgb-to-420"),
])
def test_size_is_kept_and_the_pixel_format_where_the_codec_allows(tmp_path, make_info, width, height, pix_fmt,
                                                                   expected):
    path = tmp_path / "out.mkv"
    images = [gradient(width, height, shift) for shift in range(0, 40, 8)]
    from_pngs = pix_fmt == "rgb24"  # PNG folders are RGB: yuv420p is expected there, no warning
    writer = write_frames(path, make_info(width, height, pix_fmt=pix_fmt, is_image_folder=from_pngs), Fraction(24),
                          images)
    source = open_video(path)
    assert (source.info.width, source.info.height, source.info.pix_fmt) == (width, height, expected)
    assert any(expected in warning for warning in writer.warnings) == (expected != pix_fmt and not from_pngs)
    decoded = [frame.image for frame in source.frames()]
    assert len(decoded) == len(images)
    assert all(psnr(image, truth) > 30 for image, truth in zip(decoded, images))


@pytest.mark.parametrize("color", [
    pytest.param({"color_range": 1, "colorspace": 1, "color_primaries": 1, "color_trc": 1}, id="bt709-limited"),
    pytest.param({"color_range": 2, "colorspace": 6, "color_primaries": 6, "color_trc": 6}, id="smpte170m-full"),
])
def test_colour_metadata_is_kept_and_matches_the_pixels(tmp_path, make_info, color):
    path = tmp_path / "colour.mp4"
    images = [gradient(96, 64, shift) for shift in range(0, 24, 8)]
    write_frames(path, make_info(96, 64, color=color, pix_fmt="yuv444p"), Fraction(24), images)
    source = open_video(path)
    assert source.info.color == color
    # The frames were converted with the matrix and range the file is tagged with, so they come back true.
    assert all(psnr(frame.image, truth) > 38 for frame, truth in zip(source.frames(), images))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv", ".mov"])
@pytest.mark.parametrize("rotation", [90, -90, 180])
def test_rotation_and_pixel_shape_are_kept(tmp_path, make_info, suffix, rotation):
    path = tmp_path / f"rotated{suffix}"
    write_frames(path, make_info(96, 64, rotation=rotation, sample_aspect_ratio=Fraction(8, 9)), NTSC_FILM,
                 [gradient(96, 64)] * 2)
    info = open_video(path).info
    assert info.rotation == rotation
    assert info.sample_aspect_ratio == Fraction(8, 9)
    assert (info.width, info.height) == (96, 64)  # frames stay in coded orientation; players rotate them


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_an_error_while_writing_leaves_no_file(tmp_path, make_info):
    path = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="backend failed"):
        with VideoWriter(path, make_info(96, 64), NTSC_FILM) as writer:
            for shift in range(30):
                writer.write(gradient(96, 64, shift))
            raise RuntimeError("backend failed")
    assert _leftovers(tmp_path) == []


def test_a_failed_run_leaves_an_existing_output_untouched(tmp_path, make_info):
    path = tmp_path / "out.mp4"
    path.write_bytes(b"the previous result")
    with pytest.raises(ValueError, match="shape"):
        with VideoWriter(path, make_info(96, 64), NTSC_FILM) as writer:
            writer.write(gradient(96, 64))
            writer.write(gradient(64, 48))
    assert path.read_bytes() == b"the previous result"
    assert _leftovers(tmp_path) == ["out.mp4"]


_WRITE_FOREVER = """
import sys
from fractions import Fraction
import numpy as np
from tooncrafter_batch.datatypes import VideoInfo
from tooncrafter_batch.video.encode import VideoWriter
info = VideoInfo(width=64, height=48, frame_rate=Fraction(24), time_base=Fraction(1, 24), num_frames=None,
                 duration=None)
with VideoWriter(sys.argv[1], info, Fraction(96)) as writer:
    rng = np.random.default_rng(0)
    while True:
        writer.write(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8))
"""


def test_a_run_killed_during_encoding_never_leaves_the_final_file(tmp_path):
    path = tmp_path / "killed.mp4"
    process = subprocess.Popen([sys.executable, "-c", _WRITE_FOREVER, str(path)])
    try:
        deadline = time.monotonic() + 30
        while not any(name.startswith(".killed.partial-") and (tmp_path / name).stat().st_size > 0
                      for name in _leftovers(tmp_path)):
            assert process.poll() is None and time.monotonic() < deadline, "the writer did not start encoding"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not path.exists()
    assert all(name.startswith(".killed.partial-") for name in _leftovers(tmp_path))


def test_writing_no_frames_is_an_error_and_leaves_no_file(tmp_path, make_info):
    with pytest.raises(OutputError, match="no frames"):
        with VideoWriter(tmp_path / "none.mp4", make_info(96, 64), NTSC_FILM):
            pass
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("make_path, message", [
    pytest.param(lambda folder: folder / "out.xyz", "unknown container", id="unknown-extension"),
    pytest.param(lambda folder: folder / "missing" / "out.mp4", "does not exist", id="missing-folder"),
])
def test_bad_output_paths_are_output_errors(tmp_path, make_info, make_path, message):
    with pytest.raises(OutputError, match=message):
        VideoWriter(make_path(tmp_path), make_info(96, 64), NTSC_FILM)


def test_a_container_that_cannot_hold_the_codec_is_a_settings_error(tmp_path, make_info):
    with pytest.raises(SettingsError, match="cannot hold libx264"):
        VideoWriter(tmp_path / "out.webm", make_info(96, 64), NTSC_FILM)
    assert _leftovers(tmp_path) == []


def test_writing_onto_the_input_is_refused(tone_clip, make_info):
    before = tone_clip.read_bytes()
    with pytest.raises(OutputError, match="is the input"):
        VideoWriter(tone_clip, make_info(96, 64), NTSC_FILM, audio_from=tone_clip)
    assert tone_clip.read_bytes() == before


def test_an_rgb_codec_keeps_png_frames_exactly(tmp_path, make_info):
    images = [gradient(97, 65, shift) for shift in range(3)]
    path = tmp_path / "lossless.mkv"
    write_frames(path, make_info(97, 65, pix_fmt="rgb24", is_image_folder=True), Fraction(24), images,
                 EncoderSettings(codec="libx264rgb", crf=0))
    source = open_video(path)
    assert source.info.pix_fmt == "gbrp"  # the H.264 decoder gives RGB back as planar G, B, R
    assert all(np.array_equal(frame.image, image) for frame, image in zip(source.frames(), images))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root may write into any folder")
def test_an_unwritable_folder_is_an_output_error(tmp_path, make_info):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    with pytest.raises(OutputError, match="not writable"):
        VideoWriter(folder / "out.mp4", make_info(96, 64), NTSC_FILM)


@pytest.mark.parametrize("settings, message", [
    pytest.param(dict(codec="nosuchcodec"), "no such encoder", id="unknown-codec"),
    pytest.param(dict(codec="aac"), "audio codec", id="audio-codec"),
    pytest.param(dict(crf=52), "0..51", id="crf-too-high"),
    pytest.param(dict(crf=-1), "0..51", id="crf-negative"),
    pytest.param(dict(preset="quick"), "preset", id="unknown-preset"),
])
def test_encoder_settings_are_validated(settings, message):
    with pytest.raises(SettingsError, match=message):
        EncoderSettings(**settings)


def test_encoder_settings_reach_the_encoder(tmp_path, make_info):
    images = [gradient(96, 64, shift) for shift in range(0, 80, 8)]
    sizes = {}
    for crf in (10, 40):
        path = tmp_path / f"crf{crf}.mp4"
        write_frames(path, make_info(96, 64), Fraction(24), images, EncoderSettings(crf=crf, preset="ultrafast"))
        sizes[crf] = path.stat().st_size
    assert sizes[10] > 2 * sizes[40]


@pytest.mark.parametrize("name, expected", [
    ("clip.mp4", ".mp4"), ("clip.MOV", ".mov"), ("clip.mkv", ".mkv"), ("clip.avi", ".avi"),
    ("clip.webm", ".mkv"), ("clip.gif", ".mkv"), ("frames", ".mkv"),
])
def test_output_container_for(name, expected):
    assert output_container_for(Path(name)) == expected


def test_a_folder_output_gets_numbered_pngs_and_a_warning_about_sound(tmp_path, tone_clip, make_info):
    target = f"{tmp_path / 'frames'}/"  # a folder that does not exist yet, named with a trailing slash
    images = [gradient(96, 64, shift) for shift in range(3)]
    with open_writer(target, make_info(96, 64, has_audio=True), NTSC_FILM, audio_from=tone_clip) as writer:
        assert isinstance(writer, ImageFolderWriter)
        for image in images:
            writer.write(image)
    assert _leftovers(tmp_path / "frames") == ["000000.png", "000001.png", "000002.png"]
    assert any("audio" in warning for warning in writer.warnings)
    source = open_video(tmp_path / "frames", input_fps=NTSC_FILM)
    assert all(np.array_equal(frame.image, truth) for frame, truth in zip(source.frames(), images))


def test_write_clip_without_sound(tmp_path, small_frames):
    path = tmp_path / "clip.mkv"
    write_clip(path, small_frames, Fraction(12))
    info = open_video(path).info
    assert (info.frame_rate, info.num_frames, info.has_audio) == (Fraction(12), 24, False)
    assert _leftovers(tmp_path) == ["clip.mkv"]


def _cartoonish(width: int, height: int, count: int) -> list[np.ndarray]:
    """Flat shapes moving over a gradient: content on which x264's mb-tree gave run-to-run differences."""
    frames = []
    for index in range(count):
        image = gradient(width, height, shift=3 * index)
        top, left = (index * 2) % max(1, height // 2), (index * 5) % max(1, width // 2)
        image[top:top + height // 3, left:left + width // 4] = (250, 40, 60)
        frames.append(image)
    return frames


@pytest.mark.parametrize("width, height", [(96, 64), (320, 180)])
def test_the_same_frames_give_the_same_bytes_every_time(tmp_path, width, height):
    """Same frames in, same file out (x264's mb-tree off, no random container UIDs), whatever else is in memory."""
    images = _cartoonish(width, height, 24)
    info = open_video(_reference_clip(tmp_path, images)).info
    digests = set()
    for attempt in range(4):
        clutter = [np.random.default_rng(attempt).integers(0, 255, 50_000 * (attempt + 1), np.uint8)]  # noqa: F841
        for suffix in (".mp4", ".mkv"):
            path = tmp_path / f"run{attempt}{suffix}"
            write_frames(path, info, Fraction(24), images)
            digests.add((suffix, path.read_bytes()))
    assert len(digests) == 2, "each container's bytes are the same on every run"


def _reference_clip(folder: Path, images: list[np.ndarray]) -> Path:
    path = folder / "reference.mp4"
    write_clip(path, images[:2], Fraction(24))
    return path
