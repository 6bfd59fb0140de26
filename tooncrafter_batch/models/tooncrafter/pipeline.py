"""Interpolation inference: two keyframes -> 16 frames, as the reference's `image_guided_synthesis(interp=True)`.

SPEC.md §5: CLIP text tokens of the prompt and CLIP image tokens of the start frame (an empty prompt and an
all-zero image for the unconditional branch), VAE latents of the start and end frames placed at frames 0 and 15
of the concat condition, DDIM with classifier-free guidance, then the dual-reference decode in which frames 7
and 8 are re-decoded in a 14-frame context. Conditioning is computed once per pair; a batch holds many pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from einops import rearrange

from ...errors import SettingsError
from .model import ToonCrafterModel
from .sampler import DDIMSampler, StepOutput, guided_velocity
from .sampling_settings import SamplingSettings
from .sketch_encoder import SketchEncoder, SketchGuidance, control_residuals


@dataclass(frozen=True)
class ConditionTokens:
    """What the CLIP towers give for a batch of pairs, for both guidance branches."""

    text: torch.Tensor          # (b, 77, context_dim): the prompts
    uncond_text: torch.Tensor   # (b, 77, context_dim): ""
    image: torch.Tensor         # (b, n, clip width): the start frames
    uncond_image: torch.Tensor  # (b, n, clip width): an all-zero image


@dataclass(frozen=True)
class SamplingNoise:
    """Every random tensor of a run, in the reference's layout."""

    encode: torch.Tensor   # (b t, 4, h, w): the VAE posterior sample of each input frame, batch-major
    initial: torch.Tensor  # (b, 4, t, h, w): x_T
    steps: torch.Tensor    # (num_steps, b, 4, t, h, w): the noise of loop iteration k (k = 0 at t = 999)


@dataclass(frozen=True)
class Conditioning:
    """Everything the sampler and decoder need for a batch of pairs, computed once."""

    concat: torch.Tensor          # (b, 4, t, h, w): start latent at frame 0, end latent at frame t-1, zeros between
    context: torch.Tensor         # (b, 77 + t * 16, context_dim)
    uncond_context: torch.Tensor  # same shape; text "" and the zero image
    fs: torch.Tensor              # (b,) int64
    reference: list[torch.Tensor]  # decoder references: 5 maps (b, C_i, 2, H_i, W_i) of the start and end frames


@dataclass(frozen=True)
class StepRecord:
    """One finished DDIM iteration (for progress reports and diagnosis)."""

    iteration: int             # 0 at the noisiest timestep
    timestep: int
    latents: torch.Tensor      # x_t before the step
    v_cond: torch.Tensor
    v_uncond: torch.Tensor | None  # None without guidance (cfg scale 1)
    v_guided: torch.Tensor
    output: StepOutput


def draw_noise(generator: torch.Generator, batch: int, num_frames: int, latent_size: tuple[int, int],
               num_steps: int, latent_channels: int = 4) -> SamplingNoise:
    """All noise of a run from one generator, on the generator's device, float32."""
    height, width = latent_size

    def normal(*shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=generator, device=generator.device)

    return SamplingNoise(encode=normal(batch * num_frames, latent_channels, height, width),
                         initial=normal(batch, latent_channels, num_frames, height, width),
                         steps=normal(num_steps, batch, latent_channels, num_frames, height, width))


def video_to_uint8(video: torch.Tensor) -> torch.Tensor:
    """(b, 3, t, H, W) in [-1, 1] -> (b, t, H, W, 3) uint8; truncates like the reference's `save_videos`."""
    scaled = (video.float().clamp(-1.0, 1.0) + 1.0) / 2.0 * 255.0
    return rearrange(scaled, "b c t h w -> b t h w c").to(torch.uint8)


class ToonCrafterPipeline:
    """Runs a `ToonCrafterModel` (already on its device and dtype) from keyframe tensors to 16 frames."""

    def __init__(self, model: ToonCrafterModel, sketch_encoder: SketchEncoder | None = None):
        self.model = model.eval()
        self.config = model.config
        self.sketch_encoder = None if sketch_encoder is None else sketch_encoder.eval()

    @property
    def device(self) -> torch.device:
        return self.model.betas.device

    @property
    def dtype(self) -> torch.dtype:
        return self.model.image_proj_model.latents.dtype

    @torch.no_grad()
    def __call__(self, start: torch.Tensor, end: torch.Tensor, prompt: str | Sequence[str] = "",
                 settings: SamplingSettings = SamplingSettings(), generator: torch.Generator | None = None,
                 on_step: Callable[[StepRecord], None] | None = None,
                 sketch: SketchGuidance | None = None) -> torch.Tensor:
        """start, end (b, 3, H, W) in [-1, 1], H and W multiples of `size_multiple` -> (b, 3, 16, H, W) in [-1, 1].

        All noise comes from `generator` (default: a CPU generator seeded with `settings.seed`, so a seed gives
        the same noise on any device). `sketch` steers the frames through the sketch encoder.
        """
        prompts = [prompt] * start.shape[0] if isinstance(prompt, str) else list(prompt)
        self.check_keyframes(start, end, len(prompts))
        tokens = self.encode_conditions(start, prompts)                                   # 1. CLIP towers
        generator = generator or torch.Generator().manual_seed(settings.seed)
        noise = draw_noise(generator, start.shape[0], self.config.num_frames, self.latent_size(start),
                           settings.num_steps, self.config.autoencoder.embed_dim)        # 2. noise
        return self.generate(start, end, tokens, settings, noise, on_step, sketch)        # 3.-5.

    @property
    def size_multiple(self) -> int:
        """Keyframe height and width must be multiples of this (VAE and UNet downsampling)."""
        vae_factor = 2 ** (len(self.config.autoencoder.ch_mult) - 1)
        return vae_factor * 2 ** (len(self.config.unet.channel_mult) - 1)

    def latent_size(self, frames: torch.Tensor) -> tuple[int, int]:
        vae_factor = 2 ** (len(self.config.autoencoder.ch_mult) - 1)
        return frames.shape[-2] // vae_factor, frames.shape[-1] // vae_factor

    def check_keyframes(self, start: torch.Tensor, end: torch.Tensor, num_prompts: int) -> None:
        if start.shape != end.shape or start.ndim != 4 or start.shape[1] != 3:
            raise SettingsError(f"keyframes must be two (b, 3, H, W) tensors of one shape, got "
                                f"{tuple(start.shape)} and {tuple(end.shape)}")
        if start.shape[-2] % self.size_multiple or start.shape[-1] % self.size_multiple:
            raise SettingsError(f"keyframe size {start.shape[-2]}x{start.shape[-1]} is not a multiple of "
                                f"{self.size_multiple}; fit the keyframes to the model grid first")
        if num_prompts != start.shape[0]:
            raise SettingsError(f"got {num_prompts} prompts for {start.shape[0]} keyframe pairs")

    def encode_conditions(self, start: torch.Tensor, prompts: Sequence[str]) -> ConditionTokens:
        """The CLIP towers: prompts and "" (text), start frames and zero images (image)."""
        batch = len(prompts)
        text = self.model.encode_prompts([*prompts, *[""] * batch])
        images = start.to(self.device, self.dtype)
        image = self.model.encode_images(torch.cat([images, torch.zeros_like(images)]))
        return ConditionTokens(text=text[:batch], uncond_text=text[batch:], image=image[:batch],
                               uncond_image=image[batch:])

    @torch.no_grad()
    def generate(self, start: torch.Tensor, end: torch.Tensor, tokens: ConditionTokens, settings: SamplingSettings,
                 noise: SamplingNoise, on_step: Callable[[StepRecord], None] | None = None,
                 sketch: SketchGuidance | None = None) -> torch.Tensor:
        """Interpolation from given tower outputs and noise: (b, 3, H, W) pairs -> (b, 3, t, H, W) in [-1, 1]."""
        self.check_sketch(sketch, start)
        conditioning = self.condition(start, end, tokens, settings.fs, noise.encode)   # 3. latents, contexts
        latents = self.sample(conditioning, settings, noise, on_step, sketch)           # 4. DDIM loop
        return self.decode(latents, conditioning.reference)                             # 5. dual-ref decode

    def condition(self, start: torch.Tensor, end: torch.Tensor, tokens: ConditionTokens, fs: int,
                  encode_noise: torch.Tensor) -> Conditioning:
        """VAE latents and decoder references of the keyframes, and both cross-attention contexts.

        The reference encodes all 16 frames (8 copies of each keyframe) but only uses frames 0 and 15; the
        encoder works frame by frame, so encoding the two keyframes with those frames' noise is the same.
        """
        batch, num_frames = start.shape[0], self.config.num_frames
        keyframes = torch.stack([start, end], dim=2).to(self.device, self.dtype)  # (b, 3, 2, H, W)
        frame_noise = rearrange(encode_noise, "(b t) c h w -> b t c h w", b=batch)[:, [0, num_frames - 1]]
        frame_noise = rearrange(frame_noise, "b t c h w -> (b t) c h w").to(self.device, self.dtype)
        latents, reference = self.model.first_stage_model.encode_video(keyframes, noise=frame_noise)
        concat = latents.new_zeros(*latents.shape[:2], num_frames, *latents.shape[3:])  # (b, 4, t, h, w)
        concat[:, :, 0], concat[:, :, -1] = latents[:, :, 0], latents[:, :, 1]
        to_model = {"device": self.device, "dtype": self.dtype}
        context = self.model.context(tokens.text.to(**to_model), tokens.image.to(**to_model))
        uncond_context = self.model.context(tokens.uncond_text.to(**to_model), tokens.uncond_image.to(**to_model))
        return Conditioning(concat=concat, context=context, uncond_context=uncond_context,
                            fs=torch.full((batch,), fs, dtype=torch.long, device=self.device), reference=reference)

    def sample(self, conditioning: Conditioning, settings: SamplingSettings, noise: SamplingNoise,
               on_step: Callable[[StepRecord], None] | None = None,
               sketch: SketchGuidance | None = None) -> torch.Tensor:
        """The DDIM loop from x_T; latents stay float32 between steps. -> (b, 4, t, h, w)."""
        sampler = DDIMSampler(self.model.schedule_state(), settings.num_steps, settings.eta)
        latents = noise.initial.to(self.device, torch.float32)
        for iteration, timestep in enumerate(sampler.timesteps):
            v_cond, v_uncond = self.predict(latents, timestep, conditioning, settings.cfg_scale != 1, sketch)
            v_guided = (v_cond if v_uncond is None
                        else guided_velocity(v_cond, v_uncond, settings.cfg_scale, settings.guidance_rescale))
            output = sampler.step(v_guided, timestep, latents, noise.steps[iteration].to(self.device, torch.float32))
            if on_step is not None:
                on_step(StepRecord(iteration, timestep, latents, v_cond, v_uncond, v_guided, output))
            latents = output.prev_sample
        return latents

    def predict(self, latents: torch.Tensor, timestep: int, conditioning: Conditioning, guided: bool,
                sketch: SketchGuidance | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """v-predictions of the conditional and (when guided) unconditional branch, one batched UNet call.

        Sketch residuals enter both branches, each computed with that branch's context (SPEC_sketch.md §5).
        """
        contexts = [conditioning.context, conditioning.uncond_context] if guided else [conditioning.context]
        repeats = len(contexts)
        x = latents.to(self.dtype).repeat(repeats, 1, 1, 1, 1)  # (r b, 4, t, h, w)
        timesteps = torch.full((x.shape[0],), timestep, dtype=torch.long, device=self.device)
        control = None if sketch is None else self.sketch_control(x, timesteps, torch.cat(contexts), sketch, repeats)
        v = self.model.model(x, conditioning.concat.repeat(repeats, 1, 1, 1, 1), timesteps, torch.cat(contexts),
                             conditioning.fs.repeat(repeats), control=control).float()
        return (v[: latents.shape[0]], v[latents.shape[0]:]) if guided else (v, None)

    def check_sketch(self, sketch: SketchGuidance | None, start: torch.Tensor) -> None:
        if sketch is None:
            return
        if self.sketch_encoder is None:
            raise SettingsError("sketch guidance needs the sketch encoder; build the pipeline with one "
                                "(--sketch-checkpoint, default model/sketch_encoder.ckpt)")
        expected = (start.shape[0], 1, self.config.num_frames, *start.shape[-2:])
        if tuple(sketch.sketches.shape) != expected:
            raise SettingsError(f"sketches must be {expected} (one grey sketch per generated frame at the "
                                f"keyframe size), got {tuple(sketch.sketches.shape)}")

    def sketch_control(self, x: torch.Tensor, timesteps: torch.Tensor, context: torch.Tensor,
                       sketch: SketchGuidance, repeats: int) -> list[torch.Tensor]:
        """Scaled sketch residuals for the `repeats` guidance branches stacked in x (r b, 4, t, h, w)."""
        sketches = sketch.sketches.to(x.device, x.dtype).repeat(repeats, 1, 1, 1, 1)  # (r b, 1, t, H, W)
        frame_mask = None if sketch.frame_mask is None else sketch.frame_mask.to(x.device).repeat(repeats, 1)
        return control_residuals(self.sketch_encoder, x, sketches, timesteps, context, sketch.scale, frame_mask)

    def decode(self, latents: torch.Tensor, reference: list[torch.Tensor]) -> torch.Tensor:
        """Dual-reference decode, then frames t/2-1 and t/2 re-decoded without latent frames 1 and t-2.

        As image_guided_synthesis in the reference: the 14-frame context gives the middle frames their values.
        """
        vae = self.model.first_stage_model
        latents = latents.to(self.dtype)
        num_frames = latents.shape[2]
        middle = num_frames // 2
        video = vae.decode_video(latents, reference)  # (b, 3, t, H, W)
        kept = [index for index in range(num_frames) if index not in (1, num_frames - 2)]
        redecoded = vae.decode_video(latents[:, :, kept], reference)  # (b, 3, t - 2, H, W)
        video[:, :, middle - 1: middle + 1] = redecoded[:, :, middle - 2: middle]
        return video.float()
