"""The sketch encoder: full-size layout against manifest_sketch.json, both community variants against the goldens."""

import json
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tooncrafter_batch.models.tooncrafter.config import model_config_from_mapping
from tooncrafter_batch.models.tooncrafter.sketch_encoder import SketchEncoder, SketchEncoderConfig, control_residuals
from tooncrafter_batch.errors import SettingsError

SKETCH_REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "sketch"
CONFIGS = Path(__file__).resolve().parents[3] / "configs"
# tiny_sketch_config.json: the 13-output structure of the real encoder with 32 base channels
TINY_13_OUTPUTS = dict(model_channels=32, num_head_channels=16, context_dim=64)


def _config(name: str) -> SketchEncoderConfig:
    path = CONFIGS / name
    return model_config_from_mapping(yaml.safe_load(path.read_text()), str(path))


def test_sketch_encoder_layout_matches_the_manifest():
    manifest = json.loads((SKETCH_REFERENCE / "manifest_sketch.json").read_text())
    with torch.device("meta"):
        encoder = SketchEncoder(_config("sketch_encoder.yaml"))
    state = encoder.state_dict()
    layout = [{"key": key, "shape": list(value.shape), "dtype": str(value.dtype).removeprefix("torch."),
               "numel": value.numel()} for key, value in state.items()]
    assert layout == manifest["keys"]  # names, shapes, dtypes and checkpoint order, nothing ignored
    assert len(state) == manifest["num_tensors"] == 340
    assert sum(parameter.numel() for parameter in encoder.parameters()) == manifest["num_parameters"]
    assert not list(encoder.buffers())


@pytest.fixture(scope="module")
def tiny_sketch_weights() -> dict:
    return {key: value.float() for key, value in load_file(SKETCH_REFERENCE / "tiny_sketch_state_dict.safetensors").items()}


@pytest.mark.parametrize("variant, context_tokens", [
    pytest.param("fullctx", "all", id="mattyamonaca-all-333-tokens"),
    pytest.param("textctx", "text", id="kijai-first-77-tokens"),
])
@torch.no_grad()
def test_sketch_encoder_golden(tiny_sketch_weights, variant, context_tokens):
    encoder = SketchEncoder(SketchEncoderConfig(**TINY_13_OUTPUTS, context_tokens=context_tokens)).eval()
    encoder.load_state_dict(tiny_sketch_weights, strict=True)
    golden = load_file(SKETCH_REFERENCE / f"golden_sketch_{variant}.safetensors")
    residuals = control_residuals(encoder, golden["x_noisy_bcthw"], golden["control_cond_bcthw"],
                                  golden["timesteps"], golden["c_crossattn"], scale=1.0)
    assert len(residuals) == 13
    for index, residual in enumerate(residuals):
        torch.testing.assert_close(residual, golden[f"out_{index:02d}"], atol=1e-4, rtol=1e-4,
                                   msg=lambda text, index=index: f"out_{index:02d}: {text}")


@torch.no_grad()
def test_sketch_scale_and_frame_mask_weight_the_residuals(tiny_sketch_weights):
    encoder = SketchEncoder(SketchEncoderConfig(**TINY_13_OUTPUTS)).eval()
    encoder.load_state_dict(tiny_sketch_weights, strict=True)
    golden = load_file(SKETCH_REFERENCE / "golden_sketch_textctx.safetensors")
    inputs = (golden["x_noisy_bcthw"][:, :, :4], golden["control_cond_bcthw"][:, :, :4], golden["timesteps"],
              golden["c_crossattn"])
    mask = torch.tensor([[True, False, False, True]])
    masked = control_residuals(encoder, *inputs, scale=0.6, frame_mask=mask)
    for index, residual in enumerate(masked):
        expected = golden[f"out_{index:02d}"][:4] * 0.6
        torch.testing.assert_close(residual[[0, 3]], expected[[0, 3]], atol=1e-4, rtol=1e-4)
        assert not residual[[1, 2]].any()


def test_sketch_configs_load_and_are_checked():
    tiny = _config("sketch_encoder_tiny.yaml")
    assert (tiny.model_channels, tiny.channel_mult, tiny.num_res_blocks) == (32, (1, 2), 1)
    assert _config("sketch_encoder.yaml") == SketchEncoderConfig()
    with pytest.raises(SettingsError, match="context_tokens must be one of text, all"):
        SketchEncoderConfig(context_tokens="image")
