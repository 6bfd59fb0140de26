"""One ToonCrafter training step: the diffusion loss of a batch of clips under interpolation conditioning.

The objective is the released training code's (Doubiiu/ToonCrafter lvdm/models/ddpm3d.py with
configs/training_512_v1.0/config.yaml: `parameterization: "v"`, `rescale_betas_zero_snr`, `use_dynamic_rescale`,
`uncond_prob: 0.05`, `fps_condition_type: 'fps'`), written from that reading:
1. the clip's frames go through the frozen VAE encoder: a posterior sample, times the scale factor -> z0;
2. a timestep t is drawn uniformly from 0 .. T-1 and z0 is multiplied by `scale_arr[t]` (dynamic rescale);
3. x_t = sqrt(alpha_prod_t) z0 + sqrt(1 - alpha_prod_t) eps, and the target is the velocity
   v = sqrt(alpha_prod_t) eps - sqrt(1 - alpha_prod_t) z0 (Salimans & Ho 2022), on the model's own zero-terminal-SNR
   schedule buffers;
4. the loss is the mean squared error between the UNet's prediction and v over all frames (logvar 0, no ELBO term).
Conditioning is the interpolation conditioning of inference (`ToonCrafterPipeline.condition`): the first and last
latents in the concat channels at frames 0 and t-1 (zeros between), CLIP image tokens of the first frame through the
projector, the prompt's text tokens, and the clip's frame rate as `fs`. The released training code conditions on
one frame (image-to-video); the interpolation layout is the one the released model is run with. For classifier-free
guidance each sample draws r ~ U(0, 1): r < p drops the text, p <= r < 2p drops text and image, 2p <= r < 3p the
image (the reference's masks); a dropped text is the empty prompt, a dropped image the all-zero image, as the
unconditional branch at inference. All randomness comes from one CPU generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..models.tooncrafter.model import ToonCrafterModel
from .clips import ClipBatch


@dataclass(frozen=True)
class StepDraws:
    """Every random draw of one step, CPU float32 / int64, made up front from one generator."""

    encode_noise: torch.Tensor  # (b t, 4, h, w): the VAE posterior sample
    timesteps: torch.Tensor  # (b,)
    noise: torch.Tensor  # (b, 4, t, h, w): eps
    condition_draws: torch.Tensor  # (b,): r of the condition dropout


def draw_step(generator: torch.Generator, latent_shape: tuple[int, ...], num_timesteps: int) -> StepDraws:
    """The draws for latents of `latent_shape` (b, c, t, h, w)."""
    batch, channels, num_frames, height, width = latent_shape
    return StepDraws(encode_noise=torch.randn(batch * num_frames, channels, height, width, generator=generator),
                     timesteps=torch.randint(num_timesteps, (batch,), generator=generator),
                     noise=torch.randn(latent_shape, generator=generator),
                     condition_draws=torch.rand(batch, generator=generator))


def dropped_conditions(draws: torch.Tensor, probability: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(text dropped, image dropped) booleans per sample from r ~ U(0, 1), as the reference's prompt/input masks."""
    drop_text = draws < 2 * probability
    drop_image = (draws >= probability) & (draws < 3 * probability)
    return drop_text, drop_image


def interpolation_concat(latents: torch.Tensor) -> torch.Tensor:
    """(b, c, t, h, w) latents -> the concat condition: first and last latent in place, zeros between."""
    concat = torch.zeros_like(latents)
    concat[:, :, 0], concat[:, :, -1] = latents[:, :, 0], latents[:, :, -1]
    return concat


class DiffusionObjective:
    """The loss of one step for a `ToonCrafterModel` whose VAE and CLIP towers are frozen."""

    def __init__(self, model: ToonCrafterModel, prompt: str, condition_dropout: float):
        self.model = model
        self.condition_dropout = condition_dropout
        with torch.no_grad():
            text = model.encode_prompts([prompt, ""])  # (2, 77, d): the prompt and the dropped text
        self.text, self.empty_text = text[:1], text[1:]

    @property
    def device(self) -> torch.device:
        return self.model.betas.device

    def loss(self, batch: ClipBatch, generator: torch.Generator) -> torch.Tensor:
        """The v-prediction MSE of `batch` (on the model's device) with draws from `generator`."""
        frames = batch.frames.to(self.device)
        latent_shape = self.latent_shape(frames)
        draws = draw_step(generator, latent_shape, self.model.betas.shape[0])
        with torch.no_grad():
            latents, _ = self.model.first_stage_model.encode_video(frames, noise=draws.encode_noise.to(self.device))
        context = self.context(frames[:, :, 0], draws.condition_draws)
        timesteps = draws.timesteps.to(self.device)
        noisy, velocity = self.noised(latents.float(), timesteps, draws.noise.to(self.device))
        prediction = self.model.model(noisy, interpolation_concat(latents), timesteps, context,
                                      batch.frame_rates.to(self.device))
        return F.mse_loss(prediction.float(), velocity)

    def latent_shape(self, frames: torch.Tensor) -> tuple[int, ...]:
        """(b, 3, t, H, W) frames -> the shape of their latents (b, c, t, h, w)."""
        factor = 2 ** (len(self.model.config.autoencoder.ch_mult) - 1)
        batch, _, num_frames, height, width = frames.shape
        return batch, self.model.config.autoencoder.embed_dim, num_frames, height // factor, width // factor

    def context(self, first_frames: torch.Tensor, draws: torch.Tensor) -> torch.Tensor:
        """The cross-attention context (b, 77 + t * 16, d) with the condition dropout applied."""
        drop_text, drop_image = (mask.to(self.device) for mask in dropped_conditions(draws, self.condition_dropout))
        images = torch.where(drop_image[:, None, None, None], torch.zeros_like(first_frames), first_frames)
        with torch.no_grad():
            image_tokens = self.model.encode_images(images)
        text = torch.where(drop_text[:, None, None], self.empty_text, self.text)
        return self.model.context(text, image_tokens)  # the projector inside records gradients

    def noised(self, latents: torch.Tensor, timesteps: torch.Tensor, noise: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
        """(x_t, v target) for z0 = latents * scale_arr[t]; `sqrt_alphas_cumprod` etc. are the loaded buffers."""
        def per_sample(buffer: torch.Tensor) -> torch.Tensor:
            return buffer[timesteps].float().view(-1, 1, 1, 1, 1)

        x0 = latents * per_sample(self.model.scale_arr)
        sqrt_alpha_prod, sqrt_one_minus = (per_sample(self.model.sqrt_alphas_cumprod),
                                           per_sample(self.model.sqrt_one_minus_alphas_cumprod))
        return sqrt_alpha_prod * x0 + sqrt_one_minus * noise, sqrt_alpha_prod * noise - sqrt_one_minus * x0
