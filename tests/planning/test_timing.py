"""Keyframe timing: rate parsing, settings validation, held-drawing detection."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.datatypes import Frame
from tooncrafter_batch.errors import SettingsError
from tooncrafter_batch.planning.timing import DedupeMode, TimingSettings, parse_rate, select_keys


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("60", Fraction(60), id="integer"),
        pytest.param("60000/1001", Fraction(60000, 1001), id="rational"),
        pytest.param("59.94", Fraction(60000, 1001), id="ntsc-decimal"),
        pytest.param("23.976", Fraction(24000, 1001), id="film-ntsc"),
        pytest.param("29.97", Fraction(30000, 1001), id="video-ntsc"),
        pytest.param("12.5", Fraction(25, 2), id="plain-decimal"),
    ],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "0", "-5", "1/0", "60/x"])
def test_parse_rate_rejects(text):
    with pytest.raises(SettingsError):
        parse_rate(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({}, id="neither"),
        pytest.param({"factor": 2, "fps": Fraction(60)}, id="both"),
        pytest.param({"factor": 1}, id="factor-one"),
        pytest.param({"factor": 2, "dedupe_threshold": -1}, id="threshold"),
    ],
)
def test_timing_settings_reject(kwargs):
    with pytest.raises(SettingsError):
        TimingSettings(**kwargs)


def test_fps_must_exceed_input_rate():
    with pytest.raises(SettingsError, match="not above"):
        TimingSettings(fps=Fraction(24)).output_rate(Fraction(30))
    assert TimingSettings(factor=4).output_rate(Fraction(24000, 1001)) == Fraction(96000, 1001)


def _drawing(value, size=(48, 64)):
    image = np.full((*size, 3), 230, np.uint8)
    image[10:30, 5 + value: 25 + value] = (20, 20, 20)
    return image


def _frames(drawings, cuts=(), rate=24, noise=0):
    rng = np.random.default_rng(0)
    for index, value in enumerate(drawings):
        image = _drawing(value).astype(np.int16)
        if noise:
            image += rng.integers(-noise, noise + 1, image.shape, dtype=np.int16)
        yield Frame(index, Fraction(index, rate), np.clip(image, 0, 255).astype(np.uint8)), index in cuts


def _key_indices(drawings, cuts=(), noise=0, **settings):
    timing = TimingSettings(factor=2, **settings)
    return [(key.frame.index, key.starts_shot, key.ends_hold) for key in select_keys(_frames(drawings, cuts, noise=noise), timing)]


def test_on_twos_keeps_first_frame_of_each_drawing():
    keys = _key_indices([0, 0, 4, 4, 8, 8, 12])
    assert [index for index, _, _ in keys] == [0, 2, 4, 6]


def test_mixed_ones_twos_threes_drawing_by_drawing():
    keys = _key_indices([0, 4, 4, 8, 8, 8, 12, 16, 16])
    assert [index for index, _, _ in keys] == [0, 1, 3, 6, 7]


def test_compression_noise_is_still_a_hold():
    keys = _key_indices([0, 0, 0, 6, 6, 6], noise=3)
    assert [index for index, _, _ in keys] == [0, 3]


def test_cut_always_starts_a_key_even_on_the_same_drawing():
    keys = _key_indices([0, 0, 0, 0], cuts={2})
    assert keys == [(0, False, False), (2, True, False)]


def test_long_hold_adds_its_last_frame_as_a_still_key():
    drawings = [0] * 12 + [6, 6]
    keys = _key_indices(drawings, hold_limit=Fraction(1, 4))
    assert keys == [(0, False, False), (11, False, True), (12, False, False)]


def test_dedupe_off_keeps_every_frame():
    keys = _key_indices([0, 0, 4, 4], dedupe=DedupeMode.off)
    assert [index for index, _, _ in keys] == [0, 1, 2, 3]


def _camera_clip(pan: float, hold_pattern: tuple[int, ...], frames: int = 16, shake: float = 0.0) -> list[Frame]:
    from tooncrafter_batch.synthetic import CartoonSpec, render_frame

    spec = CartoonSpec(width=320, height=180, camera_pan=pan, camera_shake=shake, hold_pattern=hold_pattern)
    return [Frame(index, Fraction(index, 24), render_frame(spec, Fraction(index, 24))) for index in range(frames)]


# The shot's first drawing is always "n": how the camera moved into it is not known yet.
@pytest.mark.parametrize("pan, hold_pattern, expected", [
    pytest.param(48.0, (2,), "nn" + "nm" * 7, id="twos-under-a-pan"),
    pytest.param(-100.0, (3,), "nnm" + "nmm" * 4 + "n", id="threes-under-a-fast-pan-the-other-way"),
    pytest.param(13.0, (2,), "nn" + "nm" * 7, id="twos-under-a-sub-pixel-pan"),
    pytest.param(48.0, (), "n" * 16, id="ones-under-a-pan"),
    pytest.param(0.0, (2,), "ns" * 8, id="twos-without-a-camera"),
])
def test_a_drawing_held_under_a_moving_camera_is_found(pan, hold_pattern, expected):
    from tooncrafter_batch.planning.timing import HoldDetector

    with_camera, plain = HoldDetector(8.0, follow_camera=True), HoldDetector(8.0)
    frames = _camera_clip(pan, hold_pattern)
    assert "".join(with_camera.match(frame.image).value[0] for frame in frames) == expected
    assert "".join(plain.match(frame.image).value[0] for frame in frames) == expected.replace("m", "n")


def test_camera_dedupe_keys_each_drawing_once_under_a_pan():
    frames = _camera_clip(48.0, (2,))
    keys = list(select_keys(((frame, frame.index == 0) for frame in frames),
                            TimingSettings(factor=2, dedupe=DedupeMode.camera)))
    assert [key.frame.index for key in keys] == [0, 1, *range(2, 16, 2)]  # the first drawing: camera not known yet
    auto = list(select_keys(((frame, frame.index == 0) for frame in frames), TimingSettings(factor=2)))
    assert len(auto) == 16  # without following the camera every panned frame looks new


def test_a_long_pan_over_a_still_drawing_is_never_frozen():
    """A still drawing panned for longer than the hold limit: keys keep coming (no still run that would stop the
    camera), at least one per hold limit, and none of them ends a hold."""
    frames = _camera_clip(48.0, (100,), frames=24)  # one drawing for the whole clip, the camera moving
    settings = TimingSettings(factor=2, dedupe=DedupeMode.camera)
    keys = list(select_keys(((frame, frame.index == 0) for frame in frames), settings))
    times = [key.frame.time for key in keys]
    assert not any(key.ends_hold for key in keys)
    assert max(b - a for a, b in zip(times, times[1:])) <= settings.hold_limit + Fraction(1, 24)
    assert len(keys) >= 3


@pytest.mark.parametrize("hold_pattern", [(2,), (4,)])
def test_a_camera_shake_over_held_drawings_keeps_every_frame(hold_pattern):
    """The camera swinging back and forth (4 px on even frames one way, odd frames the other) over drawings held
    on twos or fours: the frames are the same drawings shifted, but the shake is part of the shot, so every frame
    stays a key instead of being smoothed away."""
    frames = _camera_clip(0.0, hold_pattern, shake=4.0)
    keys = list(select_keys(((frame, frame.index == 0) for frame in frames),
                            TimingSettings(factor=2, dedupe=DedupeMode.camera)))
    assert [key.frame.index for key in keys] == list(range(16))


@pytest.mark.parametrize("size", [(1, 1), (2, 2), (3, 64), (9, 13)])
def test_camera_dedupe_takes_tiny_pictures(size):
    rng = np.random.default_rng(0)
    frames = [Frame(index, Fraction(index, 24), rng.integers(0, 256, (*size, 3), dtype=np.uint8)) for index in range(4)]
    frames += [Frame(4 + index, Fraction(4 + index, 24), np.full((*size, 3), 128, np.uint8)) for index in range(3)]
    def keys(mode):
        return [key.frame.index for key in select_keys(((frame, frame.index == 0) for frame in frames),
                                                       TimingSettings(factor=2, dedupe=mode))]

    assert keys(DedupeMode.camera) == keys(DedupeMode.auto)  # too small to search for a camera move: as auto
