"""Sketch residuals entering the tiny UNet (SPEC_sketch.md §10): residuals, output at scale 0.6, scale 0 = plain."""

from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tooncrafter_batch.models.tooncrafter.config import model_config_from_mapping
from tooncrafter_batch.models.tooncrafter.sketch_encoder import SketchEncoder, control_residuals

SKETCH_REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "sketch"
TINY_SKETCH_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "sketch_encoder_tiny.yaml"
VARIANTS = [pytest.param("golden_sketch_injection", "all", id="mattyamonaca-all-333-tokens"),
            pytest.param("golden_sketch_injection_textctx", "text", id="kijai-first-77-tokens")]


def _tiny_sketch_encoder(context_tokens: str) -> SketchEncoder:
    document = yaml.safe_load(TINY_SKETCH_CONFIG.read_text()) | {"context_tokens": context_tokens}
    encoder = SketchEncoder(model_config_from_mapping(document, str(TINY_SKETCH_CONFIG)))
    weights = load_file(SKETCH_REFERENCE / "tiny_sketch_compat_state_dict.safetensors")
    encoder.load_state_dict({key: value.float() for key, value in weights.items()}, strict=True)
    return encoder.eval()


@pytest.fixture(scope="module")
def plain_output(tiny_unet) -> torch.Tensor:
    """The UNet without control on the injection inputs (the same in both golden files)."""
    golden = load_file(SKETCH_REFERENCE / "golden_sketch_injection.safetensors")
    with torch.no_grad():
        plain = tiny_unet(golden["unet_input"], golden["timesteps"], golden["context"], golden["fs"])
    torch.testing.assert_close(plain, golden["output_plain"], atol=1e-4, rtol=1e-4)
    return plain


@pytest.mark.parametrize("golden_name, context_tokens", VARIANTS)
@torch.no_grad()
def test_sketch_injection_golden(tiny_unet, plain_output, golden_name, context_tokens):
    golden = load_file(SKETCH_REFERENCE / f"{golden_name}.safetensors")
    encoder = _tiny_sketch_encoder(context_tokens)
    residuals = control_residuals(encoder, golden["x_noisy"], golden["control_cond"], golden["timesteps"],
                                  golden["context"], scale=1.0)
    for index, residual in enumerate(residuals):
        torch.testing.assert_close(residual, golden[f"residual_{index:02d}"], atol=1e-4, rtol=1e-4)

    def unet(scale: float) -> torch.Tensor:
        control = [residual * scale for residual in residuals]  # as control_residuals scales (float32)
        return tiny_unet(golden["unet_input"], golden["timesteps"], golden["context"], golden["fs"], control=control)

    output = unet(golden["control_scale"].item())
    torch.testing.assert_close(output, golden["output_control"], atol=1e-4, rtol=1e-4)
    assert torch.equal(unet(0.0), plain_output)  # scale 0 changes no bit
    assert (output - plain_output).abs().max() > 0.5  # the sketch does steer the prediction
