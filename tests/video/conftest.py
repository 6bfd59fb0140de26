"""Small clips for the video I/O tests, rendered by the project's synthetic cartoon (ground truth known)."""

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tooncrafter_batch.datatypes import VideoInfo
from tooncrafter_batch.synthetic import CartoonSpec, render_audio, render_frames
from tooncrafter_batch.video.encode import write_clip

NTSC_FILM = Fraction(24000, 1001)
SMALL = CartoonSpec(width=96, height=64, num_frames=24, frame_rate=NTSC_FILM, cut_at_frame=12, with_audio=True)


def cartoon_frames(spec: CartoonSpec = SMALL) -> list[np.ndarray]:
    return list(render_frames(spec))


def _info_for(width: int, height: int, frame_rate: Fraction = NTSC_FILM, **fields) -> VideoInfo:
    base = VideoInfo(width=width, height=height, frame_rate=frame_rate, time_base=1 / frame_rate, num_frames=None,
                     duration=None)
    return replace(base, **fields)


@pytest.fixture
def make_info():
    """make_info(width, height, frame_rate=24000/1001, **other VideoInfo fields) -> VideoInfo."""
    return _info_for


@pytest.fixture(scope="session")
def small_spec() -> CartoonSpec:
    """What `tone_clip` and `small_frames` show (its `click_times` say where the sound's clicks are)."""
    return SMALL


@pytest.fixture(scope="session")
def small_frames() -> list[np.ndarray]:
    """The frames of SMALL: 24 frames of 96x64 with a cut at frame 12."""
    return cartoon_frames()


@pytest.fixture(scope="session")
def tone_clip(tmp_path_factory) -> Path:
    """SMALL as an mp4 at 24000/1001 fps with its stereo soundtrack (AAC)."""
    path = tmp_path_factory.mktemp("video") / "tone.mp4"
    write_clip(path, cartoon_frames(), NTSC_FILM, audio=render_audio(SMALL))
    return path


@pytest.fixture(scope="session")
def silent_mkv(tmp_path_factory) -> Path:
    """48 frames, no sound, in Matroska (used for truncation tests)."""
    spec = replace(SMALL, num_frames=48, with_audio=False)
    path = tmp_path_factory.mktemp("video") / "silent.mkv"
    write_clip(path, cartoon_frames(spec), NTSC_FILM)
    return path
