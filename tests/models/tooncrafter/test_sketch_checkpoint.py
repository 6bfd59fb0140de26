"""Loading the sketch encoder's weights: official-style .ckpt (bare or wrapped), fp16 .safetensors, clear errors."""

from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tooncrafter_batch.weights.checkpoint import save_safetensors
from tooncrafter_batch.models.tooncrafter.config import model_config_from_mapping
from tooncrafter_batch.errors import CheckpointError
from tooncrafter_batch.weights.builder import load_sketch_encoder

SKETCH_REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "sketch"
TINY_SKETCH_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "sketch_encoder_tiny.yaml"


@pytest.fixture(scope="module")
def tiny_config():
    return model_config_from_mapping(yaml.safe_load(TINY_SKETCH_CONFIG.read_text()), str(TINY_SKETCH_CONFIG))


@pytest.fixture(scope="module")
def weights() -> dict:
    return {key: value.float() for key, value in
            load_file(SKETCH_REFERENCE / "tiny_sketch_compat_state_dict.safetensors").items()}


@pytest.mark.parametrize("wrap", [pytest.param(False, id="bare"), pytest.param(True, id="state_dict-wrapper")])
def test_sketch_encoder_loads_a_ckpt(tmp_path, tiny_config, weights, wrap):
    path = tmp_path / "sketch_encoder.ckpt"
    torch.save({"state_dict": weights} if wrap else weights, path)
    encoder = load_sketch_encoder(path, tiny_config)
    assert not encoder.training
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, weights[key]), key


def test_sketch_encoder_loads_fp16_safetensors(tmp_path, tiny_config, weights):
    source = load_sketch_encoder(None, tiny_config, random_weights=True)
    source.load_state_dict(weights)
    path = save_safetensors(source, tmp_path / "sketch_encoder-fp16.safetensors", torch.float16)
    encoder = load_sketch_encoder(path, tiny_config)
    assert all(value.dtype == torch.float32 for value in encoder.state_dict().values())
    for key, value in encoder.state_dict().items():
        assert torch.equal(value, weights[key]), key  # the reference weights are fp16 values already


def test_sketch_encoder_errors_name_the_file_and_the_keys(tmp_path, tiny_config, weights):
    with pytest.raises(CheckpointError, match="no sketch encoder at .*nothing.ckpt.*--sketch-checkpoint"):
        load_sketch_encoder(tmp_path / "nothing.ckpt", tiny_config)
    path = tmp_path / "partial.ckpt"
    torch.save({key: value for key, value in weights.items() if not key.startswith("zero_convs.0.")}, path)
    with pytest.raises(CheckpointError, match="zero_convs.0.0.weight"):
        load_sketch_encoder(path, tiny_config)
