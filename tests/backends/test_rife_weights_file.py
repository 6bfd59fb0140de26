"""rife's `weights` option: one weights file (a fine-tuned one) instead of the released folder, checked strictly."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from tooncrafter_batch.backends.learned_options import LearnedOptions, locate_learned_weights
from tooncrafter_batch.backends.rife import RifeInterpolator
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import CheckpointError, SettingsError
from tooncrafter_batch.models.rife import IFNet
from tooncrafter_batch.synthetic import CartoonSpec, render_frame
from tooncrafter_batch.weights.checkpoint import save_safetensors


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    torch.manual_seed(0)
    return save_safetensors(IFNet(), tmp_path_factory.mktemp("weights") / "show.safetensors", torch.float32)


def test_a_weights_file_is_found_by_absolute_path_and_loads(weights_file, monkeypatch):
    monkeypatch.chdir(weights_file.parent)
    options = locate_learned_weights(LearnedOptions(weights="show.safetensors"), "rife")
    assert options.weights == str(weights_file)
    spec = CartoonSpec(width=64, height=64, num_frames=4, frame_rate=Fraction(24))
    pair = Pair(render_frame(spec, Fraction(0)), render_frame(spec, Fraction(2, 24)))
    [[frame]] = RifeInterpolator(weights=options.weights).interpolate([pair], [[0.5]])
    assert frame.shape == pair.start.shape and frame.dtype == np.uint8


@pytest.mark.parametrize("options, name, error, message", [
    pytest.param({"weights": "missing.safetensors"}, "rife", CheckpointError, "no weights file at", id="missing"),
    pytest.param({"weights": "show.safetensors"}, "gmfss", SettingsError, "rife option", id="gmfss"),
])
def test_mistakes_name_the_file_or_the_option(tmp_path, monkeypatch, options, name, error, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "show.safetensors").write_bytes(b"")
    with pytest.raises(error, match=message):
        locate_learned_weights(LearnedOptions(**options), name)
