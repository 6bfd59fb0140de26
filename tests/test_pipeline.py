"""One video end to end through the library: counts, exact rates, duration, audio, cuts."""

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.pipeline import UpscaleSettings, Upscaler, default_output_path
from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.timing import DedupeMode, TimingSettings
from tooncrafter_batch.video.decode import open_video


def _settings(**timing):
    return UpscaleSettings(TimingSettings(dedupe=DedupeMode.off, **timing), overwrite=True)


def test_factor_4_exact_rate_count_duration_and_audio(small_cartoon, tmp_path):
    source, spec = small_cartoon
    output = tmp_path / "out.mp4"
    result = Upscaler(_settings(factor=4)).run(source, output)
    assert (result.frames_in, result.frames_out, result.scenes) == (24, 96, 2)
    decoded = open_video(output)
    assert decoded.info.frame_rate == Fraction(96000, 1001)
    times = [frame.time for frame in decoded.frames()]
    assert len(times) == 96
    assert times[1] - times[0] == Fraction(1001, 96000)
    input_duration = Fraction(24) / spec.frame_rate
    output_duration = times[-1] + Fraction(1001, 96000)
    assert abs(output_duration - input_duration) <= Fraction(1001, 96000)
    with av.open(str(output)) as container, av.open(str(source)) as original:
        assert len(container.streams.audio) == 1, "audio is kept"
        out_audio, in_audio = container.streams.audio[0], original.streams.audio[0]
        assert out_audio.codec_context.name == in_audio.codec_context.name
        out_end = max(float(p.pts * p.time_base) for p in container.demux(out_audio) if p.pts is not None)
        in_end = max(float(p.pts * p.time_base) for p in original.demux(in_audio) if p.pts is not None)
        assert out_end == pytest.approx(in_end, abs=0.05), "audio ends where it ended in the input"


def _png_folder(folder, frames):
    folder.mkdir()
    for index, image in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:05d}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return folder


def _read_pngs(folder):
    return [cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB) for path in sorted(folder.glob("*.png"))]


def test_frames_at_a_cut_are_exact_copies_of_the_frame_before(tmp_path):
    spec = CartoonSpec(width=96, height=64, num_frames=20, frame_rate=Fraction(24), cut_at_frame=10)
    frames = list(render_frames(spec))
    source = _png_folder(tmp_path / "in", frames)
    (tmp_path / "out").mkdir()
    settings = UpscaleSettings(TimingSettings(factor=4, dedupe=DedupeMode.off), input_fps=Fraction(24))
    result = Upscaler(settings).run(source, tmp_path / "out")
    out = _read_pngs(tmp_path / "out")
    assert result.frames_out == len(out) == 80
    for index in range(36, 40):  # slots between source frames 9 and 10, across the cut
        np.testing.assert_array_equal(out[index], frames[9])
    np.testing.assert_array_equal(out[40], frames[10])
    assert not any(np.array_equal(out[index], frames[9]) for index in (41, 42, 43))


def test_fps_target_covers_the_duration(tmp_path):
    spec = CartoonSpec(width=96, height=64, num_frames=12, frame_rate=Fraction(24))
    source = _png_folder(tmp_path / "in", list(render_frames(spec)))
    (tmp_path / "out").mkdir()
    settings = UpscaleSettings(TimingSettings(fps=Fraction(60), dedupe=DedupeMode.off), input_fps=Fraction(24),
                               backend=BackendSpec("blend"))
    result = Upscaler(settings).run(source, tmp_path / "out")
    assert result.frames_out == 30  # 12 frames at 24 fps = 0.5 s -> 30 frames at 60 fps


def test_held_drawings_become_distinct_in_betweens(tmp_path):
    spec = CartoonSpec(width=96, height=64, num_frames=16, frame_rate=Fraction(24), hold_pattern=(2,))
    frames = list(render_frames(spec))
    source = _png_folder(tmp_path / "in", frames)
    (tmp_path / "out").mkdir()
    settings = UpscaleSettings(TimingSettings(factor=2), input_fps=Fraction(24), backend=BackendSpec("blend"))
    Upscaler(settings).run(source, tmp_path / "out")
    out = _read_pngs(tmp_path / "out")
    # Source frames 0 and 1 show the same drawing; with dedupe the outputs over them move toward drawing 2.
    distinct = {out[index].tobytes() for index in range(4)}
    assert len(distinct) == 4


@pytest.mark.parametrize(
    "name, timing, expected",
    [
        pytest.param("clip.mp4", TimingSettings(factor=4), "clip_x4.mp4", id="factor"),
        pytest.param("clip.webm", TimingSettings(factor=2), "clip_x2.mkv", id="webm-to-mkv"),
        pytest.param("clip.mkv", TimingSettings(fps=Fraction(60)), "clip_60fps.mkv", id="fps"),
        pytest.param("clip.mov", TimingSettings(fps=Fraction(60000, 1001)), "clip_59_940fps.mov", id="ntsc-fps"),
    ],
)
def test_default_output_path(tmp_path, name, timing, expected):
    assert default_output_path(tmp_path / name, timing) == tmp_path / expected
