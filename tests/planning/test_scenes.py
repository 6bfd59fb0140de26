"""Scene cuts from frames already decoded."""

from fractions import Fraction

import numpy as np
import pytest

from tooncrafter_batch.errors import SettingsError
from tooncrafter_batch.planning.scenes import SceneSettings, detect_cuts


def _shot(colour, count, moving=True):
    frames = []
    for index in range(count):
        image = np.full((90, 160, 3), colour, np.uint8)
        x = 10 + 3 * index if moving else 10
        image[30:60, x: x + 30] = 0
        frames.append(image)
    return frames


def test_finds_the_cut_between_two_shots():
    frames = _shot((220, 180, 60), 20) + _shot((40, 90, 200), 20)
    assert detect_cuts(frames, SceneSettings(), Fraction(24)) == [20]


def test_motion_inside_a_shot_is_not_a_cut():
    assert detect_cuts(_shot((220, 180, 60), 30), SceneSettings(), Fraction(24)) == []


def test_cuts_closer_than_min_scene_frames_are_ignored():
    frames = _shot((220, 180, 60), 10) + _shot((40, 90, 200), 3) + _shot((200, 40, 40), 10)
    assert detect_cuts(frames, SceneSettings(min_scene_frames=5), Fraction(24)) == [10]


@pytest.mark.parametrize("kwargs", [{"threshold": 0}, {"threshold": 300}, {"min_scene_frames": 0}])
def test_settings_reject(kwargs):
    with pytest.raises(SettingsError):
        SceneSettings(**kwargs)
