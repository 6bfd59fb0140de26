"""Sound and subtitles: stream-copied where the container allows, re-encoded otherwise, always in sync."""

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tooncrafter_batch.synthetic import click_times, render_audio
from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.encode import VideoWriter

NTSC_FILM = Fraction(24000, 1001)



def packets(path: Path, kind: str) -> list[av.Packet]:
    with av.open(str(path)) as container:
        stream = next(stream for stream in container.streams if stream.type == kind)
        return [packet for packet in container.demux(stream) if packet.size]


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """The frame's channels averaged, in [-1, 1] whatever the sample format (AAC gives float, ADPCM int16)."""
    samples = frame.to_ndarray()
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples / np.iinfo(samples.dtype).max
    if frame.format.is_planar:
        return samples.reshape(-1, frame.samples).mean(axis=0)  # (channels, samples)
    return samples.reshape(frame.samples, -1).mean(axis=1)  # (samples, channels) interleaved


def sound(path: Path) -> tuple[Fraction, np.ndarray, int]:
    """(time of the first decoded sample relative to the video's start, mono samples, sample rate)."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        video_start = (video.start_time or 0) * Fraction(video.time_base)
        chunks, first_time, rate = [], None, 0
        for frame in container.decode(audio=0):
            first_time = frame.pts * Fraction(frame.time_base) if first_time is None else first_time
            chunks.append(_mono(frame))
            rate = frame.sample_rate
    return first_time - video_start, np.concatenate(chunks), rate




def first_click(path: Path) -> float:
    """Seconds from the video's start to the first loud sample (a click)."""
    start, samples, rate = sound(path)
    return float(start) + int(np.argmax(np.abs(samples) > 0.5)) / rate


def upscale_by_copying(source_path: Path, output: Path, factor: int) -> VideoWriter:
    """Write every input frame `factor` times at `factor` x the rate, with the input's sound."""
    source = open_video(source_path)
    with VideoWriter(output, source.info, factor * source.info.frame_rate, audio_from=source_path) as writer:
        for frame in source.frames():
            for _ in range(factor):
                writer.write(frame.image)
    return writer


def test_audio_is_stream_copied_and_in_sync_at_four_times_ntsc_film(tmp_path, tone_clip, small_spec):
    output = tmp_path / "x4.mp4"
    writer = upscale_by_copying(tone_clip, output, 4)
    assert writer.warnings == []
    source, result = open_video(tone_clip).info, open_video(output).info
    assert result.frame_rate == Fraction(96000, 1001) and result.num_frames == 4 * source.num_frames
    assert abs(result.duration - source.duration) <= 1 / result.frame_rate
    copied, original = packets(output, "audio"), packets(tone_clip, "audio")
    assert [bytes(packet) for packet in copied] == [bytes(packet) for packet in original]  # no re-encoding
    assert [packet.pts for packet in copied] == [packet.pts for packet in original]
    (start_in, samples_in, rate_in), (start_out, samples_out, rate_out) = sound(tone_clip), sound(output)
    assert (start_out, len(samples_out), rate_out) == (start_in, len(samples_in), rate_in)
    assert abs(first_click(output) - float(click_times(small_spec)[0])) < 0.003


def _late_video_clip(path: Path) -> None:
    """Video starting 0.5 s after the sound (as in broadcast captures); a click at 1.0 s of sound = 0.5 s of video."""
    rate = 48000
    signal = np.zeros((1, rate * 5 // 2), np.float32)
    signal[0, rate:rate + 96] = 0.9
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt, video.time_base = 64, 48, "yuv420p", Fraction(1, 24)
        audio = container.add_stream("aac", rate=rate)
        audio.layout = "mono"
        for index in range(48):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), index * 5, np.uint8), format="rgb24")
            frame.pts = 12 + index
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        samples = av.AudioFrame.from_ndarray(signal, format="fltp", layout="mono")
        samples.sample_rate, samples.pts = rate, 0
        container.mux(audio.encode(samples))
        container.mux(audio.encode(None))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_sound_stays_in_sync_when_the_video_starts_late(tmp_path, suffix):
    late = tmp_path / "late.mkv"
    _late_video_clip(late)
    assert abs(first_click(late) - 0.5) < 0.003
    output = tmp_path / f"out{suffix}"
    upscale_by_copying(late, output, 2)
    assert abs(first_click(output) - 0.5) < 0.003


def _clip_with_adpcm_sound(tone_clip: Path, path: Path, spec) -> None:
    """The clip's video packets with its soundtrack encoded as QuickTime IMA ADPCM, which MP4 cannot hold."""
    samples, rate = render_audio(spec)
    with av.open(str(tone_clip)) as source, av.open(str(path), "w") as output:
        video = output.add_stream_from_template(source.streams.video[0])
        audio = output.add_stream("adpcm_ima_qt", rate=rate)
        audio.layout = "stereo"
        for packet in source.demux(video=0):
            if packet.size:
                packet.stream = video
                output.mux(packet)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = rate, 0
        output.mux(audio.encode(frame))
        output.mux(audio.encode(None))


def test_audio_the_container_cannot_hold_is_reencoded_in_sync(tmp_path, tone_clip, small_spec):
    odd_sound = tmp_path / "adpcm.mov"
    _clip_with_adpcm_sound(tone_clip, odd_sound, small_spec)
    output = tmp_path / "x2.mp4"
    writer = upscale_by_copying(odd_sound, output, 2)
    assert any("re-encoded to aac" in warning for warning in writer.warnings)
    with av.open(str(output)) as result:
        assert result.streams.audio[0].codec_context.name == "aac"
    _, samples_in, _ = sound(odd_sound)
    _, samples_out, _ = sound(output)
    assert abs(len(samples_out) - len(samples_in)) <= 2048  # within two AAC frames of padding
    assert abs(first_click(odd_sound) - float(click_times(small_spec)[0])) < 0.003
    assert abs(first_click(output) - float(click_times(small_spec)[0])) < 0.003


_SUBTITLES = """1
00:00:00,200 --> 00:00:00,600
Hello

2
00:00:00,700 --> 00:00:00,900
again
"""


def _clip_with_subtitles(tone_clip: Path, folder: Path) -> Path:
    srt = folder / "lines.srt"
    srt.write_text(_SUBTITLES)
    path = folder / "subtitled.mkv"
    with av.open(str(tone_clip)) as clip, av.open(str(srt)) as text, av.open(str(path), "w") as output:
        streams = {id(stream): output.add_stream_from_template(stream)
                   for stream in (*clip.streams, text.streams.subtitles[0])}
        for packet in (*clip.demux(), *text.demux()):
            if packet.size:
                packet.stream = streams[id(packet.stream)]
                output.mux(packet)
    return path


@pytest.mark.parametrize("suffix, is_kept", [(".mkv", True), (".mp4", False)])
def test_subtitles_are_copied_where_the_container_takes_them(tmp_path, tone_clip, suffix, is_kept):
    subtitled = _clip_with_subtitles(tone_clip, tmp_path)
    output = tmp_path / f"out{suffix}"
    writer = upscale_by_copying(subtitled, output, 2)
    with av.open(str(output)) as result:
        kinds = [stream.type for stream in result.streams]
    assert ("subtitle" in kinds) == is_kept
    assert any("subtitle" in warning and "dropped" in warning for warning in writer.warnings) == (not is_kept)
    if is_kept:
        lines = [(packet.pts, bytes(packet)) for packet in packets(output, "subtitle")]
        assert lines == [(packet.pts, bytes(packet)) for packet in packets(subtitled, "subtitle")]
        video_start = packets(output, "video")[0].pts  # Matroska shifts all streams by the AAC priming delay
        assert [pts - video_start for pts, _ in lines] == [200, 700]


def test_the_duration_matches_within_one_output_frame_for_an_mkv_at_ntsc_rate(tmp_path, tone_clip):
    output = tmp_path / "x3.mkv"
    upscale_by_copying(tone_clip, output, 3)
    source, result = open_video(tone_clip).info, open_video(output).info
    assert result.frame_rate == 3 * NTSC_FILM
    assert abs(result.duration - source.duration) <= 1 / result.frame_rate
