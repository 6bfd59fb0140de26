"""The OpenCLIP towers: text tokens (`cond_stage_model`) and image tokens (`embedder`), as the reference uses them.

Both are built with the `open_clip` library from a typed shape (no pretrained download: the weights come from
the ToonCrafter checkpoint). The text tower is the CLIP model without `visual`, read at its penultimate layer
(FrozenOpenCLIPEmbedder, layer "penultimate"); the image tower is the CLIP model without the text
`transformer`, read as all 257 tokens of the last visual block, before `ln_post` and the projection
(FrozenOpenCLIPImageEmbedderV2). See SPEC.md §4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import open_clip
import torch
import torch.nn.functional as F
from einops import rearrange
from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg
from torch import nn

from ...errors import SettingsError

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
PENULTIMATE = 1  # text blocks skipped at the end: the reference reads the penultimate layer


@dataclass(frozen=True)
class ClipConfig:
    """Shape of an OpenCLIP ViT model; the defaults are ViT-H-14 (open_clip's model_configs/ViT-H-14.json).

    A tiny tower (small widths and layers) has the same structure, so the tiny model runs end to end.
    """

    embed_dim: int = 1024
    image_size: int = 224
    patch_size: int = 14
    vision_width: int = 1280
    vision_layers: int = 32
    vision_head_width: int = 80
    text_width: int = 1024
    text_heads: int = 16
    text_layers: int = 24
    context_length: int = 77
    vocab_size: int = 49408

    def __post_init__(self):
        if self.image_size % self.patch_size:
            raise SettingsError(f"clip image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        if self.vision_width % self.vision_head_width or self.text_width % self.text_heads:
            raise SettingsError("clip widths must divide into whole heads (vision_head_width, text_heads)")
        if self.text_layers <= PENULTIMATE:
            raise SettingsError(f"clip text_layers must be more than {PENULTIMATE} (the last one is skipped)")

    @property
    def num_image_tokens(self) -> int:
        return (self.image_size // self.patch_size) ** 2 + 1  # patches plus the class token


def _build_clip(config: ClipConfig, *, with_text_blocks: bool, with_vision_blocks: bool) -> CLIP:
    """An open_clip CLIP of this shape; a tower that will be deleted is built with one block, to save time."""
    vision = CLIPVisionCfg(layers=config.vision_layers if with_vision_blocks else 1, width=config.vision_width,
                           head_width=config.vision_head_width, patch_size=config.patch_size,
                           image_size=config.image_size)
    text = CLIPTextCfg(context_length=config.context_length, vocab_size=config.vocab_size, width=config.text_width,
                       heads=config.text_heads, layers=config.text_layers if with_text_blocks else 1)
    return CLIP(embed_dim=config.embed_dim, vision_cfg=vision, text_cfg=text)


# `model` and the open_clip attribute names below it are the checkpoint contract: they give the
# `cond_stage_model.model.*` and `embedder.model.*` keys of manifest_512.json.


class ClipTextEncoder(nn.Module):
    """Prompts -> (B, 77, text_width) tokens: the text transformer minus its last block, then `ln_final`."""

    def __init__(self, config: ClipConfig):
        super().__init__()
        self.context_length = config.context_length
        self.model = _build_clip(config, with_text_blocks=True, with_vision_blocks=False)
        del self.model.visual

    def forward(self, prompts: Sequence[str]) -> torch.Tensor:
        """Tokenized offline with open_clip's BPE tokenizer (77 tokens, as `open_clip.tokenize` in the reference)."""
        tokens = open_clip.tokenize(list(prompts), context_length=self.context_length)
        return self.encode_tokens(tokens.to(self.model.token_embedding.weight.device))

    def encode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, 77) int64 -> penultimate-layer features after ln_final (B, 77, width); no pooling."""
        model = self.model
        x = model.token_embedding(tokens) + model.positional_embedding.to(model.token_embedding.weight.dtype)
        length = x.shape[1]
        causal_mask = torch.full((length, length), float("-inf"), device=x.device, dtype=x.dtype).triu(1)
        for block in model.transformer.resblocks[:-PENULTIMATE]:
            x = block(x, attn_mask=causal_mask)  # open_clip 3.x blocks are batch-first: (B, L, width)
        return model.ln_final(x)


class ClipImageEncoder(nn.Module):
    """Images (B,3,H,W) in [-1,1] -> (B, 257, vision_width): every token of the last visual block."""

    def __init__(self, config: ClipConfig):
        super().__init__()
        self.image_size = config.image_size
        self.model = _build_clip(config, with_text_blocks=False, with_vision_blocks=True)
        del self.model.transformer

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        visual = self.model.visual
        x = visual.conv1(preprocess_images(images.to(visual.conv1.weight.dtype), self.image_size))
        x = rearrange(x, "b c h w -> b (h w) c")  # (b, patches, width)
        class_token = visual.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([class_token, x], dim=1) + visual.positional_embedding.to(x.dtype)
        return visual.transformer(visual.ln_pre(x))  # batch-first (b, tokens, width); no ln_post, no proj


def preprocess_images(images: torch.Tensor, size: int) -> torch.Tensor:
    """[-1,1] images -> CLIP input: antialiased bicubic resize to size x size, to [0,1], CLIP mean/std.

    As FrozenOpenCLIPImageEmbedderV2.preprocess in the reference (kornia resize, align_corners=True).
    """
    x = (resize_antialiased(images, (size, size)) + 1.0) / 2.0
    mean = torch.tensor(CLIP_MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x - mean) / std


def resize_antialiased(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic resize (align_corners=True) after a Gaussian blur when shrinking, as kornia.geometry.resize with
    antialias=True: sigma = (factor - 1) / 2 per axis, kernel 2*2*sigma rounded down, at least 3, odd."""
    height, width = images.shape[-2:]
    if (height, width) == tuple(size):
        return images
    factors = (height / size[0], width / size[1])
    if max(factors) > 1:
        sigmas = [max((factor - 1.0) / 2.0, 0.001) for factor in factors]
        kernel_sizes = [int(max(4.0 * sigma, 3)) | 1 for sigma in sigmas]  # "| 1": the next odd size
        images = _blur_axis(images, kernel_sizes[1], sigmas[1], axis=-1)
        images = _blur_axis(images, kernel_sizes[0], sigmas[0], axis=-2)
    return F.interpolate(images, size=size, mode="bicubic", align_corners=True)


def _blur_axis(images: torch.Tensor, kernel_size: int, sigma: float, axis: int) -> torch.Tensor:
    """Normalised 1-D Gaussian along one image axis (-1 width, -2 height), reflect-padded (kornia's border)."""
    offsets = torch.arange(kernel_size, device=images.device, dtype=images.dtype) - kernel_size // 2
    kernel = torch.exp(-offsets.pow(2) / (2.0 * sigma ** 2))
    kernel = kernel / kernel.sum()
    channels, half = images.shape[1], kernel_size // 2
    if axis == -1:
        weight, padding = kernel.view(1, 1, 1, kernel_size), (half, half, 0, 0)
    else:
        weight, padding = kernel.view(1, 1, kernel_size, 1), (0, 0, half, half)
    padded = F.pad(images, padding, mode="reflect")
    return F.conv2d(padded, weight.expand(channels, 1, *weight.shape[2:]), groups=channels)
