"""The library side of `toonbatch interpolate`: settings checks, backend choice with sketches, reading the guide."""

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from tooncrafter_batch.backends.tooncrafter_options import SketchOptions, ToonCrafterOptions
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import SettingsError
from tooncrafter_batch.keyframes import KeyframeSettings, SketchSettings, choose_backend, interpolate_keyframes
from tooncrafter_batch.imaging.line_art import SketchFrames
from tooncrafter_batch.sketches import SketchSpec
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

POSE = SketchSpec(8, Path("pose.png"))


@pytest.mark.parametrize("settings, message", [
    pytest.param(lambda: SketchSettings(sketches=(POSE,), video=Path("guide.mp4")), "exclude each other", id="both"),
    pytest.param(lambda: SketchSettings(model=SketchOptions(scale=0.3)), "only apply with --sketch", id="scale-alone"),
    pytest.param(lambda: SketchSettings(model=SketchOptions(checkpoint="s.ckpt")), "only apply with --sketch",
                 id="checkpoint-alone"),
    pytest.param(lambda: KeyframeSettings(backend="flow", num_frames=5, sketch=SketchSettings(sketches=(POSE,))),
                 "sketch index 8 is outside 0..4", id="index-past-frames"),
])
def test_bad_sketch_settings_are_refused(settings, message):
    with pytest.raises(SettingsError, match=message):
        settings()


@pytest.mark.parametrize("backend, index, is_refused", [
    pytest.param("flow", 0, True, id="flow-start"),
    pytest.param("flow", 15, True, id="flow-end"),
    pytest.param("flow", 1, False, id="flow-inbetween"),
    pytest.param("auto", 15, True, id="auto-falls-back-to-flow"),
    pytest.param("tooncrafter", 0, False, id="tooncrafter-takes-keyframe-sketches"),
])
def test_flow_refuses_sketches_of_the_keyframes(tmp_path, monkeypatch, backend, index, is_refused):
    monkeypatch.chdir(tmp_path)  # no checkpoint here: auto means flow
    model = ToonCrafterOptions(random_weights=True) if backend == "tooncrafter" else ToonCrafterOptions()
    settings = KeyframeSettings(backend=backend, model=model,
                                sketch=SketchSettings(sketches=(SketchSpec(index, Path("pose.png")),)))
    if is_refused:
        with pytest.raises(SettingsError, match=f"frame {index} is a keyframe"):
            choose_backend(settings)
    else:
        assert choose_backend(settings).spec.name == backend


def test_the_guide_is_read_at_the_keyframe_size(tmp_path):
    drawing = np.full((30, 40), 255, np.uint8)
    drawing[10:20, 20] = 0  # one black stroke on white paper
    cv2.imwrite(str(tmp_path / "pose.png"), drawing)
    sketch = SketchSettings(sketches=(SketchSpec(3, tmp_path / "pose.png"),))
    guide = sketch.read(60, 80, 16)
    assert guide.lines.shape == (16, 60, 80) and list(np.flatnonzero(guide.has_sketch)) == [3]
    assert guide.lines[3, 20:40, 40:42].min() > 0.5 and guide.lines[3].mean() < 0.02, "white lines on black"
    assert SketchSettings().read(60, 80, 16) is None


def test_flow_ignores_sketches_of_the_keyframes_in_a_guide():
    """A guide video's first and last frames stand for the keyframes: with nothing else drawn it is plain flow."""
    spec = CartoonSpec(width=96, height=64)
    pair = Pair(render_frame(spec, 0), render_frame(spec, Fraction(1, 8)))
    lines = np.zeros((5, 64, 96), np.float32)
    lines[[0, -1], 10:50, 40] = 1.0
    guide = SketchFrames(lines=lines, has_sketch=np.array([True, False, False, False, True]))
    settings = KeyframeSettings(backend="flow", num_frames=5)
    plain = interpolate_keyframes(pair, choose_backend(settings).spec, settings)
    guided = interpolate_keyframes(pair, choose_backend(settings).spec, settings, guide)
    assert len(guided) == 5 and all(np.array_equal(a, b) for a, b in zip(plain, guided))
