"""VAE encoder, posterior sample and reference features against golden_vae_encode (reference outputs)."""

import torch
from einops import rearrange

from tooncrafter_batch.models.tooncrafter.autoencoder import reference_context

TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}


def test_posterior_golden(tiny_autoencoder, golden_vae_encode):
    frames = rearrange(golden_vae_encode["video"], "b c t h w -> (b t) c h w")
    with torch.no_grad():
        moments, _ = tiny_autoencoder.encoder(frames)
        moments = tiny_autoencoder.quant_conv(moments)
        posterior, _ = tiny_autoencoder.encode(frames)
    torch.testing.assert_close(moments, golden_vae_encode["moments"], **TOLERANCE)
    torch.testing.assert_close(posterior.mean, golden_vae_encode["posterior_mean"], **TOLERANCE)
    torch.testing.assert_close(posterior.logvar, golden_vae_encode["posterior_logvar_clamped"], **TOLERANCE)


def test_scaled_latent_sample_and_references_golden(tiny_autoencoder, golden_vae_encode):
    with torch.no_grad():
        latents, context = tiny_autoencoder.encode_video(golden_vae_encode["video"],
                                                         noise=golden_vae_encode["encode_noise"])
    assert latents.shape == (1, 4, 16, 4, 6)
    torch.testing.assert_close(latents, golden_vae_encode["z_scaled"], **TOLERANCE)
    assert len(context) == 5
    for index, feature in enumerate(context):
        torch.testing.assert_close(feature, golden_vae_encode[f"ref_context_{index}"], **TOLERANCE)


def test_sample_is_not_the_mean(tiny_autoencoder, golden_vae_encode):
    """The reference samples the posterior; the latent must move with the noise (trap 2 of SPEC §10)."""
    noise = golden_vae_encode["encode_noise"]
    with torch.no_grad():
        first, _ = tiny_autoencoder.encode_video(golden_vae_encode["video"], noise=noise)
        second, _ = tiny_autoencoder.encode_video(golden_vae_encode["video"], noise=-noise)
    assert (first - second).abs().max() > 1e-3


def test_generator_sampling_is_reproducible(tiny_autoencoder, golden_vae_encode):
    video = golden_vae_encode["video"]
    with torch.no_grad():
        first, _ = tiny_autoencoder.encode_video(video, generator=torch.Generator().manual_seed(123))
        second, _ = tiny_autoencoder.encode_video(video, generator=torch.Generator().manual_seed(123))
        third, _ = tiny_autoencoder.encode_video(video, generator=torch.Generator().manual_seed(124))
    assert torch.equal(first, second)
    assert not torch.equal(first, third)


def test_reference_context_keeps_first_and_last_frame_of_each_video():
    features = [torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(6, 4, 1, 1)]  # 2 videos x 3 frames
    (context,) = reference_context(features, num_frames=3)
    assert context.shape == (2, 4, 2, 1, 1)
    torch.testing.assert_close(context[1, :, 0, 0, 0], features[0][3, :, 0, 0])
    torch.testing.assert_close(context[1, :, 1, 0, 0], features[0][5, :, 0, 0])
