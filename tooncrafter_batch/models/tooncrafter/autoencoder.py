"""The KL autoencoder with the dual-reference video decoder (`AutoencoderKL_Dualref` in the reference).

Encoder: plain 2-D, one frame at a time (all frames in one batch); it also returns 5 feature maps per frame
that the decoder uses as references. Decoder: the `VideoDecoder` of SPEC.md §3, with 3-D residual mixing,
cross-attention to the first and last input frame at two levels and "Combiner" additions at the others.
Latents in the diffusion space are the sampled VAE latents times `scale_factor`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from ...errors import SettingsError
from .attention import GroupNorm32, attend
from .unet import Upsample  # the same layer (nearest x2 + 3x3 `conv`) in both networks

NUM_REFERENCE_FEATURES = 5  # last block output of each of the 4 encoder levels, then conv_in's output
FUSION_HEADS = 8  # the reference's cross-attention fusion is always 8 heads x 64
FUSION_HEAD_WIDTH = 64


@dataclass(frozen=True)
class AutoencoderConfig:
    """`first_stage_config` of the reference (ddconfig + embed_dim); defaults are the 512 model's."""

    embed_dim: int = 4
    z_channels: int = 4
    in_channels: int = 3
    out_ch: int = 3
    ch: int = 128
    ch_mult: tuple[int, ...] = (1, 2, 4, 4)
    num_res_blocks: int = 2
    dropout: float = 0.0
    fusion_levels: tuple[int, ...] = (2, 3)  # `attn_level` of the reference decoder; other levels use a Combiner
    scale_factor: float = 0.18215  # LatentDiffusion.scale_factor: diffusion latents = VAE sample * scale_factor

    def __post_init__(self):
        if len(self.ch_mult) != NUM_REFERENCE_FEATURES - 1:
            raise SettingsError(f"autoencoder ch_mult must have {NUM_REFERENCE_FEATURES - 1} levels, got {self.ch_mult}")
        if any(self.ch * mult % 32 for mult in self.ch_mult):
            raise SettingsError(f"autoencoder channels must be multiples of 32 (GroupNorm), got ch={self.ch}")


def _norm(channels: int) -> nn.GroupNorm:
    """The VAE's 2-D GroupNorm: 32 groups, eps 1e-6 (`Normalize` in the reference)."""
    return nn.GroupNorm(32, channels, eps=1e-6)


# Attribute names in every class below are the checkpoint contract: they produce the `first_stage_model.*`
# keys of manifest_512.json.


class ResnetBlock(nn.Module):
    """norm1 -> SiLU -> conv1 -> norm2 -> SiLU -> dropout -> conv2, plus a 1x1 `nin_shortcut` on channel change."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float):
        super().__init__()
        self.norm1 = _norm(in_channels)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = _norm(out_channels)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        if in_channels != out_channels:
            self.nin_shortcut = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        skip = self.nin_shortcut(x) if hasattr(self, "nin_shortcut") else x
        return skip + h


class TemporalResBlock(nn.Module):
    """3-D residual block over frames, kernel (3,1,1), no time embedding (`time_stack`, a ResBlock with dims=3)."""

    def __init__(self, channels: int, dropout: float):
        super().__init__()
        self.in_layers = nn.Sequential(
            GroupNorm32(32, channels, eps=1e-5), nn.SiLU(), nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0))
        )
        self.out_layers = nn.Sequential(
            GroupNorm32(32, channels, eps=1e-5), nn.SiLU(), nn.Dropout(dropout),
            nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0)),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.out_layers(self.in_layers(x))


class VideoResnetBlock(ResnetBlock):
    """A 2-D ResnetBlock whose output is blended with a temporal residual block: a*x_t + (1-a)*x_s, a=sigmoid(mix)."""

    def __init__(self, in_channels: int, out_channels: int, dropout: float):
        super().__init__(in_channels, out_channels, dropout)
        self.time_stack = TemporalResBlock(out_channels, dropout)
        self.mix_factor = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, num_frames: int) -> torch.Tensor:
        spatial = rearrange(super().forward(x), "(b t) c h w -> b c t h w", t=num_frames)
        temporal = self.time_stack(spatial)
        alpha = torch.sigmoid(self.mix_factor).to(spatial.dtype)
        mixed = alpha * temporal + (1.0 - alpha) * spatial
        return rearrange(mixed, "b c t h w -> (b t) c h w")


class SelfAttention2d(nn.Module):
    """Single-head self-attention over the pixels of each frame, 1x1-conv q/k/v/proj_out (`attn_1`)."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = _norm(channels)
        self.q = nn.Conv2d(channels, channels, 1)
        self.k = nn.Conv2d(channels, channels, 1)
        self.v = nn.Conv2d(channels, channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        height = h.shape[2]
        q, k, v = (rearrange(layer(h), "n c h w -> n 1 (h w) c") for layer in (self.q, self.k, self.v))
        out = F.scaled_dot_product_attention(q, k, v)  # scale C^-1/2, as the reference
        return x + self.proj_out(rearrange(out, "n 1 (h w) c -> n c h w", h=height))


class Downsample(nn.Module):
    """Zero-pad right and bottom by one, then a 3x3 stride-2 conv without padding."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class MidBlock(nn.Module):
    """Container for block_1 -> attn_1 -> block_2 (the caller runs them: decoder blocks need the frame count)."""

    def __init__(self, block_1: nn.Module, attn_1: nn.Module, block_2: nn.Module):
        super().__init__()
        self.block_1 = block_1
        self.attn_1 = attn_1
        self.block_2 = block_2


class Level(nn.Module):
    """One resolution level: its residual `block`s and an optional `downsample` / `upsample`."""

    def __init__(self, blocks: list[nn.Module], resample_name: str | None = None, resample: nn.Module | None = None):
        super().__init__()
        self.block = nn.ModuleList(blocks)
        if resample_name is not None:
            self.add_module(resample_name, resample)


class Encoder(nn.Module):
    """2-D encoder to the latent moments (before `quant_conv`); also returns the reference feature maps."""

    def __init__(self, config: AutoencoderConfig):
        super().__init__()
        channels = [config.ch * mult for mult in config.ch_mult]
        self.conv_in = nn.Conv2d(config.in_channels, config.ch, 3, padding=1)
        self.down = nn.ModuleList()
        block_in = config.ch
        for level, block_out in enumerate(channels):
            blocks = []
            for _ in range(config.num_res_blocks):
                blocks.append(ResnetBlock(block_in, block_out, config.dropout))
                block_in = block_out
            is_last = level == len(channels) - 1
            self.down.append(Level(blocks, None if is_last else "downsample", None if is_last else Downsample(block_in)))
        self.mid = MidBlock(ResnetBlock(block_in, block_in, config.dropout), SelfAttention2d(block_in),
                            ResnetBlock(block_in, block_in, config.dropout))
        self.norm_out = _norm(block_in)
        self.conv_out = nn.Conv2d(block_in, 2 * config.z_channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(N,3,H,W) in [-1,1] -> moments (N,2z,H/8,W/8) and the 5 reference features of SPEC §3."""
        first = self.conv_in(x)
        h = first
        features = []
        for level in self.down:
            for block in level.block:
                h = block(h)
            features.append(h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
        features.append(first)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        return self.conv_out(F.silu(self.norm_out(h))), features


class Combiner(nn.Module):
    """Adds a 1x1 conv of reference 0 to the first frame and of reference 1 to the last frame of each chunk."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor, reference: torch.Tensor, num_frames: int) -> torch.Tensor:
        refs = self.conv(rearrange(reference, "b c l h w -> (b l) c h w"))
        refs = rearrange(refs, "(b l) c h w -> b l c h w", l=2)
        frames = rearrange(x, "(b t) c h w -> b t c h w", t=num_frames)
        # in place: x is the decoder's own activation, not the caller's tensor
        frames[:, 0] += refs[:, 0]
        frames[:, -1] += refs[:, 1]
        return x


class ReferenceAttention(nn.Module):
    """Cross-attention of every frame's pixels to the pixels of both reference frames (fusion, 8 heads x 64).

    Queries come from the normalised frame; keys and values from the un-normalised references of the same
    video, shared by all of its frames (so frames fold into the query length). Output is added to the input.
    """

    def __init__(self, channels: int, dropout: float):
        super().__init__()
        inner = FUSION_HEADS * FUSION_HEAD_WIDTH
        self.to_q = nn.Linear(channels, inner, bias=False)
        self.to_k = nn.Linear(channels, inner, bias=False)
        self.to_v = nn.Linear(channels, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, channels), nn.Dropout(dropout))
        self.norm = _norm(channels)

    def forward(self, x: torch.Tensor, reference: torch.Tensor, num_frames: int) -> torch.Tensor:
        height = x.shape[2]
        tokens = rearrange(self.norm(x), "(b t) c h w -> b (t h w) c", t=num_frames)
        context = rearrange(reference, "b c l h w -> b (l h w) c")  # reference 0's pixels, then reference 1's
        out = attend(self.to_q(tokens), self.to_k(context), self.to_v(context), FUSION_HEADS)
        out = rearrange(self.to_out(out), "b (t h w) c -> (b t) c h w", t=num_frames, h=height)
        return x + out


class TimeMixConv2d(nn.Conv2d):
    """A 3x3 Conv2d followed by `time_mix_conv`, a Conv3d (3,1,1) across the chunk's frames (`AE3DConv`)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(in_channels, out_channels, 3, padding=1)
        self.time_mix_conv = nn.Conv3d(out_channels, out_channels, (3, 1, 1), padding=(1, 0, 0))

    def forward(self, x: torch.Tensor, num_frames: int) -> torch.Tensor:
        h = rearrange(super().forward(x), "(b t) c h w -> b c t h w", t=num_frames)
        return rearrange(self.time_mix_conv(h), "b c t h w -> (b t) c h w")


class VideoDecoder(nn.Module):
    """Latent frames of one or more videos -> RGB, guided by each video's first/last-frame features."""

    def __init__(self, config: AutoencoderConfig):
        super().__init__()
        channels = [config.ch * mult for mult in config.ch_mult]
        block_in = channels[-1]
        self.conv_in = nn.Conv2d(config.z_channels, block_in, 3, padding=1)
        self.mid = MidBlock(VideoResnetBlock(block_in, block_in, config.dropout), SelfAttention2d(block_in),
                            VideoResnetBlock(block_in, block_in, config.dropout))
        levels, refinements = [], []
        for level in reversed(range(len(channels))):
            blocks = []
            for _ in range(config.num_res_blocks + 1):
                blocks.append(VideoResnetBlock(block_in, channels[level], config.dropout))
                block_in = channels[level]
            levels.insert(0, Level(blocks, "upsample" if level else None, Upsample(block_in) if level else None))
            is_fusion = level in config.fusion_levels
            refinements.insert(0, ReferenceAttention(block_in, config.dropout) if is_fusion else Combiner(block_in))
        self.up = nn.ModuleList(levels)
        self.attn_refinement = nn.ModuleList(refinements + [Combiner(block_in)])
        self.norm_out = _norm(block_in)
        self.conv_out = TimeMixConv2d(block_in, config.out_ch)

    def forward(self, z: torch.Tensor, reference: list[torch.Tensor], num_frames: int) -> torch.Tensor:
        """z (b*t, z, h, w), frames batch-major; reference: 5 tensors (b, C_i, 2, H_i, W_i) -> (b*t, 3, 8h, 8w)."""
        h = self.conv_in(z)
        h = self.mid.block_1(h, num_frames)
        h = self.mid.attn_1(h)
        h = self.mid.block_2(h, num_frames)
        for index in reversed(range(len(self.up))):
            level = self.up[index]
            for block in level.block:
                h = block(h, num_frames)
            h = self.attn_refinement[index](h, reference[index], num_frames)
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        h = F.silu(self.norm_out(h))
        h = self.attn_refinement[-1](h, reference[-1], num_frames)
        return self.conv_out(h, num_frames)


@dataclass(frozen=True)
class DiagonalGaussian:
    """The encoder's posterior per frame: mean and log-variance (clamped to [-30, 20]), each (N, z, h, w)."""

    mean: torch.Tensor
    logvar: torch.Tensor

    def sample(self, noise: torch.Tensor) -> torch.Tensor:
        """mean + exp(logvar/2) * noise; the reference samples (never the mean) for interpolation."""
        return self.mean + torch.exp(0.5 * self.logvar) * noise.to(self.mean)


class AutoencoderKLDualRef(nn.Module):
    """`first_stage_model`: encoder, quant_conv, post_quant_conv (stored, unused on the dual-ref path), decoder."""

    def __init__(self, config: AutoencoderConfig):
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = VideoDecoder(config)
        self.quant_conv = nn.Conv2d(2 * config.z_channels, 2 * config.embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(config.embed_dim, config.z_channels, 1)

    def encode(self, frames: torch.Tensor) -> tuple[DiagonalGaussian, list[torch.Tensor]]:
        """Frames (N,3,H,W) in [-1,1] -> posterior over (N, z, H/8, W/8) and the 5 feature maps (N, C_i, H_i, W_i)."""
        hidden, features = self.encoder(frames)
        mean, logvar = self.quant_conv(hidden).chunk(2, dim=1)
        return DiagonalGaussian(mean, logvar.clamp(-30.0, 20.0)), features

    def decode(self, z: torch.Tensor, reference: list[torch.Tensor], num_frames: int) -> torch.Tensor:
        """Unscaled latents of one chunk per video (b*t, z, h, w) -> RGB (b*t, 3, H, W); no post_quant_conv
        (as `AutoencoderKL.decode` with extra arguments in the reference)."""
        return self.decoder(z, reference, num_frames)

    def encode_video(self, video: torch.Tensor, noise: torch.Tensor | None = None,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Video (b,3,t,H,W) in [-1,1] -> scaled latent sample (b,z,t,H/8,W/8) and the reference context.

        The sample uses `noise` ((b*t, z, H/8, W/8), frames batch-major) or else draws it from `generator`.
        As get_latent_z_with_hidden_states in the reference.
        """
        num_frames = video.shape[2]
        posterior, features = self.encode(rearrange(video, "b c t h w -> (b t) c h w"))
        if noise is None:
            noise = torch.randn(posterior.mean.shape, generator=generator,
                                device=generator.device if generator is not None else "cpu")
        z = posterior.sample(noise) * self.config.scale_factor
        return rearrange(z, "(b t) c h w -> b c t h w", t=num_frames), reference_context(features, num_frames)

    def decode_video(self, latents: torch.Tensor, reference: list[torch.Tensor], chunk_frames: int = 16) -> torch.Tensor:
        """Scaled latents (b,z,t,h,w) -> video (b,3,t,8h,8w) in about [-1,1], decoded `chunk_frames` at a time.

        As decode_first_stage with perframe_ae in the reference; each chunk's first and last frame receive the
        references (so a 14-frame chunk is a different context from a 16-frame one).
        """
        num_frames = latents.shape[2]
        chunks = []
        for start in range(0, num_frames, chunk_frames):
            chunk = latents[:, :, start:start + chunk_frames] / self.config.scale_factor
            length = chunk.shape[2]
            frames = self.decode(rearrange(chunk, "b c t h w -> (b t) c h w"), reference, length)
            chunks.append(rearrange(frames, "(b t) c h w -> b c t h w", t=length))
        return torch.cat(chunks, dim=2)


def reference_context(features: list[torch.Tensor], num_frames: int) -> list[torch.Tensor]:
    """Encoder features (b*t, C, H, W) -> each video's first and last frame, (b, C, 2, H, W)."""
    context = []
    for feature in features:
        video = rearrange(feature, "(b t) c h w -> b c t h w", t=num_frames)
        context.append(torch.stack([video[:, :, 0], video[:, :, -1]], dim=2))
    return context
