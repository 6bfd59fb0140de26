"""DDIM for a v-prediction model, with classifier-free guidance, guidance rescale and dynamic x0 rescale.

The sampler never calls the network: the pipeline predicts v, `guided_velocity` mixes the two CFG branches, and
`DDIMSampler.step` turns (v_pred, t, x_t, noise) into x_{t_prev}. Notation (Song et al. 2021, DDIM eq. 12;
Salimans & Ho 2022 for v): alpha_prod_t = the cumulative product of alphas, x0_pred = sqrt(alpha_prod_t) x_t -
sqrt(1 - alpha_prod_t) v, eps_pred = sqrt(alpha_prod_t) v + sqrt(1 - alpha_prod_t) x_t, and
x_prev = sqrt(alpha_prod_prev) x0_pred + sqrt(1 - alpha_prod_prev - sigma_t^2) eps_pred + sigma_t noise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .schedule import ddim_schedule


def guided_velocity(v_cond: torch.Tensor, v_uncond: torch.Tensor, cfg_scale: float,
                    guidance_rescale: float) -> torch.Tensor:
    """Classifier-free guidance, then guidance rescale (Lin et al. 2023, eq. 15-16) with phi = guidance_rescale.

    The rescale matches the per-sample standard deviation (unbiased, over all non-batch axes) of the guided
    prediction to the conditional one, as `rescale_noise_cfg` in the reference.
    """
    guided = v_uncond + cfg_scale * (v_cond - v_uncond)
    if guidance_rescale == 0:
        return guided
    axes = list(range(1, guided.ndim))
    rescaled = guided * (v_cond.std(dim=axes, keepdim=True) / guided.std(dim=axes, keepdim=True))
    return guidance_rescale * rescaled + (1.0 - guidance_rescale) * guided


@dataclass(frozen=True)
class StepOutput:
    prev_sample: torch.Tensor  # x at the next (smaller) timestep
    pred_x0: torch.Tensor      # x0_pred after the dynamic rescale


class DDIMSampler:
    """DDIM over `num_steps` trailing timesteps of the model's schedule; eta = 1 is the reference's default.

    `buffers` are the model's schedule buffers (the values loaded from the checkpoint, as the reference uses
    them): `alphas_cumprod`, `sqrt_alphas_cumprod`, `sqrt_one_minus_alphas_cumprod`, `scale_arr`.
    """

    def __init__(self, buffers: Mapping[str, torch.Tensor], num_steps: int, eta: float):
        self.schedule = ddim_schedule(buffers["alphas_cumprod"], buffers["scale_arr"], num_steps, eta)
        self.sqrt_alphas_cumprod = buffers["sqrt_alphas_cumprod"].detach().cpu().float()
        self.sqrt_one_minus_alphas_cumprod = buffers["sqrt_one_minus_alphas_cumprod"].detach().cpu().float()
        self._index = {int(t): i for i, t in enumerate(self.schedule.timesteps)}

    @property
    def timesteps(self) -> list[int]:
        """The loop order: from the noisiest timestep (999) down."""
        return [int(t) for t in self.schedule.timesteps.flip(0)]

    def step(self, v_pred: torch.Tensor, t: int, latents: torch.Tensor, noise: torch.Tensor) -> StepOutput:
        """One DDIM update from x_t (`latents`) with the guided v-prediction and this step's standard noise."""
        i = self._index[t]
        schedule = self.schedule
        # Scalars in float32, as the reference fills them into float32 tensors before use.
        sqrt_alpha_prod = self.sqrt_alphas_cumprod[t].item()
        sqrt_one_minus_alpha_prod = self.sqrt_one_minus_alphas_cumprod[t].item()
        alpha_prod_prev = schedule.alphas_prev[i].float()
        sigma = schedule.sigmas[i].float()
        eps_pred = sqrt_alpha_prod * v_pred + sqrt_one_minus_alpha_prod * latents
        pred_x0 = (sqrt_alpha_prod * latents - sqrt_one_minus_alpha_prod * v_pred) * schedule.scale_ratios[i].item()
        # At t = 999 with eta = 1 this is 0 in float32 but can round below 0: clamp to avoid NaN.
        direction = (1.0 - alpha_prod_prev - sigma ** 2).clamp(min=0.0).sqrt()
        prev = alpha_prod_prev.sqrt().item() * pred_x0 + direction.item() * eps_pred + sigma.item() * noise
        return StepOutput(prev_sample=prev, pred_x0=pred_x0)
