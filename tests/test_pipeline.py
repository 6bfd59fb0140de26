"""One video end to end through the library: counts, exact rates, duration, audio, cuts."""

from dataclasses import replace
from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.pipeline import UpscaleSettings, Upscaler, default_output_path
from tooncrafter_batch.evaluation.metrics import psnr
from tooncrafter_batch.synthetic import CartoonSpec, render_frame, render_frames
from tooncrafter_batch.planning.timing import DedupeMode, TimingSettings
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
    result = Upscaler(settings).run(source, tmp_path / "out")
    assert result.keyframes == 8  # 16 frames on twos: 8 drawings
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


def _write_vfr_clip(path, times_ms, levels):
    """A clip whose frames sit at irregular times (milliseconds) and are flat greys of the given levels."""
    with av.open(str(path), "w", format="matroska") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv444p"
        stream.time_base = Fraction(1, 1000)
        stream.codec_context.time_base = Fraction(1, 1000)
        stream.codec_context.options = {"crf": "0", "bf": "0"}
        for time_ms, level in zip(times_ms, levels):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), level, np.uint8), format="rgb24")
            frame.pts = time_ms
            frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def test_variable_frame_rate_input_is_sampled_at_true_times(tmp_path):
    times_ms = [0, 40, 120, 160, 280, 320]
    levels = [40, 60, 100, 120, 180, 200]
    source = tmp_path / "vfr.mkv"
    _write_vfr_clip(source, times_ms, levels)
    (tmp_path / "out").mkdir()
    settings = UpscaleSettings(TimingSettings(fps=Fraction(50), dedupe=DedupeMode.off), backend=BackendSpec("blend"))
    Upscaler(settings).run(source, tmp_path / "out")
    out = _read_pngs(tmp_path / "out")
    for index, image in enumerate(out[:16]):
        expected = np.interp(index * 20, times_ms, levels)
        assert abs(float(image.mean()) - expected) <= 2.5, f"output {index} at {index * 20} ms"


def test_snap_at_a_cut_stays_a_snap_and_a_long_pause_stays_still(tmp_path):
    spec = CartoonSpec(width=96, height=64, num_frames=24, frame_rate=Fraction(24), cut_at_frame=12, hold_pattern=(2,))
    frames = list(render_frames(spec))
    frames[4:10] = [frames[4]] * 6  # a 6-frame pause (0.25 s) inside the first shot
    source = _png_folder(tmp_path / "in", frames)
    (tmp_path / "out").mkdir()
    settings = UpscaleSettings(TimingSettings(factor=2, hold_limit=Fraction(1, 6)), input_fps=Fraction(24),
                               backend=BackendSpec("blend"))
    Upscaler(settings).run(source, tmp_path / "out")
    out = _read_pngs(tmp_path / "out")
    for index in range(8, 19):  # source frames 4..9 (pause) -> outputs 8..19 stay the held drawing
        np.testing.assert_array_equal(out[index], frames[4])
    for index in (22, 23):  # the last drawing before the cut (source frame 10, held on twos) stays until the cut
        np.testing.assert_array_equal(out[index], frames[10])
    np.testing.assert_array_equal(out[24], frames[12])


def test_camera_dedupe_moves_a_character_on_twos_smoothly_under_a_pan(tmp_path):
    """Characters drawn on twos under a camera panning on ones: `--dedupe camera` takes each drawing once, so the
    characters move on every output frame; compared with the same scene rendered on ones (exact truth), it is much
    closer than `auto`, which sees every panned frame as new and keeps the stutter."""
    spec = CartoonSpec(width=320, height=180, num_frames=24, frame_rate=Fraction(24), hold_pattern=(2,),
                       camera_pan=48.0, with_audio=False)
    smooth = replace(spec, hold_pattern=())
    source = _png_folder(tmp_path / "in", list(render_frames(spec)))
    scores = {}
    for mode in (DedupeMode.auto, DedupeMode.camera):
        (tmp_path / mode.value).mkdir()
        settings = UpscaleSettings(TimingSettings(factor=2, dedupe=mode), input_fps=Fraction(24))
        Upscaler(settings).run(source, tmp_path / mode.value)
        out = _read_pngs(tmp_path / mode.value)
        assert len(out) == 48
        # the last drawing has no successor to move toward: score up to it
        scores[mode] = np.mean([psnr(frame, render_frame(smooth, Fraction(index, 48)))
                                for index, frame in enumerate(out[:44])])
    assert scores[DedupeMode.camera] > scores[DedupeMode.auto] + 3.0, scores
