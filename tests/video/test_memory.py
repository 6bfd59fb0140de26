"""Bounded memory: decoding and encoding stream, so peak memory does not grow with the length of the video."""

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.encode import EncoderSettings, write_clip

WIDTH, HEIGHT = 160, 120  # 57.6 kB per RGB frame: holding the long clip's frames would cost over 50 MB
SHORT, LONG = 240, 960

# Decode a clip and write each frame twice at twice the rate, with the clip's sound; print the peak RSS in kB.
# VmHWM belongs to this process image (getrusage's ru_maxrss would carry over the forking parent's peak).
_ROUND_TRIP = """
import re, sys
from pathlib import Path
from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.encode import EncoderSettings, VideoWriter
source = open_video(Path(sys.argv[1]))
settings = EncoderSettings(preset="ultrafast")
with VideoWriter(Path(sys.argv[2]), source.info, 2 * source.info.frame_rate, settings, source.path) as writer:
    for frame in source.frames():
        writer.write(frame.image)
        writer.write(frame.image)
print(re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1))
"""


def _moving_frames(count: int):
    x = np.arange(WIDTH)[None, :]
    y = np.arange(HEIGHT)[:, None]
    for index in range(count):
        red = ((x + 2 * index) % 160).astype(np.uint8) + np.zeros((HEIGHT, 1), np.uint8)
        green = ((y * 2 + index) % 200).astype(np.uint8) + np.zeros((1, WIDTH), np.uint8)
        yield np.stack([red, green, np.full_like(red, 90)], axis=2)


def _peak_kib(folder: Path, count: int) -> int:
    clip = folder / f"clip{count}.mkv"
    tone = (0.1 * np.sin(np.arange(count * 2000) * 0.05)).astype(np.float32)[None]  # 48 kHz at 24 fps
    write_clip(clip, _moving_frames(count), Fraction(24), audio=(tone, 48000),
               settings=EncoderSettings(preset="ultrafast"))
    result = subprocess.run([sys.executable, "-c", _ROUND_TRIP, str(clip), str(folder / f"out{count}.mkv")],
                            capture_output=True, text=True, timeout=120, check=True)
    return int(result.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak RSS from Linux's /proc")
@pytest.mark.timeout(120)
def test_peak_memory_does_not_grow_with_the_length_of_the_video(tmp_path):
    short, long = _peak_kib(tmp_path, SHORT), _peak_kib(tmp_path, LONG)
    held = (LONG - SHORT) * WIDTH * HEIGHT * 3 // 1024  # what keeping the extra decoded frames would cost
    assert long - short < held // 4, f"peak RSS {short} kB for {SHORT} frames, {long} kB for {LONG} frames"
    # and over the long clip (40 s at 24 fps, 80 s of output frames at 48 fps) the sound is still in step:
    clip, output = open_video(tmp_path / f"clip{LONG}.mkv"), open_video(tmp_path / f"out{LONG}.mkv")
    assert output.info.num_frames == 2 * LONG
    assert abs(output.info.duration - clip.info.duration) <= 1 / output.info.frame_rate
    assert _audio_stamps(tmp_path / f"out{LONG}.mkv") == _audio_stamps(tmp_path / f"clip{LONG}.mkv")


def _audio_stamps(path: Path) -> list[tuple[int, int]]:
    """(pts relative to the video's first packet, size) of every audio packet."""
    with av.open(str(path)) as container:
        video_start = next(packet.pts for packet in container.demux(video=0) if packet.size)
    with av.open(str(path)) as container:
        return [(packet.pts - video_start, packet.size) for packet in container.demux(audio=0) if packet.size]
