"""The OpenCLIP towers: checkpoint layout of the 512 towers, offline tokenization, the penultimate-layer and
all-token readouts (checked against open_clip's own code paths), and the kornia-style image preprocessing."""

import json
from pathlib import Path

import open_clip
import pytest
import torch

from tooncrafter_batch.models.tooncrafter.conditioning import (
    CLIP_MEAN, CLIP_STD, ClipConfig, ClipImageEncoder, ClipTextEncoder, preprocess_images, resize_antialiased,
)
from tooncrafter_batch.errors import SettingsError

MANIFEST = Path(__file__).resolve().parents[2] / "data" / "reference" / "manifest_512.json"
TINY = ClipConfig(embed_dim=32, vision_width=48, vision_layers=2, vision_head_width=16, text_width=64, text_heads=4,
                  text_layers=3)
SOT, EOT = 49406, 49407


@pytest.mark.parametrize("prefix, tower", [("cond_stage_model.", ClipTextEncoder), ("embedder.", ClipImageEncoder)],
                         ids=["text", "image"])
def test_512_tower_layout_equals_manifest(prefix, tower):
    with torch.device("meta"):
        module = tower(ClipConfig())
    layout = [(prefix + key, list(value.shape)) for key, value in module.state_dict().items()]
    entries = json.loads(MANIFEST.read_text())["entries"]
    assert layout == [(entry["key"], entry["shape"]) for entry in entries if entry["key"].startswith(prefix)]


@pytest.mark.parametrize("prompt, expected", [
    pytest.param("a photo of a cat", [SOT, 320, 1125, 539, 320, 2368, EOT], id="clip-readme-example"),
    pytest.param("", [SOT, EOT], id="empty-prompt-of-the-unconditional-branch"),
    pytest.param("A Photo   of a CAT", [SOT, 320, 1125, 539, 320, 2368, EOT], id="case-and-spaces-cleaned"),
])
def test_tokenization_is_offline_and_padded_to_77(prompt, expected):
    tokens = open_clip.tokenize([prompt])
    assert tokens.shape == (1, 77) and tokens.dtype == torch.int64
    assert tokens[0, :len(expected)].tolist() == expected
    assert not tokens[0, len(expected):].any()


def test_long_prompt_is_truncated_with_end_token_last():
    tokens = open_clip.tokenize(["cat " * 100])
    assert tokens.shape == (1, 77) and tokens[0, 0] == SOT and tokens[0, 76] == EOT


@pytest.fixture(scope="module")
def tiny_text():
    torch.manual_seed(0)
    return ClipTextEncoder(TINY).eval()


@pytest.fixture(scope="module")
def tiny_image():
    torch.manual_seed(0)
    return ClipImageEncoder(TINY).eval()


def test_text_tokens_are_the_penultimate_block_after_ln_final(tiny_text):
    tokens = open_clip.tokenize(["a toon cat jumps", ""])
    with torch.no_grad():
        features = tiny_text.encode_tokens(tokens)
        by_name = tiny_text(["a toon cat jumps", ""])
        _, blocks = tiny_text.model.transformer.forward_intermediates(
            tiny_text.model.token_embedding(tokens) + tiny_text.model.positional_embedding,
            attn_mask=tiny_text.model.attn_mask, indices=2)  # open_clip's own path; blocks[0] is the penultimate
        last = tiny_text.model.ln_final(blocks[1])
    assert features.shape == (2, 77, 64)
    torch.testing.assert_close(features, tiny_text.model.ln_final(blocks[0]), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(by_name, features)
    assert (features - last).abs().max() > 1e-3  # the last block is really skipped


def test_text_tokens_are_causal(tiny_text):
    tokens = open_clip.tokenize(["a toon cat jumps"])
    changed = tokens.clone()
    changed[0, 4] = 1234
    with torch.no_grad():
        first, second = tiny_text.encode_tokens(tokens), tiny_text.encode_tokens(changed)
    torch.testing.assert_close(first[:, :4], second[:, :4])
    assert (first[:, 4:] - second[:, 4:]).abs().max() > 1e-4


def test_image_tokens_are_all_tokens_before_ln_post(tiny_image):
    images = torch.rand(2, 3, 64, 96) * 2 - 1
    with torch.no_grad():
        tokens = tiny_image(images)
        visual = tiny_image.model.visual
        pooled = visual(preprocess_images(images, 224))  # open_clip's forward: ln_post(class token) @ proj
    assert tokens.shape == (2, TINY.num_image_tokens, 48) == (2, 257, 48)
    torch.testing.assert_close(visual.ln_post(tokens[:, 0]) @ visual.proj, pooled, atol=1e-5, rtol=1e-5)


def test_resize_matches_kornia_antialiased_bicubic():
    """Expected values computed with kornia 0.9.0 geometry.resize(..., 'bicubic', align_corners=True,
    antialias=True), the call of the reference's image embedder (kornia is not a dependency)."""
    y, x = torch.meshgrid(torch.arange(20.0), torch.arange(28.0), indexing="ij")
    image = torch.stack([torch.sin(x * 0.7 + y * 0.3), torch.cos(x * 0.2 - y * 0.9), x * y / 540.0 - 0.5])[None]
    resized = resize_antialiased(image, (4, 4))
    expected_red = torch.tensor([[0.474927, 0.041747, 0.043172, -0.379187],
                                 [-0.064245, 0.080767, 0.080250, 0.245781],
                                 [-0.400073, -0.053155, -0.054289, 0.278938],
                                 [0.169463, -0.080067, -0.079202, -0.349028]])
    expected_blue = torch.tensor([[-0.493961, -0.475426, -0.450853, -0.432318],
                                  [-0.473909, -0.393827, -0.287654, -0.207572],
                                  [-0.448274, -0.289506, -0.079012, 0.079756],
                                  [-0.428222, -0.207907, 0.084186, 0.304502]])
    torch.testing.assert_close(resized[0, 0], expected_red, atol=2e-6, rtol=0)
    torch.testing.assert_close(resized[0, 2], expected_blue, atol=2e-6, rtol=0)


def test_preprocess_maps_minus_one_to_normalised_black():
    black = preprocess_images(-torch.ones(1, 3, 320, 512), 224)
    assert black.shape == (1, 3, 224, 224)
    expected = [-mean / std for mean, std in zip(CLIP_MEAN, CLIP_STD)]
    torch.testing.assert_close(black[0, :, 100, 100], torch.tensor(expected), atol=1e-5, rtol=1e-5)


def test_config_rejects_a_patch_size_that_does_not_tile_the_image():
    with pytest.raises(SettingsError, match="patch_size"):
        ClipConfig(image_size=224, patch_size=15)
