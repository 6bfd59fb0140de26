"""The sketch encoder of `sketch_encoder.ckpt`: a ControlNet over the encoder half of an SD-2.1-style UNet.

It turns one line drawing per generated frame into residuals for the main UNet: one per UNet skip connection
(12 at full size) and one for the middle block, in that order. It has no temporal layers, so each frame's residuals
depend only on that frame's noisy latent and sketch, the shared timestep and the context.
The checkpoint is its own unprefixed state dict, so this is a separate module, not a child of `ToonCrafterModel`.

The released weights came without code; this follows the two community ports described in
../shared/reference/sketch/SPEC_sketch.md. They differ in one point, the tokens the cross-attention sees:
`context_tokens="text"` (the kijai/lvdm port, the default) keeps the first 77 text tokens of the 333-token
context, `"all"` (the mattyamonaca port) attends to all 333. The default is "text" because the official
ToonCrafter code base drops the image tokens in every cross-attention that has no image branch, so an encoder the
authors trained there saw 77 tokens; and if they passed only text, both ports agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from einops import rearrange
from torch import nn

from ...errors import SettingsError
from .attention import TEXT_CONTEXT_LENGTH, SpatialTransformer
from .embeddings import embedding_mlp, sinusoidal_embedding
from .sampling_settings import DEFAULT_CONTROL_SCALE
from .unet import Downsample, LayerStack, ResBlock

CONTEXT_TOKENS = ("text", "all")
HINT_STEM_CHANNELS = (16, 16, 32, 32, 96, 96, 256)  # fixed in every ControlNet, whatever model_channels is
HINT_STEM_STRIDED = (2, 4, 6)  # stem convs (counted from 0) with stride 2: the hint is 8x the latent grid
HINT_SCALE = 8


@dataclass(frozen=True)
class SketchEncoderConfig:
    """Sizes of the sketch encoder; defaults are the released `sketch_encoder.ckpt`."""

    kind: str = "sketch_encoder"
    in_channels: int = 4                      # the noisy latent only, not the UNet's concat condition
    hint_channels: int = 1                    # one grey sketch per frame
    model_channels: int = 320
    channel_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2
    attention_resolutions: tuple[int, ...] = (4, 2, 1)  # downsample factors whose levels have transformers
    num_head_channels: int = 64
    context_dim: int = 1024
    context_tokens: str = "text"              # "text": first 77 context tokens; "all": all of them

    def __post_init__(self):
        if self.context_tokens not in CONTEXT_TOKENS:
            raise SettingsError(f"sketch encoder context_tokens must be one of {', '.join(CONTEXT_TOKENS)}, "
                                f"got {self.context_tokens!r}")
        if self.model_channels % 32 or self.model_channels % self.num_head_channels:
            raise SettingsError(f"sketch encoder model_channels ({self.model_channels}) must be a multiple of 32 "
                                f"and of num_head_channels ({self.num_head_channels})")

    @property
    def embed_dim(self) -> int:
        return 4 * self.model_channels


@dataclass(frozen=True, eq=False)
class SketchGuidance:
    """Sketches for a batch of pairs and how strongly they steer the UNet.

    `sketches` (b, 1, t, H, W) in [0, 1], white lines on black at the keyframes' size, blank where not drawn.
    Frames without a sketch get the residuals of a blank hint, as in both community apps (a blank hint is not a
    no-op: the encoder still sees the noisy latent); with `frame_mask` (b, t) bool, their residuals are zeroed
    instead. Which one the released weights were trained for is not known.
    """

    sketches: torch.Tensor
    scale: float = DEFAULT_CONTROL_SCALE
    frame_mask: torch.Tensor | None = None


def _zero_conv(channels: int) -> nn.Sequential:
    """1x1 convolution (key `.0.`); trained from zero so the control starts as a no-op."""
    return nn.Sequential(nn.Conv2d(channels, channels, 1))


def _hint_stem(hint_channels: int, model_channels: int) -> nn.Sequential:
    """Eight 3x3 convolutions with SiLU between them (keys `.0`, `.2`, ... `.14`), 1/8 of the hint's size."""
    widths = (hint_channels, *HINT_STEM_CHANNELS, model_channels)
    layers = []
    for index, (width_in, width_out) in enumerate(zip(widths[:-1], widths[1:])):
        stride = 2 if index in HINT_STEM_STRIDED else 1
        layers += [nn.Conv2d(width_in, width_out, 3, stride=stride, padding=1), nn.SiLU()]
    return nn.Sequential(*layers[:-1])


class SketchEncoder(nn.Module):
    """ControlNet: (noisy latent, sketch, timestep, context) per frame -> residuals for the UNet's skips + middle.

    Attribute names are the checkpoint contract: they produce the keys of manifest_sketch.json.
    """

    def __init__(self, config: SketchEncoderConfig):
        super().__init__()
        self.config = config
        channels = config.model_channels
        # Creation order is the checkpoint's key order.
        self.time_embed = embedding_mlp(channels, config.embed_dim)
        self.input_blocks = nn.ModuleList([LayerStack([nn.Conv2d(config.in_channels, channels, 3, padding=1)])])
        self.zero_convs = nn.ModuleList([_zero_conv(channels)])
        deepest = self._build_input_blocks()
        self.input_hint_block = _hint_stem(config.hint_channels, channels)
        self.middle_block = LayerStack([self._res_block(deepest, deepest), self._transformer(deepest),
                                        self._res_block(deepest, deepest)])
        self.middle_block_out = _zero_conv(deepest)

    def _res_block(self, channels: int, out_channels: int) -> ResBlock:
        return ResBlock(channels, self.config.embed_dim, out_channels, dropout=0.0, temporal_conv=False)

    def _transformer(self, channels: int) -> SpatialTransformer:
        head_width = self.config.num_head_channels
        return SpatialTransformer(channels, channels // head_width, head_width, self.config.context_dim,
                                  image_cross_attention=False)

    def _build_input_blocks(self) -> int:
        """Creates input blocks 1.. and their zero convs, as the UNet's encoder half; returns the deepest width."""
        config = self.config
        channels, factor = config.model_channels, 1
        for level, mult in enumerate(config.channel_mult):
            for _ in range(config.num_res_blocks):
                layers = [self._res_block(channels, config.model_channels * mult)]
                channels = config.model_channels * mult
                if factor in config.attention_resolutions:
                    layers.append(self._transformer(channels))
                self.input_blocks.append(LayerStack(layers))
                self.zero_convs.append(_zero_conv(channels))
            if level != len(config.channel_mult) - 1:
                self.input_blocks.append(LayerStack([Downsample(channels)]))
                self.zero_convs.append(_zero_conv(channels))
                factor *= 2
        return channels

    def forward(self, x: torch.Tensor, hint: torch.Tensor, timesteps: torch.Tensor,
                context: torch.Tensor) -> list[torch.Tensor]:
        """Residuals, unscaled, one per input block then the middle block's.

        x (n, 4, h, w) noisy latents of n = b * t frames; hint (n, 1, 8h, 8w) sketches in [0, 1], white lines on
        black; timesteps (b,) int; context (n, l, context_dim), each frame's row (the 77 + 256 token context).
        """
        if hint.shape[-2:] != (HINT_SCALE * x.shape[-2], HINT_SCALE * x.shape[-1]):
            raise ValueError(f"sketch hint {tuple(hint.shape[-2:])} must be 8x the latent {tuple(x.shape[-2:])}")
        if self.config.context_tokens == "text":
            context = context[:, :TEXT_CONTEXT_LENGTH]
        dtype = self.time_embed[0].weight.dtype
        emb = self.time_embed(sinusoidal_embedding(timesteps, self.config.model_channels).to(dtype))
        emb = emb.repeat_interleave(x.shape[0] // timesteps.shape[0], dim=0)  # (n, embed_dim)
        guided_hint = self.input_hint_block(hint)
        h, residuals = x, []
        for index, (block, zero_conv) in enumerate(zip(self.input_blocks, self.zero_convs)):
            h = block(h, emb, context, 1)
            if index == 0:
                h = h + guided_hint  # the sketch enters once, after the first convolution
            residuals.append(zero_conv(h))
        h = self.middle_block(h, emb, context, 1)
        residuals.append(self.middle_block_out(h))
        return residuals


def control_residuals(encoder: SketchEncoder, x_noisy: torch.Tensor, sketches: torch.Tensor,
                      timesteps: torch.Tensor, context: torch.Tensor, scale: float,
                      frame_mask: torch.Tensor | None = None) -> list[torch.Tensor]:
    """The residuals the UNet adds for a sketch guide, times `scale` (as `apply_model` in the community ports).

    x_noisy (b, 4, t, h, w); sketches (b, 1, t, 8h, 8w) in [0, 1], white lines on black, blank where not drawn;
    timesteps (b,); context (b, l, context_dim), the context of the guidance branch being computed. With
    `frame_mask` (b, t) bool, the residuals of unmasked frames are zeroed instead of coming from a blank sketch.
    """
    num_frames = x_noisy.shape[2]
    x = rearrange(x_noisy, "b c t h w -> (b t) c h w")
    hint = rearrange(sketches, "b c t h w -> (b t) c h w").to(x.dtype)
    rows = context.repeat_interleave(num_frames, dim=0)  # (b t, l, d): every frame sees the whole context
    residuals = encoder(x, hint, timesteps, rows)
    weights = torch.full((x.shape[0], 1, 1, 1), scale, dtype=x.dtype, device=x.device)
    if frame_mask is not None:
        weights = weights * rearrange(frame_mask, "b t -> (b t) 1 1 1").to(x.dtype)
    return [residual * weights for residual in residuals]

