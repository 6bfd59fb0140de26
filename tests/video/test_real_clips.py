"""The real clips in ../shared/data (skipped where that folder is absent): rates, counts, and sound kept at 4x."""

from fractions import Fraction

import av
import pytest

from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.encode import EncoderSettings, VideoWriter


@pytest.mark.parametrize("name, input_fps, frame_rate, num_frames, has_audio", [
    pytest.param("onepiece_demo.mp4", None, Fraction(1199, 50), 181, True, id="onepiece-mp4"),
    pytest.param("tupi_example.avi", None, Fraction(18), 180, False, id="tupi-avi-mpeg4"),
    pytest.param("lvcd_sample1", Fraction(24), Fraction(24), 75, False, id="lvcd-png-folder"),
])
def test_real_clips_decode_completely_at_their_exact_rate(shared_data, name, input_fps, frame_rate, num_frames,
                                                          has_audio):
    source = open_video(shared_data / name, input_fps=input_fps)
    assert (source.info.frame_rate, source.info.num_frames, source.info.has_audio) == (frame_rate, num_frames,
                                                                                      has_audio)
    times = [frame.time for frame in source.frames()]
    assert len(times) == num_frames and not source.was_truncated
    assert times == sorted(times) and times[0] == 0


def test_onepiece_at_four_times_keeps_its_sound_bit_for_bit(shared_data, tmp_path):
    clip = shared_data / "onepiece_demo.mp4"
    source = open_video(clip)
    output = tmp_path / "onepiece_x4.mp4"
    with VideoWriter(output, source.info, 4 * source.info.frame_rate, EncoderSettings(preset="ultrafast"),
                     audio_from=clip) as writer:
        for frame in source.frames():
            for _ in range(4):
                writer.write(frame.image)
    result = open_video(output).info
    assert (result.frame_rate, result.num_frames) == (Fraction(2398, 25), 4 * 181)
    assert abs(result.duration - source.info.duration) <= 1 / result.frame_rate
    with av.open(str(clip)) as original, av.open(str(output)) as upscaled:
        before = [(packet.pts, bytes(packet)) for packet in original.demux(audio=0) if packet.size]
        after = [(packet.pts, bytes(packet)) for packet in upscaled.demux(audio=0) if packet.size]
    assert after == before
