"""A complete 5-step interpolation of the tiny model against golden_interp_full.safetensors.

The run goes from the keyframes, the stand-in CLIP tokens and the supplied noise to the output video through our
pipeline and sampler; stored intermediates are only compared, never fed back in (except in the sampler-only test,
which checks one DDIM step from the stored v-predictions).
"""

import pytest
import torch

from tooncrafter_batch.models.tooncrafter.pipeline import (
    ConditionTokens, SamplingNoise, SamplingSettings, ToonCrafterPipeline, video_to_uint8,
)
from tooncrafter_batch.models.tooncrafter.sampler import DDIMSampler, guided_velocity

SETTINGS = SamplingSettings(num_steps=5, cfg_scale=7.5, guidance_rescale=0.7, eta=1.0, fs=10)
FULL_RUN = {"atol": 5e-4, "rtol": 5e-4}


def _tokens(golden) -> ConditionTokens:
    return ConditionTokens(text=golden["standin_text_tokens_cond"], uncond_text=golden["standin_text_tokens_uncond"],
                           image=golden["standin_clip_image_tokens_cond"],
                           uncond_image=golden["standin_clip_image_tokens_uncond"])


def _noise(golden) -> SamplingNoise:
    return SamplingNoise(encode=golden["encode_noise"], initial=golden["x_T"], steps=golden["ddim_step_noise"])


@pytest.fixture(scope="module")
def full_run(tiny_model, golden_interp_full):
    golden = golden_interp_full
    records = []
    pipeline = ToonCrafterPipeline(tiny_model)
    start, end = golden["input_frame1"][None], golden["input_frame2"][None]
    with torch.no_grad():
        conditioning = pipeline.condition(start, end, _tokens(golden), SETTINGS.fs, golden["encode_noise"])
        video = pipeline.generate(start, end, _tokens(golden), SETTINGS, _noise(golden), on_step=records.append)
    return conditioning, records, video


def test_interp_full_output_golden(full_run, golden_interp_full):
    _, _, video = full_run
    torch.testing.assert_close(video, golden_interp_full["output_video"], **FULL_RUN)
    frames = video_to_uint8(video)
    assert frames.shape == (1, 16, 64, 96, 3) and frames.dtype == torch.uint8


def test_interp_full_conditioning_golden(full_run, golden_interp_full):
    conditioning, _, _ = full_run
    golden = golden_interp_full
    torch.testing.assert_close(conditioning.concat, golden["c_concat"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(conditioning.concat[:, :, [0, 15]], golden["z_all_frames"][:, :, [0, 15]],
                               atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(conditioning.context, golden["context_cond"], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(conditioning.uncond_context, golden["context_uncond"], atol=1e-4, rtol=1e-4)
    assert conditioning.fs.tolist() == golden["fs"].tolist()


def test_interp_full_steps_golden(full_run, golden_interp_full):
    """Per-iteration intermediates, for diagnosis when the output differs."""
    _, records, _ = full_run
    golden = golden_interp_full
    assert [record.timestep for record in records] == golden["step_t"].tolist()
    for k, record in enumerate(records):
        for name, actual in [("step_x_in", record.latents), ("step_v_cond", record.v_cond),
                             ("step_v_uncond", record.v_uncond), ("step_v_guided_rescaled", record.v_guided),
                             ("step_pred_x0", record.output.pred_x0), ("step_x_prev", record.output.prev_sample)]:
            torch.testing.assert_close(actual, golden[name][k], **FULL_RUN, msg=lambda text, name=name, k=k:
                                       f"iteration {k}, {name}: {text}")
    torch.testing.assert_close(records[-1].output.prev_sample, golden["samples_latent"], **FULL_RUN)


def test_sampler_step_golden(tiny_model, golden_interp_full):
    """Guidance, rescale and the DDIM update alone, from the stored v-predictions of every iteration."""
    golden = golden_interp_full
    sampler = DDIMSampler(tiny_model.schedule_state(), num_steps=5, eta=1.0)
    assert sampler.timesteps == golden["step_t"].tolist()
    for k, timestep in enumerate(sampler.timesteps):
        v = guided_velocity(golden["step_v_cond"][k], golden["step_v_uncond"][k], 7.5, 0.7)
        torch.testing.assert_close(v, golden["step_v_guided_rescaled"][k], atol=1e-5, rtol=1e-5)
        output = sampler.step(v, timestep, golden["step_x_in"][k], golden["ddim_step_noise"][k])
        torch.testing.assert_close(output.pred_x0, golden["step_pred_x0"][k], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(output.prev_sample, golden["step_x_prev"][k], atol=1e-5, rtol=1e-5)
