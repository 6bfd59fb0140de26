"""The tooncrafter backend's options without the model: defaults, validation, locating the weights files."""

import pytest

from tooncrafter_batch.backends.tooncrafter_options import SketchOptions, ToonCrafterOptions, locate_weights
from tooncrafter_batch.models.tooncrafter.sampling_settings import DEFAULT_CONTROL_SCALE, SamplingSettings
from tooncrafter_batch.errors import CheckpointError, SettingsError


def test_defaults_are_the_reference_sampling_settings():
    assert ToonCrafterOptions().sampling() == SamplingSettings()
    assert SketchOptions().scale == DEFAULT_CONTROL_SCALE == 0.6


def test_located_weights_are_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative paths are resolved against the working folder
    with pytest.raises(CheckpointError, match="no checkpoint at elsewhere.ckpt"):
        locate_weights(ToonCrafterOptions(checkpoint="elsewhere.ckpt"))
    located = locate_weights(ToonCrafterOptions(config="configs/x.yaml", random_weights=True))
    assert located.checkpoint is None and located.config == str(tmp_path / "configs" / "x.yaml")
    (tmp_path / "mine.ckpt").write_bytes(b"x")
    located = locate_weights(ToonCrafterOptions(checkpoint="mine.ckpt", steps=3))
    assert located.checkpoint == str(tmp_path / "mine.ckpt") and located.config is None and located.steps == 3


@pytest.mark.parametrize("options, changes, message", [
    pytest.param(ToonCrafterOptions, {"dtype": "fp8"}, "dtype must be one of fp32, bf16, fp16", id="dtype"),
    pytest.param(ToonCrafterOptions, {"eta": -1.0}, "eta", id="eta"),
    pytest.param(ToonCrafterOptions, {"cfg_scale": 0.5}, "cfg scale", id="cfg"),
    pytest.param(SketchOptions, {"unsketched": "zero"}, "--sketch-frames", id="sketch-mode"),
    pytest.param(SketchOptions, {"scale": -0.1}, "--sketch-scale", id="negative-sketch-scale"),
    pytest.param(SketchOptions, {"scale": 2.5}, "--sketch-scale", id="large-sketch-scale"),
])
def test_bad_options_are_settings_errors(options, changes, message):
    with pytest.raises(SettingsError, match=message):
        options(**changes)
