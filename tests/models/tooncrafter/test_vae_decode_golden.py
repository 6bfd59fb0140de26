"""Dual-reference video decoding against golden_vae_decode (the reference's decode_first_stage)."""

import json
from pathlib import Path

import torch

from tooncrafter_batch.models.tooncrafter.autoencoder import AutoencoderConfig, AutoencoderKLDualRef

TOLERANCE = {"atol": 1e-4, "rtol": 1e-4}
MANIFEST = Path(__file__).resolve().parents[2] / "data" / "reference" / "manifest_512.json"


def _references(golden):
    return [golden[f"ref_context_{index}"] for index in range(5)]


def test_decode_16_frame_chunk_golden(tiny_autoencoder, golden_vae_decode):
    with torch.no_grad():
        video = tiny_autoencoder.decode_video(golden_vae_decode["z_scaled"], _references(golden_vae_decode))
    assert video.shape == (1, 3, 16, 32, 48)
    torch.testing.assert_close(video, golden_vae_decode["decoded_16"], **TOLERANCE)


def test_decode_14_frame_chunk_golden(tiny_autoencoder, golden_vae_decode):
    latents = golden_vae_decode["z_scaled"][:, :, golden_vae_decode["frame_index_14"]]
    with torch.no_grad():
        video = tiny_autoencoder.decode_video(latents, _references(golden_vae_decode))
    assert video.shape == (1, 3, 14, 32, 48)
    torch.testing.assert_close(video, golden_vae_decode["decoded_14"], **TOLERANCE)


def test_post_quant_conv_is_not_on_the_dual_reference_path(tiny_autoencoder, golden_vae_decode):
    """Trap 1 of SPEC §10: the weights exist but the decoder with references must not use them."""
    references = _references(golden_vae_decode)
    with torch.no_grad():
        before = tiny_autoencoder.decode_video(golden_vae_decode["z_scaled"], references)
        saved = tiny_autoencoder.post_quant_conv.weight.clone()
        tiny_autoencoder.post_quant_conv.weight.mul_(3.0)
        try:
            after = tiny_autoencoder.decode_video(golden_vae_decode["z_scaled"], references)
        finally:
            tiny_autoencoder.post_quant_conv.weight.copy_(saved)
    assert torch.equal(before, after)


def test_batched_videos_decode_like_single_ones(tiny_autoencoder, golden_vae_decode):
    """Two videos in one call give each video's own result (each uses its own references)."""
    latents, references = golden_vae_decode["z_scaled"], _references(golden_vae_decode)
    other_latents = latents.flip(2)
    other_references = [reference.flip(2) * 0.5 for reference in references]
    with torch.no_grad():
        batched = tiny_autoencoder.decode_video(
            torch.cat([latents, other_latents]), [torch.cat(pair) for pair in zip(references, other_references)])
        single = tiny_autoencoder.decode_video(other_latents, other_references)
    torch.testing.assert_close(batched[:1], golden_vae_decode["decoded_16"], **TOLERANCE)
    torch.testing.assert_close(batched[1:], single, **TOLERANCE)


def test_layout_512_equals_manifest():
    with torch.device("meta"):
        autoencoder = AutoencoderKLDualRef(AutoencoderConfig())
    layout = [(f"first_stage_model.{key}", list(value.shape)) for key, value in autoencoder.state_dict().items()]
    entries = json.loads(MANIFEST.read_text())["entries"]
    expected = [(entry["key"], entry["shape"]) for entry in entries if entry["key"].startswith("first_stage_model.")]
    assert layout == expected
