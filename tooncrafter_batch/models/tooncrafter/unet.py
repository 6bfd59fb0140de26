"""The 3D denoising UNet of ToonCrafter (DynamiCrafter's `UNetModel`): a v-prediction network over 16 frames.

Spatial layers work on (b t, c, h, w), one frame at a time; temporal layers (the convolution block inside every
ResBlock and the temporal transformers) on (b, c, t, h, w). ToonCrafter always uses temporal convolutions,
temporal self-attention, the extra `init_attn` after the first convolution, per-frame image cross-attention and
the frame-stride (`fs`) embedding, so they are not options here.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from einops import rearrange
from torch import nn
from torch.nn import functional as F
from torch.utils.checkpoint import checkpoint

from ...errors import SettingsError
from .attention import TEXT_CONTEXT_LENGTH, GroupNorm32, SpatialTransformer, TemporalTransformer
from .embeddings import embedding_mlp, sinusoidal_embedding

IMAGE_TOKENS_PER_FRAME = 16


@dataclass(frozen=True)
class UNetConfig:
    """Sizes of the UNet; defaults are the official 512 model."""

    in_channels: int = 8                      # 4 noisy latent + 4 concat condition channels
    out_channels: int = 4
    model_channels: int = 320
    channel_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2
    attention_resolutions: tuple[int, ...] = (4, 2, 1)  # downsample factors whose levels have transformers
    num_head_channels: int = 64               # width of one attention head
    context_dim: int = 1024
    dropout: float = 0.1
    init_attention_heads: int = 8             # `init_attn` uses 8 heads of num_head_channels
    default_fs: int = 24                      # frame stride used when none is given

    def __post_init__(self):
        if self.model_channels % 32 or self.model_channels % self.num_head_channels:
            raise SettingsError(f"unet.model_channels ({self.model_channels}) must be a multiple of 32 and of "
                                f"num_head_channels ({self.num_head_channels})")
        if not self.channel_mult or self.num_res_blocks < 1:
            raise SettingsError("unet needs at least one level (channel_mult) and one res block per level")

    @property
    def embed_dim(self) -> int:
        return 4 * self.model_channels


class TemporalConvBlock(nn.Module):
    """Four GroupNorm -> SiLU -> (Dropout) -> Conv3d(3,1,1) stages across frames, plus the input.

    Attribute names are the checkpoint contract (`conv1.0`, `conv1.2`, `conv2.0`, `conv2.3`, ...).
    """

    def __init__(self, channels: int, dropout: float):
        super().__init__()

        def conv() -> nn.Conv3d:
            return nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0))

        self.conv1 = nn.Sequential(GroupNorm32(32, channels), nn.SiLU(), conv())
        self.conv2 = nn.Sequential(GroupNorm32(32, channels), nn.SiLU(), nn.Dropout(dropout), conv())
        self.conv3 = nn.Sequential(GroupNorm32(32, channels), nn.SiLU(), nn.Dropout(dropout), conv())
        self.conv4 = nn.Sequential(GroupNorm32(32, channels), nn.SiLU(), nn.Dropout(dropout), conv())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (b, c, t, h, w)."""
        return x + self.conv4(self.conv3(self.conv2(self.conv1(x))))


class ResBlock(nn.Module):
    """Spatial residual block with the step embedding added, then the temporal conv block.

    Attribute names are the checkpoint contract, misspelt `temopral_conv` included.
    """

    def __init__(self, channels: int, embed_dim: int, out_channels: int, dropout: float,
                 temporal_conv: bool = True):
        super().__init__()
        self.in_layers = nn.Sequential(GroupNorm32(32, channels), nn.SiLU(),
                                       nn.Conv2d(channels, out_channels, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(embed_dim, out_channels))
        self.out_layers = nn.Sequential(GroupNorm32(32, out_channels), nn.SiLU(), nn.Dropout(dropout),
                                        nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip_connection = (nn.Identity() if channels == out_channels
                                else nn.Conv2d(channels, out_channels, 1))
        self.has_temporal_conv = temporal_conv  # False in the sketch encoder (a 2-D ControlNet)
        if temporal_conv:
            self.temopral_conv = TemporalConvBlock(out_channels, dropout)

    def forward(self, x: torch.Tensor, emb: torch.Tensor, num_frames: int) -> torch.Tensor:
        """x (b t, c, h, w), emb (b t, embed_dim)."""
        h = self.in_layers(x)
        h = h + self.emb_layers(emb)[:, :, None, None]
        h = self.skip_connection(x) + self.out_layers(h)
        if not self.has_temporal_conv:
            return h
        h = self.temopral_conv(rearrange(h, "(b t) c h w -> b c t h w", t=num_frames))
        return rearrange(h, "b c t h w -> (b t) c h w")


class Downsample(nn.Module):
    """Strided 3x3 convolution (`op`)."""

    def __init__(self, channels: int):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    """Nearest x2, then a 3x3 convolution (`conv`)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class LayerStack(nn.ModuleList):
    """One UNet block: layers called in order, each with the inputs its kind needs (`TimestepEmbedSequential`)."""

    def forward(self, h: torch.Tensor, emb: torch.Tensor, context: torch.Tensor, num_frames: int) -> torch.Tensor:
        """h (b t, c, h, w) -> (b t, c', h', w')."""
        for layer in self:
            if isinstance(layer, ResBlock):
                h = layer(h, emb, num_frames)
            elif isinstance(layer, SpatialTransformer):
                h = layer(h, context)
            elif isinstance(layer, TemporalTransformer):
                h = layer(rearrange(h, "(b t) c h w -> b c t h w", t=num_frames))
                h = rearrange(h, "b c t h w -> (b t) c h w")
            else:
                h = layer(h)
        return h


def frame_context(context: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(b, l, d) -> (b t, l', d): the context each frame attends to.

    When l == 77 + t * 16 (text then frame-major image tokens, as the reference tests), every frame gets the 77
    text tokens and its own 16 image tokens; otherwise every frame gets the whole context.
    """
    if context.shape[1] != TEXT_CONTEXT_LENGTH + num_frames * IMAGE_TOKENS_PER_FRAME:
        return context.repeat_interleave(num_frames, dim=0)
    text = context[:, :TEXT_CONTEXT_LENGTH].repeat_interleave(num_frames, dim=0)  # (b t, 77, d)
    image = rearrange(context[:, TEXT_CONTEXT_LENGTH:], "b (t l) d -> (b t) l d", t=num_frames)
    return torch.cat([text, image], dim=1)


class UNet3D(nn.Module):
    """v-prediction UNet: (b, 8, t, h, w) noisy latent + concat condition -> (b, 4, t, h, w).

    Attribute names are the checkpoint contract (keys under `model.diffusion_model.`).
    """

    def __init__(self, config: UNetConfig):
        super().__init__()
        self.config = config
        channels = config.model_channels
        self.time_embed = embedding_mlp(channels, config.embed_dim)
        self.fps_embedding = embedding_mlp(channels, config.embed_dim)
        skip_channels = self._build_input_blocks()
        self.init_attn = LayerStack([TemporalTransformer(channels, config.init_attention_heads,
                                                         config.num_head_channels, use_linear=False)])
        deepest = channels * config.channel_mult[-1]
        self.middle_block = LayerStack([
            ResBlock(deepest, config.embed_dim, deepest, config.dropout), *self._transformers(deepest),
            ResBlock(deepest, config.embed_dim, deepest, config.dropout)])
        self._build_output_blocks(skip_channels)
        self.out = nn.Sequential(GroupNorm32(32, channels), nn.SiLU(),
                                 nn.Conv2d(channels, config.out_channels, 3, padding=1))
        # Training memory option (the reference's `use_checkpoint`): each block's activations are recomputed in
        # the backward pass instead of kept. Same values and gradients; no effect without autograd.
        self.gradient_checkpointing = False

    def _transformers(self, channels: int) -> list[nn.Module]:
        heads = channels // self.config.num_head_channels
        head_width = self.config.num_head_channels
        return [SpatialTransformer(channels, heads, head_width, self.config.context_dim),
                TemporalTransformer(channels, heads, head_width)]

    def _level_block(self, in_channels: int, out_channels: int, factor: int) -> LayerStack:
        layers = [ResBlock(in_channels, self.config.embed_dim, out_channels, self.config.dropout)]
        if factor in self.config.attention_resolutions:
            layers += self._transformers(out_channels)
        return LayerStack(layers)

    def _build_input_blocks(self) -> list[int]:
        """Creates `input_blocks`; returns the channel count of every skip connection, in order."""
        config = self.config
        channels, factor = config.model_channels, 1
        self.input_blocks = nn.ModuleList([LayerStack([nn.Conv2d(config.in_channels, channels, 3, padding=1)])])
        skip_channels = [channels]
        for level, mult in enumerate(config.channel_mult):
            for _ in range(config.num_res_blocks):
                self.input_blocks.append(self._level_block(channels, config.model_channels * mult, factor))
                channels = config.model_channels * mult
                skip_channels.append(channels)
            if level != len(config.channel_mult) - 1:
                self.input_blocks.append(LayerStack([Downsample(channels)]))
                skip_channels.append(channels)
                factor *= 2
        return skip_channels

    def _build_output_blocks(self, skip_channels: list[int]) -> None:
        config = self.config
        channels = config.model_channels * config.channel_mult[-1]
        factor = 2 ** (len(config.channel_mult) - 1)
        self.output_blocks = nn.ModuleList()
        for level, mult in reversed(list(enumerate(config.channel_mult))):
            for index in range(config.num_res_blocks + 1):
                block = self._level_block(channels + skip_channels.pop(), config.model_channels * mult, factor)
                channels = config.model_channels * mult
                if level and index == config.num_res_blocks:
                    block.append(Upsample(channels))
                    factor //= 2
                self.output_blocks.append(block)

    def step_embedding(self, timesteps: torch.Tensor, fs: torch.Tensor, num_frames: int) -> torch.Tensor:
        """(b,) timesteps and frame strides -> (b t, embed_dim), each sample's vector repeated per frame."""
        dtype = self.time_embed[0].weight.dtype
        channels = self.config.model_channels
        emb = self.time_embed(sinusoidal_embedding(timesteps, channels).to(dtype))
        emb = emb + self.fps_embedding(sinusoidal_embedding(fs, channels).to(dtype))
        return emb.repeat_interleave(num_frames, dim=0)

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor,
                fs: torch.Tensor | None = None, control: list[torch.Tensor] | None = None) -> torch.Tensor:
        """x (b, 8, t, h, w), timesteps (b,) int, context (b, l, context_dim), fs (b,) int -> v (b, 4, t, h, w).

        `control`: scaled sketch-encoder residuals, one per skip then one for the middle block, each (b t, c, h, w);
        they are added to the middle output and to the skips as the output blocks take them (SPEC_sketch.md §5).
        """
        batch, _, num_frames = x.shape[:3]
        if fs is None:
            fs = torch.full((batch,), self.config.default_fs, dtype=torch.long, device=x.device)
        emb = self.step_embedding(timesteps, fs, num_frames)
        context = frame_context(context, num_frames)
        h = rearrange(x, "b c t h w -> (b t) c h w")
        skips = []
        for index, block in enumerate(self.input_blocks):
            h = self._run(block, h, emb, context, num_frames)
            if index == 0:
                h = self._run(self.init_attn, h, emb, context, num_frames)
            skips.append(h)
        h = self._run(self.middle_block, h, emb, context, num_frames)
        if control is not None:
            h = h + control[-1]
            skips = [skip + residual for skip, residual in zip(skips, control[:-1], strict=True)]
        for block in self.output_blocks:
            h = self._run(block, torch.cat([h, skips.pop()], dim=1), emb, context, num_frames)
        return rearrange(self.out(h), "(b t) c h w -> b c t h w", b=batch)

    def _run(self, block: LayerStack, h: torch.Tensor, emb: torch.Tensor, context: torch.Tensor,
             num_frames: int) -> torch.Tensor:
        """One block, through activation checkpointing when it is on and gradients are being recorded."""
        if self.gradient_checkpointing and torch.is_grad_enabled():
            return checkpoint(block, h, emb, context, num_frames, use_reentrant=False)  # restores the RNG: same dropout
        return block(h, emb, context, num_frames)
