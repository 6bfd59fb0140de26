"""Sketch guidance in the tiny pipeline's sampling loop: a sketch changes the latents; scale 0 does not."""

from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

from tooncrafter_batch.models.tooncrafter.config import model_config_from_mapping
from tooncrafter_batch.models.tooncrafter.pipeline import ConditionTokens, SamplingNoise, SamplingSettings, ToonCrafterPipeline
from tooncrafter_batch.models.tooncrafter.sketch_encoder import SketchEncoder, SketchGuidance
from tooncrafter_batch.errors import SettingsError

SKETCH_REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference" / "sketch"
TINY_SKETCH_CONFIG = Path(__file__).resolve().parents[3] / "configs" / "sketch_encoder_tiny.yaml"
ONE_STEP = SamplingSettings(num_steps=1, cfg_scale=7.5, guidance_rescale=0.7, eta=1.0, fs=10)


@pytest.fixture(scope="module")
def sketch_pipeline(tiny_model) -> ToonCrafterPipeline:
    encoder = SketchEncoder(model_config_from_mapping(yaml.safe_load(TINY_SKETCH_CONFIG.read_text()),
                                                      str(TINY_SKETCH_CONFIG)))
    weights = load_file(SKETCH_REFERENCE / "tiny_sketch_compat_state_dict.safetensors")
    encoder.load_state_dict({key: value.float() for key, value in weights.items()}, strict=True)
    return ToonCrafterPipeline(tiny_model, sketch_encoder=encoder)


@pytest.fixture(scope="module")
def sketch_run(sketch_pipeline, golden_interp_full):
    """run(sketch) -> the tiny model's latents after one DDIM step from the golden run's inputs and noise."""
    golden = golden_interp_full
    tokens = ConditionTokens(text=golden["standin_text_tokens_cond"], uncond_text=golden["standin_text_tokens_uncond"],
                             image=golden["standin_clip_image_tokens_cond"],
                             uncond_image=golden["standin_clip_image_tokens_uncond"])
    noise = SamplingNoise(encode=golden["encode_noise"], initial=golden["x_T"], steps=golden["ddim_step_noise"][:1])
    with torch.no_grad():
        conditioning = sketch_pipeline.condition(golden["input_frame1"][None], golden["input_frame2"][None], tokens,
                                                 ONE_STEP.fs, noise.encode)
    results = {}

    @torch.no_grad()
    def run(sketch):
        key = None if sketch is None else (id(sketch.sketches), sketch.scale, id(sketch.frame_mask))
        if key not in results:
            results[key] = sketch_pipeline.sample(conditioning, ONE_STEP, noise, sketch=sketch)
        return results[key]

    return run


@pytest.fixture(scope="module")
def sketches(golden_interp_full) -> torch.Tensor:
    """Sketches for frames 5 and 10 (a diagonal stroke and a box), blank elsewhere: (1, 1, 16, 64, 96)."""
    lines = torch.zeros(1, 1, 16, 64, 96)
    lines[0, 0, 5].diagonal()[:] = 1.0
    lines[0, 0, 10, 20:40, 30] = lines[0, 0, 10, 20:40, 60] = 1.0
    return lines


def test_sketch_changes_the_frames_and_scale_0_changes_nothing(sketch_run, sketches):
    plain = sketch_run(None)
    guided = sketch_run(SketchGuidance(sketches, scale=0.6))
    assert (guided - plain).abs().max() > 0.01
    assert torch.equal(sketch_run(SketchGuidance(sketches, scale=0.0)), plain)


def test_sketch_needs_an_encoder_and_one_sketch_per_frame(tiny_model, sketch_pipeline, sketches):
    start = torch.zeros(1, 3, 64, 96)
    with pytest.raises(SettingsError, match="needs the sketch encoder"):
        ToonCrafterPipeline(tiny_model).check_sketch(SketchGuidance(sketches), start)
    with pytest.raises(SettingsError, match=r"sketches must be \(1, 1, 16, 64, 96\)"):
        sketch_pipeline.check_sketch(SketchGuidance(sketches[:, :, :8]), start)
