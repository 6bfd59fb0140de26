"""ToonCrafterPipeline end to end with the tiny model and its real (random-weight) OpenCLIP towers."""

import pytest
import torch

from tooncrafter_batch.models.tooncrafter.pipeline import (
    ConditionTokens, SamplingSettings, ToonCrafterPipeline, draw_noise, video_to_uint8,
)
from tooncrafter_batch.errors import SettingsError

ONE_STEP = SamplingSettings(num_steps=1, seed=7)


@pytest.fixture(scope="module")
def pipeline(tiny_model):
    return ToonCrafterPipeline(tiny_model)


@pytest.fixture(scope="module")
def keyframes():
    generator = torch.Generator().manual_seed(0)
    start = torch.rand(2, 3, 32, 48, generator=generator) * 2 - 1  # small: decoding dominates on CPU
    end = torch.rand(2, 3, 32, 48, generator=generator) * 2 - 1
    return start, end


def test_a_seed_reproduces_the_frames(pipeline, keyframes):
    start, end = keyframes[0][:1], keyframes[1][:1]
    first = pipeline(start, end, "an anime scene", ONE_STEP)
    again = pipeline(start, end, "an anime scene", ONE_STEP)
    assert first.shape == (1, 3, 16, 32, 48) and torch.isfinite(first).all()
    assert torch.equal(first, again)


def test_noise_comes_from_the_generator():
    def noise(seed):
        return draw_noise(torch.Generator().manual_seed(seed), 1, 16, (4, 6), num_steps=2)

    assert torch.equal(noise(3).steps, noise(3).steps)
    assert not torch.equal(noise(3).initial, noise(4).initial)
    assert noise(3).encode.shape == (16, 4, 4, 6) and noise(3).steps.shape == (2, 1, 4, 16, 4, 6)


def test_a_batch_of_pairs_equals_the_pairs_one_by_one(pipeline, keyframes):
    start, end = keyframes
    with torch.no_grad():
        tokens = pipeline.encode_conditions(start, ["a cat", "a dog"])
        noise = draw_noise(torch.Generator().manual_seed(1), 2, 16, (4, 6), num_steps=1)
        batch = pipeline.generate(start, end, tokens, ONE_STEP, noise)
        second_tokens = ConditionTokens(*(getattr(tokens, name)[1:] for name in
                                          ("text", "uncond_text", "image", "uncond_image")))
        second_noise = type(noise)(encode=noise.encode[16:], initial=noise.initial[1:], steps=noise.steps[:, 1:])
        second = pipeline.generate(start[1:], end[1:], second_tokens, ONE_STEP, second_noise)
    torch.testing.assert_close(batch[1:], second, atol=1e-4, rtol=1e-4)


def test_prompt_changes_the_text_tokens(pipeline, keyframes):
    with torch.no_grad():
        tokens = pipeline.encode_conditions(keyframes[0], ["a cat", "a dog"])
    assert tokens.text.shape == (2, 77, 64) and tokens.image.shape == (2, 257, 48)
    assert not torch.allclose(tokens.text[0], tokens.text[1])
    assert torch.equal(tokens.uncond_text[0], tokens.uncond_text[1])


@pytest.mark.parametrize("start_shape, end_shape, message", [
    pytest.param((1, 3, 64, 96), (1, 3, 64, 80), "one shape", id="different-sizes"),
    pytest.param((1, 3, 60, 96), (1, 3, 60, 96), "multiple of 16", id="off-grid"),
    pytest.param((1, 4, 64, 96), (1, 4, 64, 96), "one shape", id="four-channels"),
])
def test_bad_keyframes_are_refused(pipeline, start_shape, end_shape, message):
    with pytest.raises(SettingsError, match=message):
        pipeline(torch.zeros(start_shape), torch.zeros(end_shape), "", ONE_STEP)


@pytest.mark.parametrize("field, value", [("num_steps", 0), ("cfg_scale", 0.5), ("guidance_rescale", 1.5),
                                          ("eta", -1.0), ("fs", 0)])
def test_bad_sampling_settings_are_refused(field, value):
    with pytest.raises(SettingsError):
        SamplingSettings(**{field: value})


def test_video_to_uint8_truncates_like_the_reference():
    video = torch.tensor([-2.0, -1.0, 0.0, 0.999, 1.0]).view(1, 1, 5, 1, 1).expand(1, 3, 5, 1, 1)
    frames = video_to_uint8(video)
    assert frames.shape == (1, 5, 1, 1, 3)
    assert frames[0, :, 0, 0, 0].tolist() == [0, 0, 127, 254, 255]


def test_place_keeps_the_schedule_in_float32(tiny_config):
    from tooncrafter_batch.models.tooncrafter.model import ToonCrafterModel

    model = ToonCrafterModel(tiny_config).place("cpu", torch.bfloat16)
    assert model.alphas_cumprod.dtype == torch.float32 and model.scale_arr.dtype == torch.float32
    assert model.model.diffusion_model.out[2].weight.dtype == torch.bfloat16
    assert ToonCrafterPipeline(model).dtype == torch.bfloat16
